"""Retention, restriction (sperring), legal holds and the person's requests: this part of THE policy (see
policy.py; docs/retention.md).

A case out of active use is in no list for anyone (`policy.visible_parts`, `visible_q`) and looks missing on every
page and in the API (`policy.relation` → `restricted_relation`). A restricted one is read only by:

- its **case lead**, on the ordinary case pages and in the API, read-only, while an opening for a stated reason is
  in force (`restricted_open_decision`, then `policy.restricted_relation`);
- the **DPO** of the owning organisation, on the case's retention page, while an opening is in force.

Every read under an opening is audited with the reason code (`policy.read_reason`).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership
from utvei.accounts.roles import Cap, has_cap
from utvei.cases.models import RESTRICTED_STATES, Case, RetentionState

from .policy import FULL_RELATIONS, Decision, base_relation, membership_ok, restricted_read_in_force

_NOT_YOURS = _("Only the data protection officer or the case lead can do this.")


def is_dpo_of(m: Membership | None, case: Case) -> bool:
    """Is the principal a current data protection officer of the organisation that owns the case?"""
    return (
        membership_ok(m)
        and m is not None
        and has_cap(m.role, Cap.AUDIT_READ)
        and m.organisation_id == case.owning_org_id
    )


def is_case_lead(m: Membership | None, case: Case) -> bool:
    """Is the principal the case lead, working on it (a full relation, as if the case were in active use)?"""
    if m is None or case.lead_id != m.user_id:
        return False
    rel, _records = base_relation(m, case)
    return rel in FULL_RELATIONS


def _owner_coordinator(m: Membership | None, case: Case) -> bool:
    return (
        membership_ok(m)
        and m is not None
        and has_cap(m.role, Cap.CASE_MANAGE)
        and m.organisation_id == case.owning_org_id
    )


def retention_page_decision(m: Membership | None, case: Case) -> Decision:
    """May the principal see the case's retention page (state, rule, holds, requests — never content)? The DPO of
    the owning organisation, the case lead and the owning organisation's coordinators."""
    if is_dpo_of(m, case) or is_case_lead(m, case) or _owner_coordinator(m, case):
        return Decision(True, "retention", _("You answer for this case's retention."), {"membership": m.pk if m else 0})
    return Decision(False, "retention", _NOT_YOURS)


def hold_decision(m: Membership | None, case: Case) -> Decision:
    """May the principal set or lift a legal hold on the case? The DPO or a coordinator of the owning organisation,
    whatever the case's state (a hold is about the case, not its content)."""
    if case.retention_state == RetentionState.ANONYMISED:
        return Decision(False, "state", _("The case is anonymised: there is nothing left to hold."))
    if is_dpo_of(m, case) or _owner_coordinator(m, case):
        return Decision(
            True, "hold", _("You may set and lift legal holds on this case."), {"membership": m.pk if m else 0}
        )
    return Decision(
        False, "hold", _("Only the data protection officer or a coordinator of the owning organisation can do this.")
    )


def restricted_open_decision(m: Membership | None, case: Case) -> Decision:
    """May the principal open this restricted case for a stated reason? The DPO of the owning organisation and the
    case lead; only a restricted (or archived and restricted) case."""
    if case.retention_state not in RESTRICTED_STATES:
        return Decision(False, "state", _("The case is not restricted."))
    if is_dpo_of(m, case) or is_case_lead(m, case):
        return Decision(True, "restricted", _("You may read this restricted case for a stated reason."))
    return Decision(False, "restricted", _NOT_YOURS)


def restricted_content_decision(m: Membership | None, case: Case) -> Decision:
    """May the principal read the content of this restricted case now: allowed to open it, and opened for a reason
    that is still in force. The records carry the opening, for the audit reason."""
    allowed = restricted_open_decision(m, case)
    if not allowed or m is None:
        return allowed
    opened = restricted_read_in_force(m, case)
    if opened is None:
        return Decision(False, "reason", _("State why you read this restricted case first."))
    return Decision(
        True,
        "restricted",
        _("You opened this restricted case for a stated reason."),
        {"restricted_read": str(opened.public_id), "restricted_code": opened.reason_code},
    )


def person_request_decision(m: Membership | None, case: Case) -> Decision:
    """May the principal register and answer the person's requests on this case — rectification (GDPR art. 16),
    restriction (art. 18) and its lifting? The case lead and the DPO of the owning organisation, in any state but
    anonymised."""
    if case.retention_state == RetentionState.ANONYMISED:
        return Decision(False, "state", _("The case is anonymised: it no longer holds who the person is."))
    if is_dpo_of(m, case) or is_case_lead(m, case):
        return Decision(
            True, "request", _("You handle the person's requests on this case."), {"membership": m.pk if m else 0}
        )
    return Decision(False, "request", _NOT_YOURS)


def retention_scope(m: Membership | None) -> QuerySet[Case]:
    """The cases whose retention the principal answers for, for the retention overview: a DPO's or a coordinator's
    — those their organisation owns; anyone else's — the cases they lead. Only state, rule and holds are shown."""
    if not membership_ok(m) or m is None:
        return Case.objects.none()
    if has_cap(m.role, Cap.AUDIT_READ) or has_cap(m.role, Cap.CASE_MANAGE):
        return Case.objects.filter(Q(owning_org_id=m.organisation_id) | Q(lead_id=m.user_id))
    if has_cap(m.role, Cap.CASE_READ):
        return Case.objects.filter(lead_id=m.user_id)
    return Case.objects.none()
