"""Who may read, start, edit and finalise assessments, and record planning without one.

An assessment is an item of a case like a timeline entry: it has an author, an author organisation, a
classification and the data category `assessment`. Reading it is the entry decision (`policy.entry_decision`):
classification compartments, the author's own organisation, then the sharing gate (consent or disclosure of the
category `assessment`). On top of that:

- mentors never read assessments (their role reads only mentor and participant items, and an assessment can
  never be classified so);
- a draft is shared only when it is finalised: until then only the author organisation reads it, and the rest
  of the team sees that it exists (a restricted marker);
- only the author organisation edits a draft, and a final assessment is never changed (a correction is a new
  assessment);
- an emergency access reads, never writes;
- co-assessors are named from the team, never a mentor (`co_assessor_allowed`, `co_assessors_on_team`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership
from utvei.accounts.roles import Cap, has_cap
from utvei.cases.models import Case, TeamMember, TeamRole

from . import policy
from .policy import CaseAccess, Decision, Relation

# The classifications an assessment may have (assessments.models.ASSESSMENT_CLASSIFICATIONS, kept here too so
# that the policy does not import the assessments app).
ASSESSMENT_CLASSIFICATIONS = ("team", "own_org", "police", "health")

_REASONS = {
    "author": _("You wrote this assessment."),
    "own_org": _("Your organisation made this assessment."),
    "classification": _("The classification of this assessment does not include you."),
}


def assessment_decision(ca: CaseAccess, assessment: policy.CaseItem) -> Decision:
    """May the principal read this assessment? Makes no queries once the case's bases are loaded."""
    m = ca.membership
    if not ca.full:
        return Decision(False, "capability", _("Mentors do not see assessments."))
    if getattr(assessment, "case_id", None) != ca.case.pk:
        return Decision(False, "relation", _("No relation to this case."))
    if getattr(assessment, "status", "") != "final" and m.organisation_id != assessment.author_org_id:
        return Decision(
            False,
            "draft",
            _("This assessment is a draft. It is shared with the team when it is finalised."),
            restricted_marker=True,
        )
    decision = policy.entry_decision(ca, assessment)
    reason = _REASONS.get(decision.step)
    if reason is None:
        return decision
    return Decision(decision.allowed, decision.step, reason, decision.records, decision.restricted_marker)


def may_create(ca: CaseAccess) -> Decision:
    """May the principal start an assessment of this case? Coordinators and caseworkers, not under emergency."""
    m = ca.membership
    if not (ca.full and has_cap(m.role, Cap.ENTRY_WRITE)):
        return Decision(False, "capability", _("Only coordinators and caseworkers make assessments."))
    if ca.relation == Relation.EMERGENCY:
        return Decision(False, "relation", _("Emergency access is for reading only."))
    if ca.case.is_closed:
        return Decision(False, "closed", _("The case is closed."))
    return Decision(True, "capability", _("Your role allows this."), dict(ca.records))


def may_edit(ca: CaseAccess, assessment: policy.CaseItem) -> Decision:
    """May the principal change (or finalise) this assessment? The author organisation, while it is a draft."""
    read = assessment_decision(ca, assessment)
    if not read:
        return Decision(False, "edit", _("You cannot edit this assessment."))
    if getattr(assessment, "status", "") != "draft":
        return Decision(
            False, "final", _("A final assessment cannot be changed. To correct it, make a new assessment.")
        )
    if assessment.author_org_id != ca.membership.organisation_id:
        return Decision(False, "edit", _("Only the organisation that made an assessment can edit it."))
    create = may_create(ca)
    if not create:
        return create
    return read


def may_record_skip(m: Membership, ca: CaseAccess) -> Decision:
    """Recording why planning starts without an assessment is a phase decision: the coordinators'."""
    return policy.can(m, policy.Act.CASE_MANAGE, ca.case)


def assessment_classifications(m: Membership) -> list[str]:
    """The classifications this principal may give an assessment: compartments they could read themselves."""
    if not (has_cap(m.role, Cap.CASE_READ_FULL) and has_cap(m.role, Cap.ENTRY_WRITE)):
        return []
    return [c for c in policy.writable_classifications(m) if c in ASSESSMENT_CLASSIFICATIONS]


def co_assessor_allowed(member: Any) -> bool:
    """May this current team row be named a co-assessor? Anyone on the team but a mentor (mentors never see
    assessments)."""
    return member.role != TeamRole.MENTOR


def co_assessors_on_team(case: Case, user_ids: Iterable[Any]) -> set[Any]:
    """Of these users, those on the case's team now in a role that may co-assess. One query."""
    return set(
        TeamMember.objects.current()
        .filter(case=case, user_id__in=list(user_ids))
        .exclude(role=TeamRole.MENTOR)
        .values_list("user_id", flat=True)
    )
