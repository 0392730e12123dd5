"""Helpers for the assessment tests: a case in the assessment phase, and filling in an assessment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from utvei.assessments import services
from utvei.assessments.models import Assessment
from utvei.audit.models import AuditEvent
from utvei.cases import services as case_services
from utvei.cases.models import Case, Phase, TeamRole

EVIDENCE = "Samtale 3. mars: sa selv at han vil ut"
SUMMARY = "SAMMENFATNING-HEMMELIG"


def case_in_assessment(world: Any, *, team: tuple[str, ...] = ("ola", "per", "nils"), mentor: bool = True) -> Case:
    """kari's case in the assessment phase, with the named users on the team (and consents for their orgs)."""
    case = world.open_case()
    for username in team:
        world.add(case, username)
    if mentor:
        world.add(case, "mona", role=TeamRole.MENTOR)
    return case_services.case_transition(actor=world.m["kari"], case=case, to_phase=Phase.ASSESSMENT)


def start(world: Any, case: Case, by: str = "ola", **kw: Any) -> Assessment:
    return services.assessment_create(actor=world.m[by], case=case, instrument_key="utvei-open", **kw)


def fill(world: Any, a: Assessment, by: str = "ola", rating: str = "present", **header: Any) -> Assessment:
    """Rate every item (with evidence and confidence) and write the summary: ready to finalise."""
    items = [
        services.ItemInput(code=c, rating=rating, confidence="medium", evidence=f"{EVIDENCE} ({c})")
        for c in a.instrument_version.item_codes()
    ]
    fields: dict[str, Any] = {
        "summary_level": "moderate",
        "summary_judgement": SUMMARY,
        "formulation": "Formulering",
        "scenarios": "Scenarier",
        "management": "Tiltak: mentor og jobb",
        "reassessment_due": dt.date.today() + dt.timedelta(days=90),
    }
    if a.previous_id:
        fields["changes_since_last"] = "Mindre kontakt med miljøet"
    fields.update(header)
    return services.assessment_update(
        actor=world.m[by], assessment=a, expected_version=a.version, items=items, **fields
    )


def final(
    world: Any, case: Case, by: str = "ola", rating: str = "present", header: Any = None, **kw: Any
) -> Assessment:
    """Start (with **kw), fill in (with `header` fields) and finalise an assessment."""
    a = fill(world, start(world, case, by=by, **kw), by=by, rating=rating, **(header or {}))
    return services.assessment_finalise(actor=world.m[by], assessment=a, expected_version=a.version)


def seq() -> int:
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0


def events_since(n: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=n).order_by("seq"))
