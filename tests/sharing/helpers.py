"""Helpers for the consent and disclosure tests."""

from __future__ import annotations

from typing import Any

from utvei.audit.models import AuditEvent
from utvei.cases.models import Case
from utvei.people.models import AgeBand


def seq() -> int:
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0


def events_since(n: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=n).order_by("seq"))


def set_age(case: Case, band: str = AgeBand.UNDER_15) -> Case:
    case.person.age_band = band
    case.person.save(update_fields=["age_band"])
    return case


def assert_no_content(events: list[AuditEvent], *texts: str) -> None:
    """Audit rows name who, what, which case: none of the free text written into the record."""
    for e in events:
        row = " ".join(str(v) for v in (e.object_type, e.object_id, e.reason, e.case_id, e.action))
        for text in texts:
            assert text not in row, (text, row)


def consent_kw(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "given_by": "person",
        "scope_org_slugs": ["skole"],
        "scope_kinds": [],
        "categories": ["plan"],
        "purposes": ["coordination"],
        "evidence": "signed_form",
        "evidence_note": "Signert skjema i arkivet",
    }
    return {**base, **kw}
