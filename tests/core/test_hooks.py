"""Hooks and registered phase checks (core/hooks.py, cases/workflow.py; ADR 0012): the apps above `cases` take
part in its writes without `cases` importing them — and what they write stands or falls with the write."""

from __future__ import annotations

import pytest

from utvei.assessments.checks import planning_blocker
from utvei.audit.models import Action, AuditEvent
from utvei.cases import hooks, services, workflow
from utvei.cases.models import Case, ClosureReason, Phase
from utvei.core.hooks import Hook
from utvei.evaluation import services as evaluation
from utvei.evaluation.models import FollowUp
from utvei.plans import hooks as plan_hooks
from utvei.plans.checks import plan_approved


def test_a_hook_calls_its_handlers_in_order_once_each() -> None:
    hook = Hook("test")
    calls: list[tuple[str, int]] = []

    def first(*, n: int) -> str:
        calls.append(("first", n))
        return "a"

    def second(*, n: int) -> str:
        calls.append(("second", n))
        return "b"

    hook.connect(first)
    hook.connect(second)
    hook.connect(first)  # AppConfig.ready may run twice: still once
    assert hook.send(n=7) == ["a", "b"]
    assert calls == [("first", 7), ("second", 7)]


def test_the_apps_register_what_they_add_to_the_case() -> None:
    """Installed apps have registered: the assessment and plan preconditions, the evidence engine's handlers."""
    assert planning_blocker in workflow.checks(workflow.find(Phase.ASSESSMENT, Phase.PLANNING))
    assert plan_approved in workflow.checks(workflow.find(Phase.PLANNING, Phase.ACTIVE))
    assert evaluation.on_case_closed in hooks.CLOSED._handlers
    assert evaluation.follow_ups_schedule in hooks.MEASURES_ENDED._handlers
    assert evaluation.motivation_stage_record in hooks.MOTIVATION_STAGE_CHANGED._handlers
    assert evaluation.on_plan_reviewed in plan_hooks.REVIEWED._handlers


def test_a_precondition_needs_a_transition_that_exists() -> None:
    with pytest.raises(ValueError):
        workflow.require(Phase.INTAKE, Phase.ACTIVE, plan_approved)


def test_a_failing_handler_leaves_nothing_half_written(world, monkeypatch) -> None:
    """Closing writes the phase change, the closure, the evidence engine's follow-ups and the audit event in one
    transaction: when a handler fails, none of it is left behind."""
    case = world.open_case()
    before = AuditEvent.objects.filter(action=Action.CASE_CLOSE).count()

    def broken(**kwargs: object) -> None:
        raise RuntimeError("the evidence engine is down")

    monkeypatch.setattr(hooks.CLOSED, "_handlers", [*hooks.CLOSED._handlers, broken])
    with pytest.raises(RuntimeError):
        services.case_close(actor=world.m["kari"], case=case, reason=ClosureReason.OTHER, summary="s")
    case = Case.objects.get(pk=case.pk)
    assert case.phase != Phase.CLOSED and case.closed_at is None
    assert not FollowUp.objects.filter(case=case).exists()
    assert AuditEvent.objects.filter(action=Action.CASE_CLOSE).count() == before
