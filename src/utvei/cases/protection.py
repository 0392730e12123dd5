"""Protected identities (sperret adresse; issue 14, deliverable 5): setting and lifting the flag on a case's person,
and naming the team members who may read the identity. Who may do it and who reads it is the policy's
(`access.policy.protection_decision`, `identity_shielded`, `copy_scope`, `listed_names`); docs/people.md.

Every change is audited (`identity.protect`, `identity.unprotect`, `identity.reader_name`,
`identity.reader_remove`) with no content: the reason is stored encrypted on the `ProtectionChange`, never in the
log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access import policy
from utvei.access.policy import CaseAccess
from utvei.access.policy import require as _require
from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.core.errors import Conflict, NotFound, UtveiError
from utvei.core.validation import clean_text
from utvei.people.models import Person

from .models import Case, IdentityReader, ProtectionChange, TeamMember

REASON_MAX = 2000


class Protected:
    """The answers to "does the person have a protected identity?" asked at triage."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"
    VALUES = (YES, NO, UNKNOWN)


def _reason(reason: Any) -> str:
    return clean_text(reason if isinstance(reason, str) else "", _("Reason"), required=True, max_length=REASON_MAX)


def protection_set(*, actor: Membership, case: Case, protected: bool, reason: str) -> ProtectionChange:
    """Set (or lift) the protected identity of the case's person, with a required reason. The case lead or a
    coordinator of the owning organisation (`policy.protection_decision`). Setting it when it is set already, or
    lifting it when it is not, is a Conflict (someone else got there first)."""
    ca = policy.case_access(actor, case)
    if ca is None:
        raise NotFound(_("The case was not found."))
    _require(policy.protection_decision(ca))
    if not isinstance(protected, bool):
        raise UtveiError(_("Say whether the identity is protected."), code="invalid")
    text = _reason(reason)
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=case.person_id)
        if person.protected_identity == protected:
            raise Conflict(
                _("The identity is protected already.") if protected else _("The identity is not protected.")
            )
        person.protected_identity = protected
        person.save(update_fields=["protected_identity"])
        if Case.person.is_cached(case):
            case.person.protected_identity = protected
        change = ProtectionChange.objects.create(
            case=case,
            person=person,
            protected=protected,
            reason=text,
            changed_by=actor.user,
            changed_by_org=actor.organisation,
        )
        audit_by(
            actor,
            Action.IDENTITY_PROTECT if protected else Action.IDENTITY_UNPROTECT,
            obj=person,
            case=case,
        )
    return change


def identity_reader_name(*, actor: Membership, case: Case, member_id: Any) -> IdentityReader:
    """Name a current team member of the case to read the protected identity. Naming one already named is a
    Conflict; a row that is not on the team (or the lead, who reads it anyway) is refused."""
    ca = _managed(actor, case)
    member = _member(case, member_id)
    if not policy.identity_reader_allowed(member):
        raise UtveiError(_("The case lead reads the identity already."), code="lead")
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).first()
        if IdentityReader.objects.filter(member=member, removed_at__isnull=True).exists():
            raise Conflict(_("That team member is named already."))
        reader = IdentityReader.objects.create(case=case, member=member, named_by=actor.user)
        audit_by(actor, Action.IDENTITY_READER_NAME, obj=member, object_id=str(member.pk), case=ca.case)
    return reader


def identity_reader_remove(*, actor: Membership, case: Case, member_id: Any) -> IdentityReader:
    """Stop a named team member from reading the protected identity. The row is kept with who and when."""
    ca = _managed(actor, case)
    member = _member(case, member_id, current=False)
    with transaction.atomic():
        reader = IdentityReader.objects.select_for_update().filter(member=member, removed_at__isnull=True).first()
        if reader is None:
            raise Conflict(_("That team member is not named."))
        reader.removed_at = timezone.now()
        reader.removed_by = actor.user
        reader.save(update_fields=["removed_at", "removed_by"])
        audit_by(actor, Action.IDENTITY_READER_REMOVE, obj=member, object_id=str(member.pk), case=ca.case)
    return reader


def _managed(actor: Membership, case: Case) -> CaseAccess:
    ca = policy.case_access(actor, case)
    if ca is None:
        raise NotFound(_("The case was not found."))
    _require(policy.protection_decision(ca))
    return ca


def _member(case: Case, member_id: Any, *, current: bool = True) -> TeamMember:
    try:
        pk = int(member_id)
    except (TypeError, ValueError):
        pk = 0
    rows = TeamMember.objects.current() if current else TeamMember.objects.all()
    member = rows.filter(case=case, pk=pk).select_related("user", "organisation").first() if pk > 0 else None
    if member is None:
        raise UtveiError(_("Choose a member of the team."), code="not_on_team")
    return member


# ---- Selectors -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProtectionState:
    """What the protection page shows: the flag, its history, the team with who is named."""

    protected: bool
    history: list[ProtectionChange]
    team: list[tuple[TeamMember, bool]]  # (current team row, named?)
    readers: list[IdentityReader]  # every naming, removed ones too


def protection_state(ca: CaseAccess) -> ProtectionState:
    """For those who may manage the protection (`policy.protection_decision`): the caller checks."""
    case = ca.case
    # This case's changes only: the person's other cases may belong to other organisations, and so do their reasons.
    history = list(ProtectionChange.objects.filter(case=case).select_related("changed_by", "changed_by_org"))
    readers = list(
        IdentityReader.objects.filter(case=case).select_related(
            "member__user", "member__organisation", "named_by", "removed_by"
        )
    )
    named = {r.member_id for r in readers if r.removed_at is None}
    team = list(TeamMember.objects.current().filter(case=case).select_related("user", "organisation"))
    rows = [(t, t.pk in named) for t in team if policy.identity_reader_allowed(t)]
    return ProtectionState(policy.is_protected(case), history, rows, readers)
