"""The ecomap: the person in the centre, their ties on three rings by closeness, drawn as inline SVG on the server.

A pure function of its input: the same ties give the same SVG, byte for byte, whatever order they come in (they are
sorted here), so a map can be tested by its structure and compared between dates. Nothing is fetched or computed
about the person; the caller (network/selectors.py) decides which ties the viewer may see.

How it reads, without colour:

- **closeness** is the ring: 3 (closest) the inner ring, 2 the middle, 1 the outer;
- **formal or informal** is the side and the shape: informal ties (family, friends, peers, mentors) on the left as
  circles, formal ties (the team's organisations, professionals) on the right as squares;
- **valence** is the line's style and a word under the label: supportive a solid thick line, risk a dashed line,
  ambivalent a dash-dot line, unknown a thin dotted line. Colour only repeats what the style says.

A legend inside the SVG says the same, so a printed map explains itself; the text table beside it on the page is
the accessible version of the whole map.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

SIZE = 760  # the rings' square; the labels get room on either side, the legend below
MARGIN = 170
WIDTH = SIZE + 2 * MARGIN
CX, CY = WIDTH / 2, SIZE / 2  # the person
RINGS = {3: 125.0, 2: 215.0, 1: 305.0}  # closeness -> radius
LEGEND_HEIGHT = 96
LABEL_MAX = 22  # characters of a label drawn; the whole label is in the node's <title> and in the table

VALENCES = ("supportive", "risk", "ambivalent", "unknown")
STYLE = {  # valence -> (stroke colour, width, dash pattern)
    "supportive": ("#1b6e3a", 4.0, ""),
    "risk": ("#a1122a", 3.0, "10 6"),
    "ambivalent": ("#7a5000", 3.0, "12 4 2 4"),
    "unknown": ("#595959", 2.0, "2 5"),
}


@dataclass(frozen=True)
class Tie:
    key: str  # stable opaque id: a contact's public id, or "org:<slug>" for a team organisation
    label: str  # a contact's label or initials, or an organisation's name
    relation_label: str  # translated: "Mor", "Venn", "Skole"
    formal: bool
    valence: str  # supportive | risk | ambivalent | unknown
    closeness: int  # 1..3, 3 = closest
    frequency_label: str = ""  # translated, may be empty


def valence_labels() -> dict[str, str]:
    return {
        "supportive": _("supportive"),
        "risk": _("risk"),
        "ambivalent": _("ambivalent"),
        "unknown": _("unknown"),
    }


@dataclass(frozen=True)
class Placed:
    tie: Tie
    x: float
    y: float
    angle: float  # degrees, 0 = right, counter-clockwise positive (screen y grows downwards)


def _normal(tie: Tie) -> Tie:
    closeness = tie.closeness if tie.closeness in RINGS else 1
    valence = tie.valence if tie.valence in STYLE else "unknown"
    if (closeness, valence) == (tie.closeness, tie.valence):
        return tie
    return Tie(tie.key, tie.label, tie.relation_label, tie.formal, valence, closeness, tie.frequency_label)


def _order(tie: Tie) -> tuple[object, ...]:
    return (tie.relation_label.casefold(), tie.label.casefold(), tie.key)


def layout(ties: Sequence[Tie]) -> list[Placed]:
    """Place every tie: informal on the left half, formal on the right. Within a side every tie gets its own
    angle, the rings taking turns (closest first), so that no line from the centre runs through another tie's
    node; within a ring the order is fixed (relation, label, key). Pure and deterministic."""
    placed: list[Placed] = []
    for formal in (False, True):
        rings: dict[int, list[Tie]] = {}
        for tie in map(_normal, ties):
            if tie.formal == formal:
                rings.setdefault(tie.closeness, []).append(tie)
        for group in rings.values():
            group.sort(key=_order)
        sequence: list[Tie] = []
        for i in range(max((len(g) for g in rings.values()), default=0)):
            sequence.extend(rings[c][i] for c in (3, 2, 1) if c in rings and i < len(rings[c]))
        n = len(sequence)
        # A half circle from 100° to 260° (left) or from 80° down to -80° (right), top and bottom left free.
        start, span = (100.0, 160.0) if not formal else (80.0, -160.0)
        for i, tie in enumerate(sequence):
            angle = start + span * (i + 0.5) / n
            rad = math.radians(angle)
            x = CX + RINGS[tie.closeness] * math.cos(rad)
            y = CY - RINGS[tie.closeness] * math.sin(rad)
            placed.append(Placed(tie, round(x, 1), round(y, 1), round(angle, 2)))
    return placed


def _text(value: str, limit: int = LABEL_MAX) -> str:
    value = " ".join(value.split())
    return escape(value if len(value) <= limit else value[: limit - 1] + "…")


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def render_ecomap(
    ties: Sequence[Tie], *, person_label: str, title: str, desc: str = "", id_prefix: str = "ecomap"
) -> SafeString:
    """The ecomap as an inline <svg> element (role img, labelled by its title and description)."""
    labels = valence_labels()
    p = escape(id_prefix)
    height = SIZE + LEGEND_HEIGHT
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ecomap" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{p}-title {p}-desc" data-ties="{len(ties)}" '
        'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">',
        f'<title id="{p}-title">{escape(title)}</title>',
        f'<desc id="{p}-desc">{escape(desc)}</desc>',
        '<g class="rings" aria-hidden="true">',
    ]
    ring_names = {3: _("close"), 2: _("medium"), 1: _("distant")}
    for closeness, radius in RINGS.items():
        out.append(
            f'<circle class="ring" data-closeness="{closeness}" cx="{_num(CX)}" cy="{_num(CY)}" '
            f'r="{_num(radius)}" fill="none" stroke="#b5b5b5" stroke-width="1" stroke-dasharray="1 4"/>'
            f'<text class="ring-label" x="{_num(CX)}" y="{_num(CY - radius - 6)}" text-anchor="middle" '
            f'font-size="12" fill="#595959">{escape(ring_names[closeness])}</text>'
        )
    informal, formal = _("Informal"), _("Formal")
    out.append(
        f'<text class="side-label" x="{_num(CX - RINGS[1])}" y="24" text-anchor="middle" font-size="13" '
        f'fill="#333">{escape(informal)} ◯</text>'
        f'<text class="side-label" x="{_num(CX + RINGS[1])}" y="24" text-anchor="middle" font-size="13" '
        f'fill="#333">{escape(formal)} ▢</text>'
    )
    out.append("</g>")
    placed = layout(ties)
    out.append('<g class="ties">')
    for pl in placed:
        t = pl.tie
        colour, width, dash = STYLE[t.valence]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        kind = "formal" if t.formal else "informal"
        what = f"{t.label} ({t.relation_label}): {labels[t.valence]}"
        if t.frequency_label:
            what += f", {t.frequency_label}"
        out.append(
            f'<g class="tie tie-{kind} valence-{t.valence}" data-key="{escape(t.key)}" data-valence="{t.valence}" '
            f'data-closeness="{t.closeness}" data-formal="{str(t.formal).lower()}">'
            f"<title>{escape(what)}</title>"
            f'<line class="tie-line" x1="{_num(CX)}" y1="{_num(CY)}" x2="{_num(pl.x)}" y2="{_num(pl.y)}" '
            f'stroke="{colour}" stroke-width="{_num(width)}"{dash_attr} stroke-linecap="butt"/>'
        )
        if t.formal:
            out.append(
                f'<rect class="node" x="{_num(pl.x - 14)}" y="{_num(pl.y - 14)}" width="28" height="28" rx="3" '
                f'fill="#ffffff" stroke="#1a1a1a" stroke-width="2"/>'
            )
        else:
            out.append(
                f'<circle class="node" cx="{_num(pl.x)}" cy="{_num(pl.y)}" r="15" fill="#ffffff" '
                f'stroke="#1a1a1a" stroke-width="2"/>'
            )
        # The label goes outside the node, away from the centre.
        rad = math.radians(pl.angle)
        anchor = "start" if math.cos(rad) > 0.35 else "end" if math.cos(rad) < -0.35 else "middle"
        lx = pl.x + 22 * math.cos(rad)
        ly = pl.y - 22 * math.sin(rad) + (4 if anchor != "middle" else (14 if math.sin(rad) < 0 else -16))
        out.append(
            f'<text class="tie-label" x="{_num(lx)}" y="{_num(ly)}" text-anchor="{anchor}" font-size="13" '
            f'fill="#1a1a1a"><tspan class="tie-name" font-weight="bold">{_text(t.label)}</tspan>'
            f'<tspan class="tie-relation" x="{_num(lx)}" dy="15">{_text(t.relation_label)}</tspan>'
            f'<tspan class="tie-valence" x="{_num(lx)}" dy="15" fill="{colour}">{escape(labels[t.valence])}</tspan>'
            "</text></g>"
        )
    out.append("</g>")
    out.append(
        f'<g class="person"><circle cx="{_num(CX)}" cy="{_num(CY)}" r="34" fill="#0b2e4f"/>'
        f'<text x="{_num(CX)}" y="{_num(CY + 5)}" text-anchor="middle" font-size="14" font-weight="bold" '
        f'fill="#ffffff">{_text(person_label, 12)}</text></g>'
    )
    out.append(_legend(labels))
    out.append("</svg>")
    return mark_safe("".join(out))  # every value above is escaped or a number


def _legend(labels: dict[str, str]) -> str:
    y0 = SIZE + 18
    parts = [f'<g class="legend" transform="translate({MARGIN} {y0})">']
    for i, valence in enumerate(VALENCES):
        colour, width, dash = STYLE[valence]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        x = 24 + i * 178
        parts.append(
            f'<line x1="{x}" y1="10" x2="{x + 48}" y2="10" stroke="{colour}" stroke-width="{_num(width)}"{dash_attr}/>'
            f'<text x="{x + 56}" y="14" font-size="13" fill="#1a1a1a">{escape(labels[valence])}</text>'
        )
    informal, formal, inner = _("informal tie"), _("formal tie"), _("inner ring: closest")
    parts.append(
        '<circle cx="38" cy="48" r="10" fill="#ffffff" stroke="#1a1a1a" stroke-width="2"/>'
        f'<text x="56" y="52" font-size="13" fill="#1a1a1a">{escape(informal)}</text>'
        '<rect x="192" y="38" width="20" height="20" rx="3" fill="#ffffff" stroke="#1a1a1a" stroke-width="2"/>'
        f'<text x="220" y="52" font-size="13" fill="#1a1a1a">{escape(formal)}</text>'
        f'<text x="380" y="52" font-size="13" fill="#1a1a1a">{escape(inner)}</text>'
    )
    parts.append("</g>")
    return "".join(parts)
