"""What a data protection officer oversees (docs/oversight.md): the unusual-access alerts they review and the
accesses a per-person report shows them.

A DPO is the data protection officer of one controller, their organisation. They answer for two things, as on the
audit page (`oversight.selectors._scope`) and in the emergency-access review (`sharing.emergency_review_scope`):

- what the organisation's own staff did, acting for it — on any case;
- what anyone did to a case the organisation owns (it is the controller of that case's data).

So an alert is in a DPO's queue when it is about a user acting for their organisation, or about a case their
organisation owns; a per-person report shows, of the person's cases, every access to those their organisation owns
and its own staff's accesses to the others. The person themself can be looked up by a DPO when their organisation
owns one of the person's cases, has (or had) someone on the team of one, or opened one with emergency access.
Anything outside is not found (404).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from utvei.accounts.models import Membership
from utvei.cases.models import Case

from .policy import Act, can


def oversees(m: Membership | None) -> bool:
    """The DPO's oversight pages and endpoints at all: the audit capability (role `dpo`)."""
    return m is not None and bool(can(m, Act.AUDIT_READ))


def owned_case_ids(m: Membership, among: Iterable[str] | None = None) -> list[str]:
    """The public ids (as the audit log writes them) of the cases the DPO's organisation owns; `among` narrows."""
    qs = Case.objects.filter(owning_org_id=m.organisation_id)
    if among is not None:
        qs = qs.filter(public_id__in=list(among))
    return [str(u) for u in qs.values_list("public_id", flat=True)]


def alert_scope(m: Membership) -> Q:
    """The alerts (oversight.AccessAlert) in a DPO's queue: about their organisation's staff, or a case it owns."""
    owned = Case.objects.filter(owning_org_id=m.organisation_id).values_list("public_id", flat=True)
    return Q(organisation_id=m.organisation_id) | Q(case_public_id__in=[str(u) for u in owned])


def report_person_q(m: Membership) -> Q:
    """The persons a DPO may open an access report on: one of their cases is owned by the DPO's organisation, has
    (or had) a team member from it, or was opened with emergency access by its staff."""
    org = m.organisation_id
    return (
        Q(cases__owning_org_id=org)
        | Q(cases__team__organisation_id=org)
        | Q(cases__emergency_accesses__organisation_id=org)
    )


def report_event_q(m: Membership, case_ids: list[str], person_id: str) -> Q:
    """The audit events of a per-person report a DPO sees: on the person's cases (`case_ids`) and on the person
    record itself, every event on a case their organisation owns (and on the person, when it owns one of their
    cases), and their own staff's events on the rest."""
    owned = owned_case_ids(m, among=case_ids)
    about = Q(case_id__in=case_ids) | Q(object_type="person", object_id=person_id)
    mine = Q(actor_org_id=m.organisation_id)
    if owned:
        mine |= Q(case_id__in=owned) | Q(object_type="person", object_id=person_id)
    return about & mine
