"""Humans judge: ratings never change a case's phase, its visibility to anyone, or its place in a list, and no
output carries a score or a rank (docs/decisions/0004-no-risk-scores.md)."""

from __future__ import annotations

from typing import Any

import pytest

from utvei.access import policy
from utvei.assessments import services
from utvei.cases import selectors as case_selectors
from utvei.cases.models import Case
from utvei.cases.selectors import CaseFilters

from .helpers import case_in_assessment, final, start


def _world_view(world: Any) -> dict[str, Any]:
    """Everything ratings must not touch: each case's phase, track and version, every membership's visible
    cases, and the order of every membership's case list (all, mine, including closed)."""
    view: dict[str, Any] = {
        "cases": sorted(Case.objects.values_list("pk", "phase", "track", "version", "lead_id", "owning_org_id"))
    }
    for username, m in world.m.items():
        view[f"visible:{username}"] = sorted(policy.visible_cases(m).values_list("pk", flat=True))
        for name, f in {
            "all": CaseFilters(),
            "mine": CaseFilters(mine=True),
            "closed": CaseFilters(include_closed=True),
        }.items():
            qs = case_selectors.case_list(actor=m, filters=f, audit=False)
            view[f"list:{name}:{username}"] = list(qs.values_list("pk", flat=True))
    return view


@pytest.fixture
def cases(world):
    a = case_in_assessment(world)
    b = case_in_assessment(world, team=("ola",), mentor=False)
    c = world.open_case(name="Tredje Person")
    return a, b, c


def test_ratings_never_change_phase_visibility_or_order(world, cases):
    a, b, _c = cases
    before = _world_view(world)
    # The most alarming ratings on one case, the mildest on another, by two organisations.
    final(world, a, rating="present")
    final(world, b, rating="not_present")
    final(world, a, by="per", rating="present", classification="police")
    draft = start(world, b)
    services.assessment_update(
        actor=world.m["ola"],
        assessment=draft,
        expected_version=draft.version,
        items=[services.ItemInput(code, rating="present") for code in draft.instrument_version.item_codes()],
        summary_level="high",
    )
    assert _world_view(world) == before
    # And a reassessment that flips every rating changes nothing either.
    final(world, b, rating="present", header={"summary_level": "high"})
    assert _world_view(world) == before


def _keys(data: Any) -> set[str]:
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in _keys(v)}
    if isinstance(data, list):
        return {k for v in data for k in _keys(v)}
    return set()


def test_no_response_carries_a_score_or_a_rank(world, cases):
    a, _b, _c = cases
    first = final(world, a, rating="present")
    second = final(world, a, rating="partly")
    api = world.api("kari")
    base = f"/api/v1/cases/{a.public_id}/assessments/"
    payloads = [
        api.get(base).json(),
        api.get(f"{base}{first.public_id}/").json(),
        api.get(f"{base}{second.public_id}/").json(),
        api.get(f"{base}{second.public_id}/compare/").json(),
    ]
    keys = {k.lower() for p in payloads for k in _keys(p)}
    assert not {k for k in keys if "score" in k or "rank" in k or "total" in k or "weight" in k}
    detail = payloads[1]
    assert detail["summary_level"] == "moderate"  # what the assessor entered, nothing derived
    assert "not a score" in detail["descriptive_counts"]["note"].lower() or "ikke en poengsum" in (
        detail["descriptive_counts"]["note"].lower()
    )


def test_no_model_stores_a_score_and_only_the_display_counts_ratings():
    """A guard on the code itself: no table has a score, rank or weight column, and the only module that counts
    assessment ratings is assessments/display.py, whose per-domain counts are labelled descriptive."""
    from pathlib import Path

    from django.apps import apps

    words = ("score", "rank", "weight", "risk_level", "points")
    columns = [
        f"{m._meta.label}.{f.name}" for m in apps.get_models() for f in m._meta.get_fields() if hasattr(f, "column")
    ]
    assert [c for c in columns if any(w in c.lower() for w in words)] == []
    src = Path(services.__file__).resolve().parents[1]
    counting = []
    for path in src.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        reads_ratings = "AssessmentItem" in text or "assessment_items" in text or ".items.filter(rating" in text
        if reads_ratings and any(f in text for f in ("Sum(", "Avg(", "sum(", "Counter(", "statistics.")):
            counting.append(str(path.relative_to(src)))
    assert counting == ["assessments/display.py"], counting
