"""Helpers for the API tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.test import Client

from utvei.audit.models import AuditEvent
from utvei.cases.models import Case, Entry, TeamRole
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
