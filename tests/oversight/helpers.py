"""Shared helpers of the oversight tests: rules with other thresholds, events at a chosen time."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from django.utils import timezone

from utvei.audit.models import Action
from utvei.audit.services import audit_record
from utvei.oversight.rules import RULE_IDS, RULES_FILE, Rules, norwegian_holidays, parse_rules

OSLO = ZoneInfo("Europe/Oslo")
FILE = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))


def local(*args: int) -> dt.datetime:
    """A moment in Norwegian time: local(2026, 3, 11, 10) is Wednesday 11 March 2026 at 10:00."""
    return dt.datetime(*args, tzinfo=OSLO)  # type: ignore[misc]


def only(rule_id: str, **params: Any) -> Rules:
    """The rules file with only one rule enabled, some of its parameters changed."""
    data = copy.deepcopy(FILE)
    for rid in RULE_IDS:
        data["rules"][rid]["enabled"] = rid == rule_id
    data["rules"][rule_id].update(params)
    return parse_rules(data)


class CaseRef:
    def __init__(self, public_id: str = "") -> None:
        self.public_id = public_id or str(uuid.uuid4())


def event(
    monkeypatch: pytest.MonkeyPatch,
    at: dt.datetime,
    m: Any,
    *,
    action: str = Action.CASE_VIEW,
    case: Any = None,
    reason: str = "",
    object_id: str = "",
) -> Any:
    """An audit event by a membership at a chosen moment (the log takes its time from timezone.now)."""
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: at)
        return audit_record(
            action=action,
            actor=m.user,
            organisation=m.organisation,
            case=case if case is not None else CaseRef(),
            reason=reason,
            object_type="case" if not object_id else "emergencyaccess",
            object_id=object_id,
        )


def next_morning() -> dt.datetime:
    """The next working day at 10:00 Norwegian time (after the world's memberships began)."""
    day = timezone.now().astimezone(OSLO).date() + dt.timedelta(days=1)
    while day.weekday() >= 5 or day in norwegian_holidays(day.year):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(10), tzinfo=OSLO)


def day_case(world: Any, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> Any:
    """world.open_case on a working morning, so that opening it is not itself an access outside office hours
    (whatever the time the tests run at)."""
    morning = next_morning()
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: morning)
        return world.open_case(**kw)
