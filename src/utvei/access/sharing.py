"""Who may see and do what with referrals, transfers and emergency access, and who answers for them: the sharing
part of THE policy (see policy.py, docs/referrals.md, docs/emergency-access.md).

Referrals and transfers (`sharing/referrals/services.py` asks these):

- sending is `can(…, Act.REFERRAL_SEND)` / `Act.TRANSFER_SEND` (policy.py);
- the receiving organisation's coordinators answer (`referral_recipient`, `referral_deciders`); the sender and the
  sending organisation's coordinators withdraw (`referral_sender_side`); coordinators and caseworkers of the
  receiving organisation may be named to join the team (`referral_joiners`), in the limited team role `referral`;
- a referral is seen by those, by the person it named, and by the case's team and owner with a full relation
  (`referral_visible`, `referral_incoming_q`, `referral_outgoing_q`); a case's referrals only with a full relation
  and a full-read role (`referrals_read_decision`);
- a referral on the basis of consent needs an active consent covering the recipient for every category
  (`consent_missing`);
- after a transfer the old owner's people leave the team unless kept, a kept lead goes on in their organisation's
  role, and the new owner's referral recipients join in full (`team_after_transfer`, `full_team_role`).

Emergency access (`sharing/emergency/services.py` asks these): opening is `can(…, Act.EMERGENCY_OPEN)`; only the
holder ends it (`emergency_end_decision`); a data protection officer answers for the accesses to the cases their
organisation owns and for those its own staff make (`emergency_review_scope`); the case lead (or, without one, the
owning organisation's coordinators) and those DPOs are told (`emergency_watchers`).

The national catalogue of legal bases changes only through its data file (`utvei legal-bases sync`), never in the
application; an organisation's administrators keep their organisation's own notes on it (`legal_basis_note_decision`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership, Organisation, User
from utvei.accounts.roles import Cap, Role, has_cap
from utvei.cases.models import Case, TeamMember, TeamRole
from utvei.sharing.models import BasisType, Consent, EmergencyAccess, LegalBasis

from .policy import (
    FULL_RELATIONS,
    READ_PURPOSE,
    Act,
    CaseAccess,
    Decision,
    Relation,
    _emergency_rows,
    can,
    case_access,
    membership_ok,
    relation,
)

# ---- Referrals and transfers ---------------------------------------------------------------------------


def referral_recipient(m: Membership | None, referral: Any) -> bool:
    """A coordinator of the receiving organisation, acting in it: who accepts or declines it."""
    return (
        m is not None
        and membership_ok(m)
        and m.organisation_id == referral.to_org_id
        and has_cap(m.role, Cap.CASE_MANAGE)
    )


def referral_sender_side(m: Membership | None, referral: Any) -> bool:
    """In the sending organisation: the person who sent it, or a coordinator there (who may withdraw it)."""
    return (
        m is not None
        and membership_ok(m)
        and m.organisation_id == referral.from_org_id
        and has_cap(m.role, Cap.CASE_READ_FULL)
        and (m.user_id == referral.sent_by_id or has_cap(m.role, Cap.CASE_MANAGE))
    )


def referral_named_member(m: Membership, referral: Any) -> bool:
    """The person who joined the team through it (they read what the sender wrote to them)."""
    tm = referral.team_member
    return tm is not None and tm.user_id == m.user_id and tm.organisation_id == m.organisation_id


def full_relation(m: Membership, case: Case) -> bool:
    """A full relation to the case now (team member or the owner's coordinator) and a full-read role."""
    ca = case_access(m, case)
    return ca is not None and ca.full and ca.relation in FULL_RELATIONS


def referrals_read_decision(ca: CaseAccess) -> Decision:
    """May the principal see the case's referrals and transfers? A full relation and a full-read role: not a
    referral recipient, an emergency access or a mentor."""
    if not ca.full or ca.relation not in FULL_RELATIONS:
        return Decision(False, "relation", _("Your role on this case does not show its referrals."))
    return Decision(True, "relation", _("You work on this case's team."), dict(ca.records))


def referral_visible(m: Membership | None, referral: Any, *, on_case: bool | None = None) -> bool:
    """May the principal see this referral at all? The recipient's coordinators, the sender's side, the person it
    named, and (`on_case`, worked out here unless given) the case's team and owner with a full relation."""
    if m is None or not membership_ok(m):
        return False
    if referral_recipient(m, referral) or referral_sender_side(m, referral) or referral_named_member(m, referral):
        return True
    if on_case is None:
        on_case = full_relation(m, referral.case)
    return on_case


@dataclass(frozen=True)
class ReferralView:
    """A referral as one principal may see it, with what they may do to it."""

    referral: Any
    recipient: bool  # a coordinator of the receiving organisation
    sender_side: bool  # the sender, or a coordinator of the sending organisation
    on_case: bool  # a full relation to the case now

    @property
    def direction(self) -> str:
        return "incoming" if self.recipient else "outgoing"

    @property
    def may_decide(self) -> bool:
        return self.recipient and self.referral.is_open

    @property
    def may_withdraw(self) -> bool:
        return self.sender_side and self.referral.is_open

    @property
    def shows_team(self) -> bool:
        """Who stays after a transfer names members of the old team: for the sender's side and the case team."""
        return self.sender_side or self.on_case


def referral_view(m: Membership, referral: Any, *, on_case: bool = False) -> ReferralView:
    """The principal's standing on a referral they may see (no queries)."""
    return ReferralView(referral, referral_recipient(m, referral), referral_sender_side(m, referral), on_case)


def receives_referrals(m: Membership) -> bool:
    """Does the principal answer what their organisation receives (and so see its incoming box first)?"""
    return has_cap(m.role, Cap.CASE_MANAGE)


def referral_incoming_q(m: Membership) -> Q:
    """Referrals the principal sees as received: their organisation's (coordinators), and the one that named them."""
    q = Q(pk__in=[])
    if receives_referrals(m):
        q |= Q(to_org_id=m.organisation_id)
    q |= Q(team_member__user_id=m.user_id, team_member__organisation_id=m.organisation_id)
    return q


def referral_outgoing_q(m: Membership) -> Q:
    """Referrals the principal sees as sent: their organisation's (coordinators), or their own (caseworkers)."""
    if not has_cap(m.role, Cap.CASE_READ_FULL):
        return Q(pk__in=[])
    q = Q(from_org_id=m.organisation_id)
    if not has_cap(m.role, Cap.CASE_MANAGE):
        q &= Q(sent_by_id=m.user_id)
    return q


def referral_deciders(org: Organisation | Any) -> list[Membership]:
    """The current coordinator memberships of an organisation: who may accept or decline what it receives."""
    return list(
        Membership.objects.active()
        .filter(organisation=org, role=Role.COORDINATOR, user__is_active=True)
        .select_related("user", "organisation")
    )


def handoff_bases(m: Membership) -> list[LegalBasis]:
    """The legal bases the principal's organisation may cite to pass a concern on: active, a basis for sharing
    identified content (not the anonymised route, not the rule of confidentiality), open to its kind."""
    kind = m.organisation.kind
    usable = LegalBasis.objects.filter(active=True).exclude(type__in=[BasisType.ANONYMISED, BasisType.CONFIDENTIALITY])
    return [b for b in usable.order_by("position", "key") if not b.sender_kinds or kind in b.sender_kinds]


def referral_recipients() -> QuerySet[Organisation]:
    """The organisations a referral or transfer can go to: those with a coordinator who could accept it (the
    same rule as `referral_deciders`, for the form's choices)."""
    deciders = Membership.objects.active().filter(role=Role.COORDINATOR, user__is_active=True)
    return Organisation.objects.filter(pk__in=deciders.values("organisation_id"))


def referral_joiners(org: Organisation | Any) -> QuerySet[Membership]:
    """Current memberships of an organisation whose role reads cases in full: who may join through a referral (or
    lead the case after a transfer)."""
    roles = [r for r in Role.values if has_cap(r, Cap.CASE_READ_FULL)]
    return (
        Membership.objects.active()
        .filter(organisation=org, role__in=roles, user__is_active=True)
        .select_related("user", "organisation")
        .order_by("user__username", "role")
    )


def consent_missing(case: Case, org: Organisation, categories: Iterable[str]) -> list[str]:
    """The categories no active consent lets `org` receive for coordination now (a referral on consent needs none
    missing, when it is sent and again when it is accepted)."""
    now = timezone.now()
    consents = list(Consent.objects.filter(case=case).prefetch_related("scope_orgs"))
    return [c for c in categories if not any(x.covers(org, c, READ_PURPOSE, now) for x in consents)]


def full_team_role(role: str | None) -> str:
    """The team role a member of an organisation takes when they work on the case in full, by their role there
    (a coordinator as coordinator, a mentor as mentor, anyone else as caseworker)."""
    if role == Role.COORDINATOR:
        return TeamRole.COORDINATOR
    if role == Role.MENTOR:
        return TeamRole.MENTOR
    return TeamRole.CASEWORKER


@dataclass(frozen=True)
class TeamChange:
    """What a transfer does to one current team row: end it, and (`rejoin`) add the same person again in this role."""

    member: Any
    rejoin: str = ""


@dataclass(frozen=True)
class TransferTeam:
    changes: list[TeamChange]
    lead_row: Any  # the new owner's current lead row of the new lead, kept as it is; None: add one


def team_after_transfer(
    team: Iterable[Any],
    *,
    old_owner_id: int,
    new_owner_id: int,
    lead_user_id: int,
    kept: Iterable[int],
    org_roles: Mapping[tuple[int, int], str],
) -> TransferTeam:
    """The team once the new owner has the case, row by row in the team's order.

    The old owner's people leave unless the sender kept them; a kept case lead is no longer the lead and goes on in
    their organisation's role. The new owner's people work on the case in full: the new lead keeps their lead row
    (any other row of theirs ends), and a referral recipient there goes on in their organisation's role, since a
    limited referral role would hold them back. `org_roles` maps (user id, organisation id) to the current role.
    """
    keep = set(kept)
    changes: list[TeamChange] = []
    lead_row = None
    for member in team:
        org_role = org_roles.get((member.user_id, member.organisation_id))
        if member.organisation_id == old_owner_id:
            if member.pk not in keep:
                changes.append(TeamChange(member))
            elif member.role == TeamRole.LEAD:
                changes.append(TeamChange(member, full_team_role(org_role)))
        elif member.organisation_id == new_owner_id:
            if member.user_id == lead_user_id:
                if member.role == TeamRole.LEAD:
                    lead_row = member
                    continue
                changes.append(TeamChange(member))
            elif member.role == TeamRole.REFERRAL:
                changes.append(TeamChange(member, full_team_role(org_role)))
    return TransferTeam(changes, lead_row)


# ---- Emergency access ----------------------------------------------------------------------------------


def active_emergency(m: Membership, case: Case) -> Any:
    """The principal's emergency access to the case in force now, if any (the latest to expire)."""
    return _emergency_rows(m).filter(case=case).order_by("-expires_at").first()


def sees_otherwise(m: Membership, case: Case) -> bool:
    """Does the principal see the case through a relation other than an emergency access (no glass to break)?"""
    rel, _records = relation(m, case)
    return rel not in {Relation.NONE, Relation.EMERGENCY}


def own_emergency_accesses(m: Membership) -> QuerySet[Any]:
    """The principal's own emergency accesses in their active organisation."""
    return EmergencyAccess.objects.filter(user_id=m.user_id, organisation_id=m.organisation_id)


def emergency_end_decision(m: Membership | None, access: Any) -> Decision:
    """May the principal end this emergency access? Only its holder, in the organisation they hold it for."""
    if m is None or not membership_ok(m) or access.user_id != m.user_id or access.organisation_id != m.organisation_id:
        return Decision(False, "emergency", _("The emergency access was not found."))
    return Decision(True, "emergency", _("This is your emergency access."), {"membership": m.pk})


def emergency_review_scope(m: Membership) -> QuerySet[Any]:
    """What a data protection officer answers for: every emergency access to a case their organisation owns and
    every one its own staff made. (Whether they review at all is `can(…, Act.EMERGENCY_REVIEW)`.)"""
    org_id = m.organisation_id
    return EmergencyAccess.objects.filter(Q(case__owning_org_id=org_id) | Q(organisation_id=org_id))


def visible_emergency_accesses(m: Membership) -> QuerySet[Any]:
    """The emergency accesses the principal may open: their own, and for a DPO (`Act.EMERGENCY_REVIEW`) those in
    their review scope."""
    own = Q(user_id=m.user_id, organisation_id=m.organisation_id)
    if can(m, Act.EMERGENCY_REVIEW):
        return EmergencyAccess.objects.filter(own | Q(pk__in=emergency_review_scope(m).values("pk")))
    return EmergencyAccess.objects.filter(own)


def emergency_watchers(m: Membership, case: Case) -> list[tuple[User, Organisation]]:
    """Who is told of an emergency access, with the organisation they are told in: the case lead (in the
    organisation they lead it for) and every current DPO of the owning organisation and of the user's own.
    Without a lead, the owning organisation's coordinators instead. Never the user themself, never an inactive one."""
    out: list[tuple[User, Organisation]] = []
    if case.lead is not None and case.lead.is_active:
        lead_orgs = [
            t.organisation
            for t in TeamMember.objects.current().filter(case=case, user=case.lead).select_related("organisation")
        ]
        owner = next((o for o in lead_orgs if o.pk == case.owning_org_id), None)
        out.append((case.lead, owner or (lead_orgs[0] if lead_orgs else case.owning_org)))
    else:
        coordinators = Membership.objects.active().filter(organisation=case.owning_org, role=Role.COORDINATOR)
        out += [(c.user, c.organisation) for c in coordinators.select_related("user", "organisation")]
    dpos = Membership.objects.active().filter(
        organisation_id__in={case.owning_org_id, m.organisation_id}, role=Role.DPO, user__is_active=True
    )
    out += [(d.user, d.organisation) for d in dpos.select_related("user", "organisation").order_by("pk")]
    return [(u, o) for u, o in out if u.is_active and u.pk != m.user_id]


def emergency_priority_watchers(m: Membership, case: Case) -> list[tuple[User, Organisation]]:
    """Who is told by e-mail of an emergency access to a case whose person has a protected identity, so that it is
    reviewed first: the DPOs among `emergency_watchers` (the owning organisation's and the user's own)."""
    dpos = Membership.objects.active().filter(
        organisation_id__in={case.owning_org_id, m.organisation_id}, role=Role.DPO, user__is_active=True
    )
    found = dpos.select_related("user", "organisation").order_by("pk")
    return [(d.user, d.organisation) for d in found if d.user_id != m.user_id]


# ---- The catalogue of legal bases ----------------------------------------------------------------------


def legal_basis_note_decision(m: Membership | None) -> Decision:
    """May the principal write their organisation's note on a legal basis? Its administrators only. Nobody
    changes the national catalogue in the application: it is the same for every organisation and comes from its
    data file."""
    if m is None or not membership_ok(m) or not has_cap(m.role, Cap.ORG_ADMIN):
        return Decision(
            False, "capability", _("Only an organisation administrator can write the organisation's notes.")
        )
    return Decision(True, "capability", _("You administer your organisation."), {"membership": m.pk})
