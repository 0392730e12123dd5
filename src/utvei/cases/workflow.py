"""The case state machine: phases, allowed transitions and their preconditions, in one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from utvei.access.policy import orgs_without_basis

from .models import Case, Phase, TeamMember

Check = Callable[[Case], "str | None"]  # returns a message when the precondition fails


def _has_lead(case: Case) -> str | None:
    if case.lead_id is None:
        return str(_("Name a case lead first."))
    return None


def _assessed_or_reason_recorded(case: Case) -> str | None:
    """Planning builds on a final assessment, or on a coordinator's recorded reason why there is none."""
    from utvei.assessments.checks import planning_blocker

    return planning_blocker(case)


def _plan_approved(case: Case) -> str | None:
    """An approved individual plan (plans app) is in force: the plan the active phase carries out."""
    from utvei.plans.models import Plan, PlanStatus

    if not Plan.objects.filter(case=case, status=PlanStatus.APPROVED).exists():
        return str(_("Approve the individual plan before activating the case (the «Plan» section)."))
    return None


def _team_has_other_org(case: Case) -> str | None:
    # No exit process in isolation: the active phase needs a team, and the team needs a lead.
    if not TeamMember.objects.current().filter(case=case).exists():
        return str(_("The case has no team."))
    return None


def _every_team_org_has_basis(case: Case) -> str | None:
    """Sharing needs a basis: every organisation on the team besides the owner has an active consent or
    disclosure on the case (DESIGN §2), as the policy counts them (access.policy.orgs_without_basis). Which
    categories each may read is the gate's business, per item."""
    org_ids = set(TeamMember.objects.current().filter(case=case).values_list("organisation_id", flat=True))
    org_ids.discard(case.owning_org_id)
    missing = [org.name for org in orgs_without_basis(case, org_ids)]
    if missing:
        return str(
            _("No consent or legal basis is recorded for %(orgs)s on the team. Record one on the sharing page.")
            % {"orgs": ", ".join(missing)}
        )
    return None


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    checks: tuple[Check, ...] = ()


TRANSITIONS: tuple[Transition, ...] = (
    Transition(Phase.INTAKE, Phase.ASSESSMENT),
    Transition(Phase.ASSESSMENT, Phase.PLANNING, (_has_lead, _assessed_or_reason_recorded)),
    Transition(
        Phase.PLANNING,
        Phase.ACTIVE,
        (_has_lead, _team_has_other_org, _every_team_org_has_basis, _plan_approved),
    ),
    Transition(Phase.ACTIVE, Phase.FOLLOW_UP),
    # Stepping back is allowed where work has to be redone; history keeps every step.
    Transition(Phase.ASSESSMENT, Phase.INTAKE),
    Transition(Phase.PLANNING, Phase.ASSESSMENT),
    Transition(Phase.ACTIVE, Phase.PLANNING),
    Transition(Phase.FOLLOW_UP, Phase.ACTIVE),
)

# Closing is allowed from every open phase, with a reason and a summary (see services.case_close).
CLOSABLE = frozenset({Phase.INTAKE, Phase.ASSESSMENT, Phase.PLANNING, Phase.ACTIVE, Phase.FOLLOW_UP})

# Follow-up occasions after the measures end, in months.
FOLLOW_UP_MONTHS = (6, 12, 24)


def next_phases(case: Case) -> list[str]:
    return [t.target for t in TRANSITIONS if t.source == case.phase]


def find(source: str, target: str) -> Transition | None:
    for t in TRANSITIONS:
        if t.source == source and t.target == target:
            return t
    return None


def blockers(case: Case, target: str) -> list[str]:
    """Messages for every precondition that does not hold; empty when the transition may happen."""
    if target == Phase.CLOSED:
        return [] if case.phase in CLOSABLE else [str(_("The case is already closed."))]
    t = find(case.phase, target)
    if t is None:
        return [str(_("A case cannot go from this phase to that one."))]
    return [msg for check in t.checks if (msg := check(case))]
