"""The ecomap's structure, not its pixels: the same ties give the same drawing in any order; each tie sits on the
ring of its closeness, on the side of its kind, with the line style and the word of its valence; text is escaped."""

from __future__ import annotations

import math
import random
import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from utvei.network.ecomap import CX, CY, RINGS, STYLE, Tie, layout, render_ecomap

NS = {"s": "http://www.w3.org/2000/svg"}

TIES = [
    Tie("c1", "Mor", "Forelder", False, "supportive", 3, "Daglig"),
    Tie("c2", "J.K.", "Venn i miljøet", False, "risk", 2, "Ukentlig"),
    Tie("c3", "Onkel", "Annen slekt", False, "ambivalent", 1),
    Tie("c4", "Trener", "Trener", False, "unknown", 2),
    Tie("org:nav", "NAV Fjordvik", "NAV", True, "unknown", 2),
    Tie("org:skole", "Fjordvik skole", "Skole", True, "supportive", 3),
    Tie("c5", "Mentor", "Mentor", False, "supportive", 3),
]


def svg(ties=TIES, **kw):
    kw.setdefault("person_label", "Eline")
    kw.setdefault("title", "Nettverkskart")
    with translation.override("en"):
        return str(render_ecomap(ties, **kw))


def tree(text: str) -> ET.Element:
    return ET.fromstring(text)  # well-formed XML, or this raises


def tie_groups(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-key"): g for g in root.iter(f"{{{NS['s']}}}g") if g.get("data-key")}


def test_the_same_ties_in_any_order_give_the_same_svg():
    first = svg()
    for seed in range(5):
        shuffled = list(TIES)
        random.Random(seed).shuffle(shuffled)
        assert svg(shuffled) == first


def test_it_is_an_image_labelled_by_its_title_and_description():
    root = tree(svg(desc="7 relasjoner", id_prefix="map-a"))
    assert root.get("role") == "img" and root.get("aria-labelledby") == "map-a-title map-a-desc"
    assert root.find("s:title", NS).text == "Nettverkskart" and root.find("s:title", NS).get("id") == "map-a-title"
    assert root.find("s:desc", NS).text == "7 relasjoner"
    assert root.get("data-ties") == "7"


def test_every_tie_sits_on_the_ring_of_its_closeness_and_the_side_of_its_kind():
    root = tree(svg())
    groups = tie_groups(root)
    assert set(groups) == {t.key for t in TIES}
    for t in TIES:
        g = groups[t.key]
        line = g.find("s:line", NS)
        x, y = float(line.get("x2")), float(line.get("y2"))
        assert math.hypot(x - CX, y - CY) == pytest.approx(RINGS[t.closeness], abs=0.2)
        assert (x > CX) == t.formal  # formal on the right, informal on the left
        node = g.find("s:rect", NS) if t.formal else g.find("s:circle", NS)
        assert node is not None  # squares for formal ties, circles for informal ones
        assert g.get("data-closeness") == str(t.closeness) and g.get("data-formal") == str(t.formal).lower()


def test_valence_is_a_line_style_and_a_word_not_only_a_colour():
    root = tree(svg())
    groups = tie_groups(root)
    dashes = set()
    for t in TIES:
        g = groups[t.key]
        line = g.find("s:line", NS)
        colour, width, dash = STYLE[t.valence]
        assert (line.get("stroke-dasharray") or "") == dash and float(line.get("stroke-width")) == width
        words = "".join(g.find("s:text", NS).itertext())
        assert t.label in words and t.relation_label in words and t.valence in words  # the valence in words
        dashes.add((dash, width))
    assert len(dashes) == 4  # four valences, four line styles
    legend = "".join(next(g for g in root.iter(f"{{{NS['s']}}}g") if g.get("class") == "legend").itertext())
    for word in ("supportive", "risk", "ambivalent", "unknown", "formal tie", "informal tie"):
        assert word in legend


def test_ties_on_one_ring_and_side_do_not_share_a_place():
    many = [Tie(f"k{i}", f"Venn {i}", "Venn", False, "supportive", 2) for i in range(12)]
    points = {(p.x, p.y) for p in layout(many)}
    assert len(points) == 12


def test_labels_are_escaped_and_long_ones_shortened():
    evil = Tie("c9", '<script>alert("x")</script> & en veldig lang etikett', "Venn", False, "risk", 1)
    text = svg([evil])
    assert "<script>" not in text and "&lt;script&gt;" in text
    root = tree(text)  # still well-formed
    name = next(t for t in root.iter(f"{{{NS['s']}}}tspan") if t.get("class") == "tie-name").text
    assert name.endswith("…") and len(name) <= 22
    title = tie_groups(root)["c9"].find("s:title", NS).text
    assert '<script>alert("x")</script> & en veldig lang etikett' in title  # whole, as text


def test_unknown_values_are_drawn_as_unknown_on_the_outer_ring():
    odd = Tie("c1", "X", "Venn", False, "hostile", 7)
    g = tie_groups(tree(svg([odd])))["c1"]
    assert g.get("data-valence") == "unknown" and g.get("data-closeness") == "1"


def test_an_empty_network_is_the_person_alone():
    root = tree(svg([]))
    assert tie_groups(root) == {} and root.get("data-ties") == "0"
    person = next(g for g in root.iter(f"{{{NS['s']}}}g") if g.get("class") == "person")
    assert "Eline" in "".join(person.itertext())
