"""The charts' structure, not their pixels: well-formed SVG images labelled by their title and description, the
same input giving the same bytes, suppression shown and never drawn as zero, negative bars left of the zero line,
survival curves that only go down, escaped text, and every series named in the legend."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from utvei.evaluation.charts import (
    SERIES,
    Bar,
    LineSeries,
    StepSeries,
    bar_chart,
    line_chart,
    nice_ticks,
    survival_chart,
)

S = "{http://www.w3.org/2000/svg}"
NS = {"s": "http://www.w3.org/2000/svg"}
EVIL = '<script>alert("x")</script> & Co'

KM = [
    StepSeries(
        "Fullført plan", [(3.0, 0.9, 0.8, 0.97), (7.0, 0.8, 0.68, 0.9), (12.0, 0.62, 0.5, 0.75), (24, 0.62, None, None)]
    ),
    StepSeries("Avbrutt", [(5.0, 0.6, 0.4, 0.8), (2.0, 0.85, 0.7, 0.95), (9.0, 0.4, 0.2, 0.6)]),  # any order
    StepSeries("Ingen oppfølging", []),
]
BARS = [
    Bar("Skole eller arbeid", 0.42, 0.1, 0.7, "n = 34"),
    Bar("Bolig og økonomi, en svært lang etikett som må kuttes i tegningen", -0.31, -0.6, 0.05),
    Bar("Psykisk helse", None, note="n < 5"),
    Bar("Nettverk", 0.0),
    Bar("Ideologisk tilknytning", -0.8),
]
LINES = [
    LineSeries("Åpnet", [3, 5, None, 8, 6]),
    LineSeries("Avsluttet", [1, None, 2, 4, 5]),
]
PERIODS = ["2024 K1", "2024 K2", "2024 K3", "2024 K4", "2025 K1"]


def survival(series=KM, **kw) -> str:
    kw.setdefault("chart_id", "km")
    kw.setdefault("title", "Tid til tilbakefall")
    kw.setdefault("desc", "To grupper, målt i måneder")
    kw.setdefault("x_label", "Måneder")
    kw.setdefault("y_label", "Andel uten tilbakefall")
    kw.setdefault("empty_note", "(for få til å vises)")
    with translation.override("en"):
        return str(survival_chart(series, **kw))


def bars(items=BARS, **kw) -> str:
    kw.setdefault("chart_id", "bars")
    kw.setdefault("title", "Endring fra start")
    kw.setdefault("desc", "Gjennomsnittlig endring per område")
    kw.setdefault("value_label", "Endring i skår")
    kw.setdefault("suppressed_text", "skjult")
    with translation.override("en"):
        return str(bar_chart(items, **kw))


def lines(series=LINES, categories=PERIODS, **kw) -> str:
    kw.setdefault("chart_id", "lines")
    kw.setdefault("title", "Saker per kvartal")
    kw.setdefault("desc", "Åpnet og avsluttet")
    kw.setdefault("y_label", "Antall saker")
    with translation.override("en"):
        return str(line_chart(series, categories, **kw))


def tree(text: str) -> ET.Element:
    return ET.fromstring(text)  # well-formed XML, or this raises


def by_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in root.iter() if cls in (e.get("class") or "").split()]


def text_of(e: ET.Element) -> str:
    return "".join(e.itertext())


def path_points(d: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(r"[ML](-?[\d.]+) (-?[\d.]+)", d)]


ALL = [
    ("survival", survival),
    ("bars", bars),
    ("lines", lines),
]


@pytest.mark.parametrize(("name", "draw"), ALL)
def test_every_chart_is_an_image_labelled_by_its_own_title_and_description(name, draw):
    text = draw(chart_id=f"{name}-1", title="Tittel", desc="Beskrivelse")
    root = tree(text)
    assert root.tag == f"{S}svg" and root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{name}-1-title {name}-1-desc"
    title, desc = root.find("s:title", NS), root.find("s:desc", NS)
    assert title.get("id") == f"{name}-1-title" and title.text == "Tittel"
    assert desc.get("id") == f"{name}-1-desc" and desc.text == "Beskrivelse"
    assert root.get("width") == "100%" and re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox"))
    # Nothing scripted, nothing fetched: no scripts, no links out, no external fonts or images.
    assert not [e for e in root.iter() if e.tag in (f"{S}script", f"{S}image", f"{S}style", f"{S}foreignObject")]
    assert "http" not in text.replace("http://www.w3.org/2000/svg", "") and "@import" not in text
    assert "sans-serif" in root.get("font-family")


@pytest.mark.parametrize(("name", "draw"), ALL)
def test_the_same_input_gives_the_same_bytes(name, draw):
    assert draw() == draw()


def test_two_charts_on_one_page_have_different_ids():
    a, b = tree(survival(chart_id="km-a")), tree(survival(chart_id="km-b"))
    ids = lambda root: {e.get("id") for e in root.iter() if e.get("id")}  # noqa: E731
    assert ids(a) and not ids(a) & ids(b)  # the band patterns too


def test_a_chart_id_must_be_a_valid_id():
    with pytest.raises(ValueError):
        survival(chart_id='x" onload="alert(1)')


@pytest.mark.parametrize(("name", "draw"), ALL)
def test_colours_are_dark_enough_on_white(name, draw):
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    root = tree(draw())
    for e in root.iter():
        colour = e.get("fill") if e.tag == f"{S}text" else None
        if colour:
            assert 1.05 / (luminance(colour) + 0.05) >= 4.5, colour  # text: 4.5:1
    for colour, _dash, _marker in SERIES:
        assert 1.05 / (luminance(colour) + 0.05) >= 4.5  # lines and marks: well over 3:1


# --- survival --------------------------------------------------------------------------------------------------


def test_a_step_curve_starts_at_one_and_only_goes_down():
    root = tree(survival())
    curves = {g.get("data-series"): g for g in by_class(root, "km-series")}
    assert set(curves) == {"0", "1"}  # the empty series draws nothing
    for g in curves.values():
        points = path_points(by_class(g, "km-line")[0].get("d"))
        ys = [y for _x, y in points]
        xs = [x for x, _y in points]
        assert ys == sorted(ys)  # SVG's y grows downwards: the survival value never increases
        assert xs == sorted(xs)  # time only moves on
        # Steps: every segment is horizontal or vertical.
        assert all(a[0] == b[0] or a[1] == b[1] for a, b in zip(points, points[1:], strict=False))
    first = path_points(by_class(curves["1"], "km-line")[0].get("d"))
    top = min(float(t.get("y1")) for t in by_class(root, "grid"))
    assert first[0][1] == top  # (0, 1): the top gridline is 1.0


def test_the_curve_follows_the_points_and_stops_at_the_last_one():
    root = tree(survival([StepSeries("A", [(5.0, 0.5, None, None), (10.0, 0.5, None, None)])], x_max=20))
    points = path_points(by_class(root, "km-line")[0].get("d"))
    assert len(points) == 4  # (0,1) → (5,1) → (5,0.5) → (10,0.5)
    (x0, y1), (x5, _), (_, y05), (x10, _) = points
    assert x10 - x0 == pytest.approx(2 * (x5 - x0), abs=0.2)  # x is linear in time
    y0 = max(float(g.get("y1")) for g in by_class(root, "grid"))  # the gridline at 0.0
    assert y05 == pytest.approx((y0 + y1) / 2, abs=0.2)  # y is linear in the estimate
    labels = [text_of(t) for t in by_class(by_class(root, "axis-x")[0], "tick-label")]
    assert labels[0] == "0" and labels[-1] == "20"  # no tick past x_max


def test_points_after_x_max_are_cut_at_x_max():
    root = tree(survival([StepSeries("A", [(5.0, 0.5, 0.4, 0.6), (30.0, 0.2, 0.1, 0.3)])], x_max=10))
    points = path_points(by_class(root, "km-line")[0].get("d"))
    band = path_points(by_class(root, "km-band")[0].get("d"))
    right = max(float(g.get("x2")) for g in by_class(root, "grid"))
    assert max(x for x, _ in points) == pytest.approx(right) and max(x for x, _ in band) <= right


def test_an_increasing_estimate_is_an_error_not_a_drawing():
    with pytest.raises(ValueError, match="increases"):
        survival([StepSeries("A", [(1.0, 0.5, None, None), (2.0, 0.7, None, None)])])


def test_each_series_has_a_hatched_band_of_its_own_and_a_line_style_of_its_own():
    root = tree(survival(band_label="95 % konfidensintervall"))
    bands = by_class(root, "km-band")
    assert {b.get("data-series") for b in bands} == {"0", "1"}
    fills = {b.get("data-series"): b.get("fill") for b in bands}
    assert fills == {"0": "url(#km-band-0)", "1": "url(#km-band-1)"}
    patterns = {p.get("id"): p.get("patternTransform") for p in root.iter(f"{S}pattern")}
    assert patterns["km-band-0"] != patterns["km-band-1"]
    lines_ = [by_class(g, "km-line")[0] for g in by_class(root, "km-series")]
    assert len({(ln.get("stroke-dasharray") or "") for ln in lines_}) == 2
    markers = [by_class(g, "marker")[0].get("data-shape") for g in by_class(root, "km-series")]
    assert len(set(markers)) == 2
    assert "95 % konfidensintervall" in text_of(by_class(root, "legend")[0])


def test_a_series_with_no_points_is_in_the_legend_with_the_note():
    root = tree(survival())
    legend = by_class(root, "legend")[0]
    items = {g.get("data-series"): g for g in by_class(legend, "legend-item")}
    assert set(items) == {"0", "1", "2"}
    assert text_of(items["0"]).strip() == "Fullført plan"
    assert "Ingen oppfølging (for få til å vises)" in text_of(items["2"])
    assert "empty" in items["2"].get("class").split()
    assert not [g for g in by_class(root, "km-series") if g.get("data-series") == "2"]


def test_survival_text_is_escaped():
    text = survival([StepSeries(EVIL, [(1.0, 0.5, None, None)])], title=EVIL, x_label=EVIL)
    assert "<script>" not in text and "&lt;script&gt;" in text
    root = tree(text)
    assert root.find("s:title", NS).text == EVIL
    assert EVIL in text_of(by_class(root, "legend")[0])


# --- bars ------------------------------------------------------------------------------------------------------


def bar_groups(root: ET.Element) -> list[ET.Element]:
    return sorted(by_class(root, "bar"), key=lambda g: int(g.get("data-index")))


def test_a_suppressed_bar_shows_the_text_and_no_bar():
    root = tree(bars())
    suppressed = bar_groups(root)[2]
    assert "bar-suppressed" in suppressed.get("class").split() and suppressed.get("data-value") is None
    assert [t for t in by_class(suppressed, "suppressed") if text_of(t) == "skjult (n < 5)"]
    assert all(float(r.get("width")) == 0 for r in suppressed.iter(f"{S}rect"))
    assert not by_class(suppressed, "bar-value") and not by_class(suppressed, "whisker")


def test_negative_bars_lie_left_of_the_zero_line_and_positive_ones_right():
    root = tree(bars())
    zero = float(by_class(root, "zero-line")[0].get("x1"))
    for bar, g in zip(BARS, bar_groups(root), strict=True):
        rects = list(g.iter(f"{S}rect"))
        if bar.value is None or bar.value == 0:
            assert not rects
            continue
        (rect,) = rects
        x, width = float(rect.get("x")), float(rect.get("width"))
        assert width > 0
        if bar.value < 0:
            assert x + width == pytest.approx(zero, abs=0.1)
            value_text = by_class(g, "bar-value")[0]
            assert float(value_text.get("x")) < x and value_text.get("text-anchor") == "end"
        else:
            assert x == pytest.approx(zero, abs=0.1)


def test_bar_lengths_are_proportional_to_the_values():
    root = tree(bars([Bar("a", 1.0), Bar("b", 2.0), Bar("c", -0.5)]))
    widths = [float(next(g.iter(f"{S}rect")).get("width")) for g in bar_groups(root)]
    assert widths[1] == pytest.approx(2 * widths[0], abs=0.2) and widths[2] == pytest.approx(widths[0] / 2, abs=0.2)


def test_every_bar_prints_its_value_and_note_and_shows_its_interval():
    root = tree(bars(decimals=2))
    groups = bar_groups(root)
    assert text_of(by_class(groups[0], "bar-value")[0]) == "0.42 (n = 34)"
    assert text_of(by_class(groups[1], "bar-value")[0]) == "-0.31"
    assert text_of(by_class(groups[3], "bar-value")[0]) == "0.00"  # a zero is printed, not hidden
    assert by_class(groups[0], "whisker") and by_class(groups[1], "whisker") and not by_class(groups[4], "whisker")
    whisker = path_points(by_class(groups[1], "whisker")[0].get("d"))
    zero = float(by_class(root, "zero-line")[0].get("x1"))
    assert min(x for x, _ in whisker) < zero < max(x for x, _ in whisker)  # -0.6 .. 0.05 crosses zero


def test_numbers_follow_the_active_locale():
    with translation.override("nb"):
        text = str(bar_chart([Bar("a", 0.25)], chart_id="b", title="t", desc="d", value_label="v", decimals=2))
    assert ">0,25<" in text


def test_long_labels_are_cut_in_the_drawing_and_whole_in_the_title():
    root = tree(bars())
    g = bar_groups(root)[1]
    shown = text_of(by_class(g, "bar-label")[0])
    assert shown.endswith("…") and len(shown) <= 32
    assert BARS[1].label in g.find("s:title", NS).text


def test_bar_text_is_escaped():
    text = bars([Bar(EVIL, 1.0, note=EVIL), Bar("x", None)], suppressed_text=EVIL, value_label=EVIL)
    assert "<script>" not in text and "&lt;script&gt;" in text
    root = tree(text)
    assert EVIL in bar_groups(root)[0].find("s:title", NS).text
    assert EVIL in text_of(by_class(root, "suppressed")[0])


def test_the_zero_line_can_be_left_out_and_all_suppressed_still_draws():
    root = tree(bars([Bar("a", None), Bar("b", None)], zero_line=False))
    assert not by_class(root, "zero-line") and len(by_class(root, "suppressed")) == 2
    assert not by_class(root, "bar-rect")


# --- lines over periods ----------------------------------------------------------------------------------------


def test_a_suppressed_value_is_a_gap_in_the_line():
    root = tree(lines())
    series = {g.get("data-series"): g for g in by_class(root, "line-series")}
    opened = series["0"]
    d = by_class(opened, "series-line")[0].get("d")
    assert d.count("M") == 2  # 3, 5 | gap | 8, 6
    assert len(path_points(d)) == 4 and len(by_class(opened, "marker")) == 4
    closed = series["1"]
    d = by_class(closed, "series-line")[0].get("d")
    assert d.count("M") == 2 and len(path_points(d)) == 4  # 1 | gap | 2, 4, 5: the first a marker alone


def test_series_differ_by_marker_and_dash_and_are_named_in_the_legend():
    root = tree(lines(gap_note="Brudd i linjen: for få til å vises"))
    shapes = [{m.get("data-shape") for m in by_class(g, "marker")} for g in by_class(root, "line-series")]
    assert all(len(s) == 1 for s in shapes) and shapes[0] != shapes[1]
    dashes = {ln.get("stroke-dasharray") or "" for ln in by_class(root, "series-line")}
    assert len(dashes) == 2
    legend = text_of(by_class(root, "legend")[0])
    assert "Åpnet" in legend and "Avsluttet" in legend and "Brudd i linjen" in legend


def test_counts_get_whole_ticks_and_higher_values_are_higher():
    root = tree(lines([LineSeries("A", [1, 7])], ["a", "b"]))
    labels = [text_of(t) for t in by_class(by_class(root, "axis-y")[0], "tick-label")]
    assert all(label.isdigit() for label in labels)
    (a, b) = path_points(by_class(root, "series-line")[0].get("d"))
    assert b[1] < a[1]


def test_line_text_is_escaped():
    text = lines([LineSeries(EVIL, [1, 2])], [EVIL, "b"], y_label=EVIL)
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert EVIL in text_of(by_class(tree(text), "legend")[0])


def test_nice_ticks_are_round():
    assert nice_ticks(0, 0.37).values == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert nice_ticks(-0.8, 0.7).values == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert nice_ticks(0, 12, integers=True).values == [0.0, 5.0, 10.0, 15.0]
    assert nice_ticks(0, 0).values == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
