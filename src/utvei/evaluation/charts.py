"""The evidence engine's charts: survival curves, bars and counts over periods, drawn as inline SVG on the server.

Pure functions: the same input gives the same SVG, byte for byte (coordinates are written with one decimal, the
order of series and bars is the caller's), so a chart can be tested by its structure. Every text is passed in by
the caller, already translated; numbers printed in the drawing follow the active locale's format (``0,25`` in
bokmål), like the data table printed beside each chart, which is the accessible version of the whole chart.

How they read, without colour:

- **series** differ by line style *and* marker shape: solid line with circles, dashed with squares, short dashes
  with triangles, dash-dot with diamonds, dotted with crosses; a legend inside the SVG names each series next to a
  sample of its line and marker. Colour only repeats what the style says (more than six series repeat styles;
  keep charts smaller than that);
- **survival curves** (Kaplan–Meier) are step lines that start at 1 at time 0 and only go down; the confidence
  band is a light hatched area behind each curve, its hatching turned a different way for every series. A series
  with too few people to show draws nothing and says so in the legend;
- **bars** are horizontal, their labels on the left, growing right of the zero line for positive values and left
  of it for negative ones; an interval is a dark whisker with end caps on a white halo; the value is printed at
  the end of every bar. A suppressed value (``None``) has no bar at all, only the word for suppression written in
  its row: suppression is visible, never a silent zero;
- **lines over periods** break where a value is suppressed (``None``): no line is drawn across the gap.

Nothing is scripted or fetched: no fonts, images or stylesheets from outside, so the same markup prints in the
PDF report (WeasyPrint) as it shows in the browser.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 720.0  # the viewBox's width; the SVG itself is as wide as its container
FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
TEXT = "#222222"  # 15.9:1 on white
MUTED = "#595959"  # 7.0:1 on white
GRID = "#dddddd"  # decorative only: the tick labels carry the values
HALO = "#ffffff"
BAR_FILL = "#1d4f91"  # 8.6:1 on white
SERIES = (  # (colour, dash pattern, marker): every series differs in all three, never only by colour
    ("#1d4f91", "", "circle"),
    ("#a1122a", "9 4", "square"),
    ("#1b6e3a", "3 3", "triangle"),
    ("#7a5000", "10 3 2 3", "diamond"),
    ("#595959", "1 3", "cross"),
    ("#222222", "6 2 1 2 1 2", "circle-open"),
)
HATCH_ANGLES = (45, -45, 0, 90, 30, -30)  # the confidence band's hatching, per series
LINE_WIDTH = 2.5
FONT_SIZE = 13
SMALL = 12
LEGEND_ROW = 22
LEGEND_TEXT_MAX = 90  # characters of a legend entry drawn; the whole entry is in its <title>
BAR_LABEL_MAX = 32  # characters of a bar's label drawn; the whole label is in the bar's <title> and in the table
BAR_LABEL_WIDTH = 240.0
BAR_ROW = 30.0
BAR_HEIGHT = 16.0
PLOT_HEIGHT = 280.0
CHAR_WIDTH = 0.6  # an estimate of a character's width, in ems, to keep printed values inside the drawing

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


@dataclass(frozen=True)
class StepSeries:
    """One Kaplan–Meier curve: (t, y, lo, hi) at each time the estimate changes (and, to draw the tail, at the
    last follow-up time). y is the proportion still without the event, lo and hi its interval (None where
    unknown). The curve starts at (0, 1) by itself and ends at the last point."""

    label: str
    points: Sequence[tuple[float, float, float | None, float | None]]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: suppressed
    lo: float | None = None
    hi: float | None = None
    note: str = ""  # short, printed after the value: "n = 12"


@dataclass(frozen=True)
class LineSeries:
    label: str
    values: Sequence[float | None]  # one per category; None: suppressed, a gap in the line


# --- formatting ------------------------------------------------------------------------------------------------


def _c(value: float) -> str:
    """A coordinate: one decimal, never "-0.0"."""
    return f"{round(value, 1) + 0.0:.1f}"


def _n(value: float, decimals: int) -> str:
    """A number to be read: the active locale's format with a fixed number of decimals."""
    rounded = round(value, decimals) + 0.0
    return str(formats.number_format(rounded, decimal_pos=decimals))


def _clip(value: str, limit: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _width(text: str, size: float = SMALL) -> float:
    return len(text) * size * CHAR_WIDTH


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _check_id(chart_id: str) -> str:
    if not _ID.match(chart_id):
        raise ValueError(f"chart_id must be a valid XML id (a letter, then letters, digits, - or _): {chart_id!r}")
    return chart_id


@dataclass(frozen=True)
class Ticks:
    lo: float
    hi: float
    step: float
    decimals: int

    @property
    def values(self) -> list[float]:
        n = round((self.hi - self.lo) / self.step)
        return [round(self.lo + i * self.step, 10) + 0.0 for i in range(n + 1)]


def nice_ticks(lo: float, hi: float, target: int = 5, *, integers: bool = False) -> Ticks:
    """Round tick marks covering lo..hi: steps of 1, 2, 2.5 or 5 times a power of ten, about `target` of them;
    with `integers` (counts) only whole steps of 1, 2 or 5 times a power of ten."""
    if hi < lo:
        lo, hi = hi, lo
    if hi - lo < 1e-12:
        hi = lo + 1.0
    raw = (hi - lo) / target
    if integers:
        raw = max(raw, 1.0)
    magnitude = 10.0 ** math.floor(math.log10(raw) + 1e-12)
    factors = (1.0, 2.0, 5.0, 10.0) if integers else (1.0, 2.0, 2.5, 5.0, 10.0)
    factor = next(f for f in factors if f * magnitude >= raw - 1e-12)
    step = factor * magnitude
    decimals = 0 if integers else max(0, -math.floor(math.log10(step) + 1e-9)) + (1 if factor == 2.5 else 0)
    first = math.floor(lo / step + 1e-9) * step
    last = math.ceil(hi / step - 1e-9) * step
    return Ticks(round(first, 10) + 0.0, round(last, 10) + 0.0, step, decimals)


# --- shared pieces ---------------------------------------------------------------------------------------------


def _open(chart_id: str, kind: str, width: float, height: float, title: str, desc: str, extra: str = "") -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" '
        f'viewBox="0 0 {_c(width)} {_c(height)}" width="100%" preserveAspectRatio="xMinYMin meet" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="{FONT}" font-size="{FONT_SIZE}"{extra}>'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )


def _style(index: int) -> tuple[str, str, str]:
    return SERIES[index % len(SERIES)]


def _dash(dash: str) -> str:
    return f' stroke-dasharray="{dash}"' if dash else ""


def _marker(shape: str, x: float, y: float, colour: str, r: float = 4.5) -> str:
    attrs = f'class="marker" data-shape="{shape}"'
    if shape == "circle":
        return f'<circle {attrs} cx="{_c(x)}" cy="{_c(y)}" r="{_c(r)}" fill="{colour}"/>'
    if shape == "circle-open":
        return (
            f'<circle {attrs} cx="{_c(x)}" cy="{_c(y)}" r="{_c(r)}" fill="{HALO}" stroke="{colour}" stroke-width="2"/>'
        )
    if shape == "square":
        s = r * 0.9
        d = f"M{_c(x - s)} {_c(y - s)}L{_c(x + s)} {_c(y - s)}L{_c(x + s)} {_c(y + s)}L{_c(x - s)} {_c(y + s)}Z"
        return f'<path {attrs} d="{d}" fill="{colour}"/>'
    if shape == "triangle":
        s = r * 1.2
        d = f"M{_c(x)} {_c(y - s)}L{_c(x + s)} {_c(y + s * 0.8)}L{_c(x - s)} {_c(y + s * 0.8)}Z"
        return f'<path {attrs} d="{d}" fill="{colour}"/>'
    if shape == "diamond":
        s = r * 1.25
        d = f"M{_c(x)} {_c(y - s)}L{_c(x + s)} {_c(y)}L{_c(x)} {_c(y + s)}L{_c(x - s)} {_c(y)}Z"
        return f'<path {attrs} d="{d}" fill="{colour}"/>'
    s = r  # cross
    d = f"M{_c(x - s)} {_c(y - s)}L{_c(x + s)} {_c(y + s)}M{_c(x - s)} {_c(y + s)}L{_c(x + s)} {_c(y - s)}"
    return f'<path {attrs} d="{d}" fill="none" stroke="{colour}" stroke-width="2.5"/>'


def _legend_row(y: float, index: int, text: str, *, swatch: str = "", empty: bool = False) -> str:
    colour, dash, shape = _style(index)
    shown = _clip(text, LEGEND_TEXT_MAX)
    full = " ".join(text.split())
    x = 16.0
    return (
        f'<g class="legend-item{" empty" if empty else ""}" data-series="{index}">'
        + (f"<title>{escape(full)}</title>" if shown != full else "")
        + swatch
        + f'<line x1="{_c(x)}" y1="{_c(y)}" x2="{_c(x + 40)}" y2="{_c(y)}" stroke="{colour}" '
        f'stroke-width="{LINE_WIDTH}"{_dash(dash)}/>'
        + _marker(shape, x + 20, y, colour)
        + f'<text x="{_c(x + 52)}" y="{_c(y + 4.5)}" fill="{TEXT}">{escape(shown)}</text></g>'
    )


def _y_axis(ticks: Ticks, left: float, right: float, to_y: dict[float, float], label: str, top: float) -> str:
    """Horizontal gridlines, the axis line with its ticks and labels on the left, the axis' name above it."""
    parts = ['<g class="axis axis-y">']
    for value, y in to_y.items():
        parts.append(
            f'<line class="grid" x1="{_c(left)}" y1="{_c(y)}" x2="{_c(right)}" y2="{_c(y)}" stroke="{GRID}" '
            'stroke-width="1"/>'
            f'<line class="tick" x1="{_c(left - 5)}" y1="{_c(y)}" x2="{_c(left)}" y2="{_c(y)}" stroke="{MUTED}" '
            'stroke-width="1"/>'
            f'<text class="tick-label" x="{_c(left - 8)}" y="{_c(y + 4)}" text-anchor="end" font-size="{SMALL}" '
            f'fill="{TEXT}">{escape(_n(value, ticks.decimals))}</text>'
        )
    bottom = max(to_y.values())
    parts.append(
        f'<line x1="{_c(left)}" y1="{_c(top)}" x2="{_c(left)}" y2="{_c(bottom)}" stroke="{MUTED}" stroke-width="1"/>'
        f'<text class="axis-label" x="{_c(8)}" y="{_c(top - 14)}" fill="{TEXT}">{escape(label)}</text></g>'
    )
    return "".join(parts)


# --- survival --------------------------------------------------------------------------------------------------


def _km_points(series: StepSeries, x_max: float) -> list[tuple[float, float, float | None, float | None]]:
    """The series' points, cleaned and in time order, with the origin (0, 1) first. Raises ValueError if the
    estimate goes up: a Kaplan–Meier curve never does, and drawing one that does would hide the caller's error."""
    clean: list[tuple[float, float, float | None, float | None]] = []
    for t, y, lo, hi in sorted(series.points, key=lambda p: p[0]):
        t_ok, y_ok = _finite(t), _finite(y)
        if t_ok is None or y_ok is None or t_ok < 0:
            continue
        y_ok = min(1.0, max(0.0, y_ok))
        lo_ok, hi_ok = _finite(lo), _finite(hi)
        if lo_ok is not None and hi_ok is not None:
            lo_ok, hi_ok = sorted((min(1.0, max(0.0, lo_ok)), min(1.0, max(0.0, hi_ok))))
        else:
            lo_ok = hi_ok = None
        if clean and y_ok > clean[-1][1] + 1e-9:
            raise ValueError(f"survival estimate increases at t={t_ok!r} in series {series.label!r}")
        clean.append((t_ok, min(y_ok, clean[-1][1]) if clean else y_ok, lo_ok, hi_ok))
    if clean and clean[0][0] > 0:
        clean.insert(0, (0.0, 1.0, 1.0, 1.0))
    return [p for p in clean if p[0] <= x_max] + [p for p in clean if p[0] > x_max][:1]


def _step_vertices(
    points: Sequence[tuple[float, float, float | None, float | None]], x_max: float
) -> list[tuple[float, float]]:
    vertices: list[tuple[float, float]] = [(0.0, 1.0)]
    for t, y, _lo, _hi in points:
        current = vertices[-1][1]
        if t > x_max:
            vertices.append((x_max, current))
            break
        vertices.append((t, current))
        vertices.append((t, y))
    out: list[tuple[float, float]] = []
    for v in vertices:
        if not out or out[-1] != v:
            out.append(v)
    return out


def _band_runs(
    points: Sequence[tuple[float, float, float | None, float | None]], x_max: float
) -> list[list[tuple[float, float, float, float]]]:
    """The intervals (t0, t1, lo, hi) of the confidence band, in runs without a gap."""
    runs: list[list[tuple[float, float, float, float]]] = []
    current: list[tuple[float, float, float, float]] = []
    for (t0, _y, lo, hi), (t1, *_rest) in zip(points, points[1:], strict=False):
        start, end = min(t0, x_max), min(t1, x_max)
        if lo is None or hi is None or end <= start:
            if current:
                runs.append(current)
            current = []
            continue
        current.append((start, end, lo, hi))
    if current:
        runs.append(current)
    return runs


def survival_chart(
    series: Sequence[StepSeries],
    *,
    chart_id: str,
    title: str,
    desc: str,
    x_label: str,
    y_label: str,
    x_max: float | None = None,
    empty_note: str = "",
    band_label: str = "",
) -> SafeString:
    """Kaplan–Meier curves as an inline <svg>: y from 0 to 1, x from 0 to `x_max` (or the last time, rounded up).

    `empty_note` is written after the legend entry of a series without points ("(too few to show)");
    `band_label`, if given, adds a legend entry for the hatched confidence bands ("95 % confidence interval")."""
    cid = _check_id(chart_id)
    times = [t for s in series for t, *_ in s.points if _finite(t) is not None and t >= 0]
    if x_max is not None and x_max > 0:
        rounded = nice_ticks(0.0, x_max)  # the same steps, but no tick past x_max
        last = math.floor(x_max / rounded.step + 1e-9) * rounded.step
        ticks_x = Ticks(0.0, round(last, 10) + 0.0, rounded.step, rounded.decimals)
        domain = x_max
    else:
        ticks_x = nice_ticks(0.0, max(times, default=1.0) or 1.0)
        domain = ticks_x.hi
    left, right, top = 64.0, WIDTH - 24.0, 40.0
    bottom = top + PLOT_HEIGHT
    legend_top = bottom + 66
    rows = len(series) + (1 if band_label else 0)
    height = legend_top + rows * LEGEND_ROW + 8

    def x_of(t: float) -> float:
        return left + (right - left) * t / domain

    def y_of(y: float) -> float:
        return bottom - (bottom - top) * y

    out = [_open(cid, "survival", WIDTH, height, title, desc, f' data-series="{len(series)}"')]
    out.append("<defs>")
    for i in range(len(series)):
        colour = _style(i)[0]
        out.append(
            f'<pattern id="{cid}-band-{i}" patternUnits="userSpaceOnUse" width="6" height="6" '
            f'patternTransform="rotate({HATCH_ANGLES[i % len(HATCH_ANGLES)]})">'
            f'<rect width="6" height="6" fill="{colour}" fill-opacity="0.10"/>'
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="{colour}" stroke-width="1.2" stroke-opacity="0.45"/>'
            "</pattern>"
        )
    out.append("</defs>")
    y_ticks = Ticks(0.0, 1.0, 0.2, 1)
    out.append(_y_axis(y_ticks, left, right, {v: y_of(v) for v in y_ticks.values}, y_label, top))
    out.append('<g class="axis axis-x">')
    for value in ticks_x.values:
        x = x_of(value)
        out.append(
            f'<line class="tick" x1="{_c(x)}" y1="{_c(bottom)}" x2="{_c(x)}" y2="{_c(bottom + 5)}" stroke="{MUTED}" '
            'stroke-width="1"/>'
            f'<text class="tick-label" x="{_c(x)}" y="{_c(bottom + 20)}" text-anchor="middle" font-size="{SMALL}" '
            f'fill="{TEXT}">{escape(_n(value, ticks_x.decimals))}</text>'
        )
    out.append(
        f'<line x1="{_c(left)}" y1="{_c(bottom)}" x2="{_c(right)}" y2="{_c(bottom)}" stroke="{MUTED}" '
        'stroke-width="1"/>'
        f'<text class="axis-label" x="{_c((left + right) / 2)}" y="{_c(bottom + 42)}" text-anchor="middle" '
        f'fill="{TEXT}">{escape(x_label)}</text></g>'
    )
    bands: list[str] = []
    curves: list[str] = []
    for i, s in enumerate(series):
        colour, dash, shape = _style(i)
        points = _km_points(s, domain)
        if not points:
            continue
        for run in _band_runs(points, domain):
            upper = [(x_of(t), y_of(hi)) for t0, t1, _lo, hi in run for t in (t0, t1)]
            lower = [(x_of(t), y_of(lo)) for t0, t1, lo, _hi in reversed(run) for t in (t1, t0)]
            d = "".join(("M" if k == 0 else "L") + f"{_c(x)} {_c(y)}" for k, (x, y) in enumerate(upper + lower))
            bands.append(f'<path class="km-band" data-series="{i}" d="{d}Z" fill="url(#{cid}-band-{i})"/>')
        vertices = _step_vertices(points, domain)
        d = "".join(("M" if k == 0 else "L") + f"{_c(x_of(t))} {_c(y_of(y))}" for k, (t, y) in enumerate(vertices))
        end_t, end_y = vertices[-1]
        curves.append(
            f'<g class="km-series" data-series="{i}"><title>{escape(s.label)}</title>'
            f'<path class="km-line" d="{d}" fill="none" stroke="{colour}" stroke-width="{LINE_WIDTH}"'
            f'{_dash(dash)} stroke-linejoin="miter"/>{_marker(shape, x_of(end_t), y_of(end_y), colour)}</g>'
        )
    out.append('<g class="bands">' + "".join(bands) + "</g>")
    out.append('<g class="curves">' + "".join(curves) + "</g>")
    out.append(f'<g class="legend" data-rows="{rows}">')
    for i, s in enumerate(series):
        empty = not _km_points(s, domain)
        text = f"{s.label} {empty_note}".strip() if empty else s.label
        y = legend_top + i * LEGEND_ROW
        swatch = "" if empty else f'<rect x="16" y="{_c(y - 7)}" width="40" height="14" fill="url(#{cid}-band-{i})"/>'
        out.append(_legend_row(y, i, text, swatch=swatch, empty=empty))
    if band_label:
        y = legend_top + len(series) * LEGEND_ROW
        out.append(
            f'<g class="legend-band"><rect x="16" y="{_c(y - 7)}" width="40" height="14" fill="#ffffff" '
            f'stroke="{MUTED}" stroke-width="1"/>'
            + "".join(
                f'<line x1="{_c(16 + k * 5)}" y1="{_c(y + 7)}" x2="{_c(16 + k * 5 + 10)}" y2="{_c(y - 7)}" '
                f'stroke="{MUTED}" stroke-width="1" stroke-opacity="0.6"/>'
                for k in range(6)
            )
            + f'<text x="68" y="{_c(y + 4.5)}" fill="{TEXT}">{escape(_clip(band_label, LEGEND_TEXT_MAX))}</text></g>'
        )
    out.append("</g></svg>")
    return mark_safe("".join(out))  # every value above is escaped or a number


# --- bars ------------------------------------------------------------------------------------------------------


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    desc: str,
    value_label: str,
    zero_line: bool = True,
    suppressed_text: str = "suppressed",
    decimals: int = 1,
    interval_label: str = "",
) -> SafeString:
    """Horizontal bars as an inline <svg>, one row per bar in the given order, values printed at the bars' ends.

    `decimals` is the number of decimals printed; `interval_label`, if given, adds a legend entry for the
    whiskers ("95 % confidence interval")."""
    cid = _check_id(chart_id)
    rows = []
    for bar in bars:
        value, lo, hi = _finite(bar.value), _finite(bar.lo), _finite(bar.hi)
        if lo is not None and hi is not None and lo > hi:
            lo, hi = hi, lo
        if value is None or lo is None or hi is None:
            lo = hi = None
        rows.append((bar, value, lo, hi))
    extent = [0.0] + [v for _b, value, lo, hi in rows for v in (value, lo, hi) if v is not None]
    ticks = nice_ticks(min(extent), max(extent))
    texts = []
    for bar, value, _lo, _hi in rows:
        shown = suppressed_text if value is None else _n(value, decimals)
        note = " ".join(bar.note.split())
        texts.append(f"{shown} ({note})" if note else shown)
    neg = [_width(t) for (_b, value, _l, _h), t in zip(rows, texts, strict=True) if value is not None and value < 0]
    pos = [_width(t) for (_b, value, _l, _h), t in zip(rows, texts, strict=True) if value is None or value >= 0]
    pad_left = max(neg, default=0.0) + 14.0
    pad_right = max(pos, default=0.0) + 14.0
    left = BAR_LABEL_WIDTH + pad_left
    width = max(WIDTH, left + 260.0 + pad_right)
    right = width - pad_right
    top = 10.0
    bottom = top + max(len(rows), 1) * BAR_ROW
    height = bottom + 52 + (LEGEND_ROW if interval_label else 0)

    def x_of(v: float) -> float:
        return left + (right - left) * (v - ticks.lo) / (ticks.hi - ticks.lo)

    x0 = x_of(0.0)
    out = [_open(cid, "bar", width, height, title, desc, f' data-bars="{len(rows)}"')]
    out.append('<g class="axis axis-x">')
    for value in ticks.values:
        x = x_of(value)
        out.append(
            f'<line class="grid" x1="{_c(x)}" y1="{_c(top)}" x2="{_c(x)}" y2="{_c(bottom)}" stroke="{GRID}" '
            'stroke-width="1"/>'
            f'<line class="tick" x1="{_c(x)}" y1="{_c(bottom)}" x2="{_c(x)}" y2="{_c(bottom + 5)}" stroke="{MUTED}" '
            'stroke-width="1"/>'
            f'<text class="tick-label" x="{_c(x)}" y="{_c(bottom + 19)}" text-anchor="middle" font-size="{SMALL}" '
            f'fill="{TEXT}">{escape(_n(value, ticks.decimals))}</text>'
        )
    out.append(
        f'<line x1="{_c(left)}" y1="{_c(bottom)}" x2="{_c(right)}" y2="{_c(bottom)}" stroke="{MUTED}" '
        'stroke-width="1"/>'
        f'<text class="axis-label" x="{_c((left + right) / 2)}" y="{_c(bottom + 40)}" text-anchor="middle" '
        f'fill="{TEXT}">{escape(value_label)}</text></g>'
    )
    out.append('<g class="bars">')
    for i, ((bar, value, lo, hi), text) in enumerate(zip(rows, texts, strict=True)):
        cy = top + i * BAR_ROW + BAR_ROW / 2
        full = " ".join(bar.label.split())
        what = f"{full}: {text}"
        state = "suppressed" if value is None else "shown"
        data_value = "" if value is None else f' data-value="{value:.6f}"'
        out.append(
            f'<g class="bar bar-{state}" data-index="{i}"{data_value}><title>{escape(what)}</title>'
            f'<text class="bar-label" x="{_c(BAR_LABEL_WIDTH - 8)}" y="{_c(cy + 4.5)}" text-anchor="end" '
            f'fill="{TEXT}">{escape(_clip(bar.label, BAR_LABEL_MAX))}</text>'
        )
        if value is None:
            anchor, tx = ("start", x0 + 6) if x0 <= (left + right) / 2 else ("end", x0 - 6)
            out.append(
                f'<text class="suppressed" x="{_c(tx)}" y="{_c(cy + 4.5)}" text-anchor="{anchor}" '
                f'font-size="{SMALL}" font-style="italic" fill="{MUTED}">{escape(text)}</text></g>'
            )
            continue
        xv = x_of(value)
        if abs(xv - x0) >= 0.05:
            out.append(
                f'<rect class="bar-rect" x="{_c(min(x0, xv))}" y="{_c(cy - BAR_HEIGHT / 2)}" '
                f'width="{_c(abs(xv - x0))}" height="{_c(BAR_HEIGHT)}" fill="{BAR_FILL}"/>'
            )
        end = xv
        if lo is not None and hi is not None:
            xl, xh = x_of(lo), x_of(hi)
            d = (
                f"M{_c(xl)} {_c(cy)}L{_c(xh)} {_c(cy)}M{_c(xl)} {_c(cy - 6)}L{_c(xl)} {_c(cy + 6)}"
                f"M{_c(xh)} {_c(cy - 6)}L{_c(xh)} {_c(cy + 6)}"
            )
            out.append(
                f'<path class="whisker-halo" d="{d}" fill="none" stroke="{HALO}" stroke-width="3.5"/>'
                f'<path class="whisker" d="{d}" fill="none" stroke="{TEXT}" stroke-width="1.6"/>'
            )
            end = xl if value < 0 else xh
        if value < 0:
            anchor, tx = "end", min(end, xv) - 6
        else:
            anchor, tx = "start", max(end, xv) + 6
        out.append(
            f'<text class="bar-value" x="{_c(tx)}" y="{_c(cy + 4.5)}" text-anchor="{anchor}" font-size="{SMALL}" '
            f'fill="{TEXT}">{escape(text)}</text></g>'
        )
    out.append("</g>")
    if zero_line:
        out.append(
            f'<line class="zero-line" x1="{_c(x0)}" y1="{_c(top - 4)}" x2="{_c(x0)}" y2="{_c(bottom)}" '
            f'stroke="{TEXT}" stroke-width="1.5"/>'
        )
    if interval_label:
        y = bottom + 52 + LEGEND_ROW / 2
        d = f"M16 {_c(y)}L56 {_c(y)}M16 {_c(y - 6)}L16 {_c(y + 6)}M56 {_c(y - 6)}L56 {_c(y + 6)}"
        out.append(
            f'<g class="legend"><path d="{d}" fill="none" stroke="{TEXT}" stroke-width="1.6"/>'
            f'<text x="68" y="{_c(y + 4.5)}" fill="{TEXT}">{escape(_clip(interval_label, LEGEND_TEXT_MAX))}</text></g>'
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # every value above is escaped or a number


# --- lines over periods ----------------------------------------------------------------------------------------


def line_chart(
    series: Sequence[LineSeries],
    categories: Sequence[str],
    *,
    chart_id: str,
    title: str,
    desc: str,
    y_label: str,
    gap_note: str = "",
) -> SafeString:
    """Values over periods as an inline <svg>: one line with markers per series, a gap where a value is None.

    `gap_note`, if given, is written under the legend when some value is missing ("A gap: too few to show")."""
    cid = _check_id(chart_id)
    n = len(categories)
    values = [_finite(v) for s in series for v in s.values[:n]]
    known = [v for v in values if v is not None]
    integers = all(float(v).is_integer() for v in known)
    ticks = nice_ticks(min([0.0, *known]), max([0.0, *known]), integers=integers)
    has_gap = any(v is None for v in values) or any(len(s.values) < n for s in series)
    left, right, top = 64.0, WIDTH - 24.0, 40.0
    bottom = top + PLOT_HEIGHT
    slot = (right - left) / max(n, 1)
    label_width = max((_width(c) for c in categories), default=0.0)
    every = max(1, math.ceil((label_width + 8) / slot))  # show every n-th period's name if they do not all fit
    legend_top = bottom + 48
    rows = len(series) + (1 if gap_note and has_gap else 0)
    height = legend_top + rows * LEGEND_ROW + 8

    def x_of(i: int) -> float:
        return left + slot * (i + 0.5)

    def y_of(v: float) -> float:
        return bottom - (bottom - top) * (v - ticks.lo) / (ticks.hi - ticks.lo)

    out = [_open(cid, "line", WIDTH, height, title, desc, f' data-series="{len(series)}"')]
    out.append(_y_axis(ticks, left, right, {v: y_of(v) for v in ticks.values}, y_label, top))
    out.append('<g class="axis axis-x">')
    for i, category in enumerate(categories):
        x = x_of(i)
        out.append(
            f'<line class="tick" x1="{_c(x)}" y1="{_c(bottom)}" x2="{_c(x)}" y2="{_c(bottom + 5)}" stroke="{MUTED}" '
            'stroke-width="1"/>'
        )
        if i % every == 0:
            out.append(
                f'<text class="tick-label" x="{_c(x)}" y="{_c(bottom + 20)}" text-anchor="middle" '
                f'font-size="{SMALL}" fill="{TEXT}">{escape(category)}</text>'
            )
    out.append(
        f'<line x1="{_c(left)}" y1="{_c(bottom)}" x2="{_c(right)}" y2="{_c(bottom)}" stroke="{MUTED}" '
        'stroke-width="1"/></g>'
    )
    out.append('<g class="lines">')
    for k, s in enumerate(series):
        colour, dash, shape = _style(k)
        vals = [_finite(s.values[i]) if i < len(s.values) else None for i in range(n)]
        d, pen = "", False
        for i, v in enumerate(vals):
            if v is None:
                pen = False
                continue
            d += ("L" if pen else "M") + f"{_c(x_of(i))} {_c(y_of(v))}"
            pen = True
        out.append(f'<g class="line-series" data-series="{k}"><title>{escape(s.label)}</title>')
        if "L" in d:
            out.append(
                f'<path class="series-line" d="{d}" fill="none" stroke="{colour}" stroke-width="{LINE_WIDTH}"'
                f'{_dash(dash)} stroke-linejoin="round"/>'
            )
        out.extend(_marker(shape, x_of(i), y_of(v), colour) for i, v in enumerate(vals) if v is not None)
        out.append("</g>")
    out.append("</g>")
    out.append('<g class="legend">')
    for k, s in enumerate(series):
        out.append(_legend_row(legend_top + k * LEGEND_ROW, k, s.label))
    if gap_note and has_gap:
        y = legend_top + len(series) * LEGEND_ROW
        out.append(
            f'<text class="gap-note" x="16" y="{_c(y + 4.5)}" font-style="italic" fill="{MUTED}">'
            f"{escape(_clip(gap_note, LEGEND_TEXT_MAX + 10))}</text>"
        )
    out.append("</g></svg>")
    return mark_safe("".join(out))  # every value above is escaped or a number


__all__ = ["Bar", "LineSeries", "StepSeries", "bar_chart", "line_chart", "nice_ticks", "survival_chart"]
