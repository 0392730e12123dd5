"""Helpers for the API tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.test import Client

from tests.assessments.helpers import case_in_assessment, start
from tests.meetings.helpers import decide
from tests.meetings.helpers import plan as plan_meeting
from tests.network.helpers import add as add_contact
from tests.plans.helpers import add_item, draft_plan, to_planning
from utvei.audit.models import AuditEvent
from utvei.cases import services as case_services
from utvei.cases.models import Case, Entry, EntryKind, TeamRole
from utvei.core.vocabulary import Classification

API = "/api/v1/"


def send(client: Client, method: str, path: str, data: Any = None, raw: str | None = None, **extra: Any) -> Any:
    """Send JSON (or a raw body) and return the response; the body is always parsed as JSON."""
    url = path if path.startswith("/") else API + path
    body = raw if raw is not None else (json.dumps(data) if data is not None else None)
    kwargs: dict[str, Any] = {"content_type": extra.pop("content_type", "application/json")}
    if body is not None:
        kwargs["data"] = body
    return getattr(client, method.lower())(url, **kwargs, **extra)


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    data = response.json()
    assert set(data) >= {"error", "detail"}, data
    assert isinstance(data["error"], str) and isinstance(data["detail"], str) and data["detail"]
    if code is not None:
        assert data["error"] == code, data
    return data


def last_events(since: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=since).order_by("seq"))


def audit_seq() -> int:
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0


@dataclass
class CaseWorld:
    world: Any
    case: Case
    police_entry: Entry
    team_entry: Entry
    mentor_entry: Entry

    @classmethod
    def build(cls, world: Any) -> CaseWorld:
        case = world.open_case()
        world.add(case, "per")
        world.add(case, "siri")
        world.add(case, "mona", role=TeamRole.MENTOR)
        police = world.entry(case, "per", Classification.POLICE, body="Politiets vurdering: hemmelig")
        team = world.entry(case, "siri", Classification.TEAM, body="Skolen melder om fravær")
        mentor = world.entry(case, "mona", Classification.MENTOR, body="Avtale om fotball")
        case.refresh_from_db()
        return cls(world, case, police, team, mentor)

    def api(self, username: str) -> Client:
        return self.world.api(username)

    @property
    def url(self) -> str:
        return f"{API}cases/{self.case.public_id}/"


def one_of_each(world: Any) -> Any:
    """One of each versioned object, made as a coordinator would."""
    kari = world.m["kari"]

    class T:
        pass

    t = T()
    assessed = case_in_assessment(world, mentor=False)
    t.assessment = start(world, assessed)
    t.assessed = assessed
    case = to_planning(world, world.open_case(name="Versjon Versjonsen"))
    world.add(case, "nils")
    t.case = case
    t.entry = case_services.entry_create(
        actor=kari, case=case, kind=EntryKind.NOTE, classification=Classification.TEAM, body="Første versjon"
    )
    t.task = case_services.task_create(actor=kari, case=case, title="Ring skolen")
    t.contact = add_contact(world, case)
    t.plan = draft_plan(world, case)
    t.goal = t.plan.goals.get()
    t.item = add_item(world, t.plan)
    t.meeting = plan_meeting(world, case)
    t.decision = decide(world, t.meeting)
    body = {"name_nb": "Jobbklubb", "sector": "municipality", "tracks": ["exit"], "evidence_nb": "Ikke evaluert."}
    local = send(world.api("kari"), "POST", "measures/", body)
    assert local.status_code == 201, local.content
    t.measure = local.json()["key"]
    return t
