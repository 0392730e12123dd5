"""Who may record and read outcome data, follow up a closed case, and see statistics: the evaluation part of THE
policy (see policy.py, docs/evaluation.md).

Reading a measurement or an outcome event is the entry rule itself (`policy.entry_decision`): its classification,
its author's organisation and its data category (the indicator's, or the event kind's), with a basis from the
author's organisation — exactly as a timeline entry. A record the viewer may not read is left out of lists, and
its existence shows only as a restricted marker to those who see markers for entries.

Recording (`record_decision`): coordinators and caseworkers with a full relation to the case (team, or the owning
organisation's coordinator), on an open case. A closed case stays open for follow-up recording — without
reopening it — for its lead and for the named owner of a pending follow-up: measurements and outcome events
recorded through the follow-up (`follow_up_decision`). Emergency access and referral recipients only read.

Statistics (`analytics_decision`): the analyst role only; every other role is told the page does not exist.
What an analyst's figures are computed over (`analytics_org_ids`) is their own organisation's cases, or, for an
evaluation their organisation has joined, the cases of every member organisation. Analysts never read a row.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership
from utvei.accounts.roles import Cap, has_cap
from utvei.cases.models import Case
from utvei.evaluation.models import Evaluation

from .policy import (
    FULL_RELATIONS,
    CaseAccess,
    Decision,
    Relation,
    entry_decision,
    membership_ok,
    writable_classifications,
)


def read_decision(ca: CaseAccess, record: Any) -> Decision:
    """May the principal read this measurement or outcome event? The entry rule, with the record's category."""
    return entry_decision(ca, record)


def _writer(ca: CaseAccess) -> Decision | None:
    m = ca.membership
    if not (has_cap(m.role, Cap.CASE_READ_FULL) and has_cap(m.role, Cap.ENTRY_WRITE)):
        return Decision(False, "capability", _("Only coordinators and caseworkers record outcomes."))
    if ca.relation == Relation.EMERGENCY:
        return Decision(False, "relation", _("Emergency access is for reading only."))
    if ca.relation not in FULL_RELATIONS:
        return Decision(False, "relation", _("You joined this case through a referral, in a limited role."))
    return None


def record_decision(ca: CaseAccess) -> Decision:
    """May the principal record measurements and outcome events on this case now (outside a follow-up)?"""
    refused = _writer(ca)
    if refused is not None:
        return refused
    if ca.case.is_closed:
        return Decision(False, "closed", _("The case is closed. Record what you learn through one of its follow-ups."))
    return Decision(True, "relation", _("You work on this case's team."), dict(ca.records))


def follow_up_decision(ca: CaseAccess, follow_up: Any) -> Decision:
    """May the principal record this follow-up (held or missed, with measurements and outcome events)? The case's
    lead and the follow-up's named owner may, also after the case is closed; nobody once it is recorded."""
    refused = _writer(ca)
    if refused is not None:
        return refused
    user_id = ca.membership.user_id
    if user_id not in {ca.case.lead_id, follow_up.owner_id}:
        return Decision(False, "follow_up", _("Only the case lead and the follow-up's owner record it."))
    if follow_up.status != "pending":
        return Decision(False, "follow_up", _("This follow-up has been recorded."))
    return Decision(True, "follow_up", _("You lead this case or own this follow-up."), dict(ca.records))


def follow_up_owner_decision(ca: CaseAccess) -> Decision:
    """May the principal name the owner of the case's follow-ups? A coordinator with a full relation, also after
    closure."""
    m = ca.membership
    if not has_cap(m.role, Cap.CASE_MANAGE):
        return Decision(False, "capability", _("Only a coordinator can do this."))
    if ca.relation not in FULL_RELATIONS:
        return Decision(False, "relation", _("You joined this case through a referral, in a limited role."))
    return Decision(True, "relation", _("You coordinate this case."), dict(ca.records))


def follow_ups_visible(ca: CaseAccess) -> bool:
    """Follow-ups (dates, status, owner) are part of the case as coordinators and caseworkers see it."""
    return ca.full


def record_classifications(m: Membership) -> list[str]:
    """The classifications a principal may give a measurement or an event: compartments they can read."""
    return writable_classifications(m)


# ---- Statistics ----------------------------------------------------------------------------------------


def analytics_decision(m: Membership | None) -> Decision:
    """May the principal see statistics at all? The analyst role only (404 for everyone else)."""
    if not membership_ok(m) or m is None or not has_cap(m.role, Cap.STATS_READ):
        return Decision(False, "capability", _("Not found."))
    return Decision(True, "capability", _("Your role gives you aggregated statistics."), {"membership": m.pk})


def evaluation_manage_decision(m: Membership | None) -> Decision:
    """May the principal record an evaluation agreement and join or leave it for their organisation?"""
    if not membership_ok(m) or m is None or not has_cap(m.role, Cap.ORG_ADMIN):
        return Decision(False, "capability", _("Only an organisation administrator can do this."))
    return Decision(True, "capability", _("You administer your organisation."), {"membership": m.pk})


def joined_evaluations(m: Membership) -> QuerySet[Any]:
    """The evaluations the principal's organisation is a member of now, in force today."""
    today = timezone.localdate()
    return Evaluation.objects.filter(
        members__organisation_id=m.organisation_id,
        members__left_at__isnull=True,
        starts_on__lte=today,
        ends_on__gte=today,
    ).distinct()


def analytics_org_ids(m: Membership | None, evaluation: Any = None) -> list[int]:
    """The organisations whose cases a principal's statistics pool: their own, or every current member of an
    evaluation their organisation has joined. Empty when they may not see statistics (or that evaluation)."""
    if not analytics_decision(m) or m is None:
        return []
    if evaluation is None:
        return [m.organisation_id]
    if not joined_evaluations(m).filter(pk=evaluation.pk).exists():
        return []
    return sorted(evaluation.members.filter(left_at__isnull=True).values_list("organisation_id", flat=True))


def analytics_cases(m: Membership | None, evaluation: Any = None) -> QuerySet[Case]:
    """The cases the principal's statistics are computed over (only ever aggregated: see evaluation/analytics.py)."""
    orgs = analytics_org_ids(m, evaluation)
    return Case.objects.filter(owning_org_id__in=orgs) if orgs else Case.objects.none()
