"""Every read of instruments and assessments. Assessments are read through `access` and audited.

Instruments are not case data (there is nothing about any person in them): any current membership reads them,
unaudited, like the catalogue of legal bases. Loading them is audited (services.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from utvei.access import assessments as access
from utvei.access import policy
from utvei.access.policy import CaseAccess, Decision, membership_ok
from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.cases.selectors import case_get
from utvei.core.errors import Forbidden, NotFound
from utvei.core.validation import parse_uuid as _uuid

from . import display
from .models import Assessment, AssessmentItem, AssessmentSkip, AssessmentStatus, Instrument, InstrumentVersion

# ---- Instruments ---------------------------------------------------------------------------------------


def instrument_list(*, actor: Membership | None) -> QuerySet[Instrument]:
    """Active instruments, each with its versions (newest first); two queries however many."""
    if not membership_ok(actor):
        return Instrument.objects.none()
    versions = InstrumentVersion.objects.order_by("-version")
    return Instrument.objects.filter(active=True).prefetch_related(Prefetch("versions", queryset=versions))


def instrument_get(*, actor: Membership | None, key: str, version: int | None = None) -> InstrumentVersion:
    """One version of an active instrument: the newest, or the one asked for."""
    qs = InstrumentVersion.objects.select_related("instrument").filter(instrument__key=key, instrument__active=True)
    if version is not None:
        qs = qs.filter(version=version)
    found = qs.order_by("-version").first() if membership_ok(actor) else None
    if found is None:
        raise NotFound(_("There is no such instrument."))
    return found


# ---- Assessments of a case -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentRow:
    """An assessment as the principal sees it: in full when `readable`, else only as a restricted marker."""

    ca: CaseAccess
    assessment: Assessment
    decision: Decision

    @property
    def readable(self) -> bool:
        return self.decision.allowed


def _assessments(ca: CaseAccess) -> QuerySet[Assessment]:
    return (
        Assessment.objects.filter(case=ca.case)
        .select_related("instrument_version__instrument", "author", "author_org", "finalised_by")
        .order_by("-created_at", "-pk")
    )


def case_assessments(ca: CaseAccess) -> list[AssessmentRow]:
    """Every assessment of the case: readable ones in full, the others as markers; none for mentors.

    One query however many (the case's consents and disclosures are loaded once per request by `ca`).
    """
    if not ca.full:
        return []
    rows = [AssessmentRow(ca, a, access.assessment_decision(ca, a)) for a in _assessments(ca)]
    return [r for r in rows if r.readable or r.decision.restricted_marker]


def case_skips(ca: CaseAccess) -> list[AssessmentSkip]:
    """Recorded reasons for planning without an assessment: case management, shown with the phase history."""
    if "phase_history" not in policy.header_scope(ca):
        return []
    return list(AssessmentSkip.objects.filter(case=ca.case).select_related("recorded_by", "recorded_by_org"))


def assessment_list(*, actor: Membership | None, case_id: Any) -> tuple[CaseAccess, list[AssessmentRow]]:
    """The case's assessments (API list): one `assessment.list` event. Mentors are refused."""
    ca = case_get(actor=actor, case_id=case_id, audit=False)
    if not ca.full:
        raise Forbidden(_("Mentors do not see assessments."))
    audit_by(actor, Action.ASSESSMENT_LIST, object_type="case", object_id=str(ca.case.public_id), case=ca.case)
    return ca, case_assessments(ca)


def assessment_get(
    *,
    actor: Membership | None,
    case_id: Any,
    assessment_id: Any,
    audit: bool = True,
    audit_action: str = Action.ASSESSMENT_VIEW,
) -> AssessmentRow:
    """One assessment of the case. Missing, unrelated and (for mentors) forbidden all raise NotFound, audited.

    A team member who may not read it gets its marker (`readable` False). audit=False is for writes: the
    service that follows writes the request's one event.
    """
    ca = case_get(actor=actor, case_id=case_id, audit=False)
    pk = _uuid(assessment_id)
    assessment = _assessments(ca).filter(public_id=pk).first() if pk else None
    decision = access.assessment_decision(ca, assessment) if assessment is not None else None
    if assessment is None or decision is None or not (decision or decision.restricted_marker):
        audit_by(actor, Action.CASE_DENIED, object_type="assessment", object_id=str(pk or "")[:64], case=ca.case)
        raise NotFound(_("The assessment was not found."))
    if audit:
        audit_by(actor, audit_action, obj=assessment, case=ca.case, reason="" if decision else "restricted")
    return AssessmentRow(ca, assessment, decision)


def items_of(assessment: Assessment) -> list[AssessmentItem]:
    return list(assessment.items.order_by("position"))


def domains(row: AssessmentRow) -> list[display.DomainBlock]:
    """The readable assessment's domains and items; nothing for a marker."""
    if not row.readable:
        return []
    return display.domain_blocks(row.assessment.instrument_version, items_of(row.assessment))


def assessors(row: AssessmentRow) -> list[Any]:
    if not row.readable:
        return []
    return list(row.assessment.assessors.order_by("username"))


@dataclass(frozen=True)
class Comparison:
    previous: Assessment | None
    previous_readable: bool
    changes: list[display.ItemChange]

    @property
    def changed(self) -> list[display.ItemChange]:
        return [c for c in self.changes if c.changed]


def comparison(row: AssessmentRow) -> Comparison:
    """The readable assessment against the previous final one (if the principal may read that one too)."""
    a = row.assessment
    if not row.readable or a.previous_id is None:
        return Comparison(None, False, [])
    previous = _assessments(row.ca).filter(pk=a.previous_id, status=AssessmentStatus.FINAL).first()
    if previous is None or not access.assessment_decision(row.ca, previous):
        return Comparison(previous, False, [])
    changes = display.compare(a.instrument_version, items_of(a), previous.instrument_version, items_of(previous))
    return Comparison(previous, True, changes)


def previous_items(row: AssessmentRow) -> dict[str, display.ItemLine]:
    """The previous assessment's items by code, to show beside a draft's ("last time: ..."); empty if unreadable."""
    comp = comparison(row)
    return {c.code: c.before for c in comp.changes if c.before is not None}


def revision_count(row: AssessmentRow) -> int:
    return row.assessment.revisions.count() if row.readable else 0
