"""Organisation administration: who may manage which members, and who may take over a colleague's work — the
administration part of THE policy (see policy.py, docs/administration.md).

An organisation administrator (`Cap.ORG_ADMIN`) manages the memberships of their own organisation and nothing
else: another organisation's members do not exist for them (404), and no case content is ever shown to them.
They do not change their own membership (another administrator does), so an organisation cannot lose its last
administrator by a slip. A handover moves what a member leads to a colleague of the same organisation who can
lead a case: a current member with an active account in a role that reads case content in full and writes tasks
(coordinator, caseworker).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership
from utvei.accounts.roles import Cap, Role, has_cap
from utvei.cases.models import TeamRole

from .policy import Act, Decision, can, membership_ok

NOT_ADMIN = Decision(False, "capability", _("Only an organisation administrator can do this."))


def admin_decision(m: Membership | None) -> Decision:
    """May the principal administer their organisation at all (the members pages and endpoints)?"""
    return can(m, Act.ORG_ADMIN)


def administered(m: Membership | None) -> QuerySet[Membership]:
    """The memberships the principal administers: every membership of their organisation (past ones too), or none."""
    if m is None or not admin_decision(m):
        return Membership.objects.none()
    return Membership.objects.filter(organisation_id=m.organisation_id)


def role_decision(m: Membership, value: str) -> Decision:
    """May the administrator give a membership this role? Any role of the vocabulary, in their own organisation."""
    if not admin_decision(m):
        return NOT_ADMIN
    if value not in Role.values:
        return Decision(False, "unknown_role", _("Unknown role. Choose one of: %(r)s") % {"r": ", ".join(Role.values)})
    return Decision(True, "capability", _("You administer your organisation."), {"membership": m.pk})


def role_changes(target: Membership, value: str) -> bool:
    """Does giving `target` this role change it? (A role change ends the member's sessions and tokens.)"""
    return target.role != value


def member_change_decision(m: Membership, target: Membership) -> Decision:
    """May the administrator change this membership (role, period, active)? In their organisation, not their own."""
    if not admin_decision(m) or target.organisation_id != m.organisation_id:
        return NOT_ADMIN
    if target.user_id == m.user_id:
        return Decision(False, "own_membership", _("You cannot change your own membership. Ask another administrator."))
    return Decision(True, "capability", _("You administer your organisation."), {"membership": m.pk})


def mfa_reset_decision(m: Membership, target: Membership) -> Decision:
    """May the administrator reset this member's second factor? A member of their organisation, not themselves
    (they remove their own in their account settings)."""
    return member_change_decision(m, target)


def can_lead(member: Membership) -> Decision:
    """Can this member take over a colleague's cases, tasks and follow-ups? A current membership of an active
    user, in a role that reads case content in full and writes tasks."""
    if not membership_ok(member):
        return Decision(False, "not_current", _("That member has no current membership or account."))
    if not (has_cap(member.role, Cap.CASE_READ_FULL) and has_cap(member.role, Cap.TASK_WRITE)):
        return Decision(False, "cannot_lead", _("That member's role cannot lead cases or take tasks."))
    return Decision(True, "role", _("Their role can lead cases."), {"membership": member.pk})


def handover_decision(m: Membership, source: Membership, target: Membership) -> Decision:
    """May the administrator hand what `source`'s user leads in the organisation over to `target`'s user?"""
    org = m.organisation_id
    if not admin_decision(m) or source.organisation_id != org or target.organisation_id != org:
        return NOT_ADMIN
    if source.user_id == target.user_id:
        return Decision(False, "same_user", _("Choose a colleague other than the person who leaves."))
    return can_lead(target)


def handover_candidates(m: Membership, source: Membership) -> list[Membership]:
    """The colleagues the administrator may hand `source`'s work to (for the form's choices)."""
    found = Membership.objects.active().filter(pk__in=administered(m).values("pk"))
    found = found.exclude(user_id=source.user_id).filter(user__is_active=True)
    return [c for c in found.select_related("user", "organisation") if can_lead(c)]


def handover_team_role(member: Membership) -> str:
    """The role in a case's team of a colleague who takes over tasks or follow-ups on a case they do not lead."""
    return TeamRole.COORDINATOR if has_cap(member.role, Cap.CASE_MANAGE) else TeamRole.CASEWORKER


LEAD_ROLE = TeamRole.LEAD
