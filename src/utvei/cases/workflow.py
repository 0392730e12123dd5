"""The case state machine: phases, allowed transitions and their preconditions, in one place.

The preconditions that belong to other apps (a final assessment before planning, an approved plan before the
active phase) are registered by those apps in their `AppConfig.ready` (`require`), so `cases` does not import
them; the case's own are written here."""

from __future__ import annotations

from collections import defaultdict
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
    Transition(Phase.ASSESSMENT, Phase.PLANNING, (_has_lead,)),
    Transition(
        Phase.PLANNING,
        Phase.ACTIVE,
        (_has_lead, _team_has_other_org, _every_team_org_has_basis),
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


# Preconditions other apps add to a transition, after the case's own: (source, target) -> checks.
_REQUIRED: defaultdict[tuple[str, str], list[Check]] = defaultdict(list)


def require(source: str, target: str, check: Check) -> None:
    """An app adds a precondition to a transition (from its `AppConfig.ready`; adding the same one twice is a
    no-op). The transition must exist."""
    if find(source, target) is None:
        raise ValueError(f"no transition {source} -> {target}")
    if check not in _REQUIRED[(source, target)]:
        _REQUIRED[(source, target)].append(check)


def checks(transition: Transition) -> tuple[Check, ...]:
    """The transition's preconditions: its own, then the ones apps registered."""
    return transition.checks + tuple(_REQUIRED.get((transition.source, transition.target), ()))


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
    return [msg for check in checks(t) if (msg := check(case))]
