"""Every API read writes exactly one audit event; list endpoints make a constant number of queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from utvei.accounts.services import user_create
from utvei.audit.models import Action
from utvei.cases import services as case_services
from utvei.cases.models import TeamRole
from utvei.core.vocabulary import Classification

from .api_helpers import API, CaseWorld, audit_seq, last_events


def _concern(cw: CaseWorld, by: str = "rolf") -> Any:
    return case_services.concern_submit(
        actor=cw.world.m[by], receiving_org=cw.world.orgs["kommune"], description="Bekymring"
    )


def _task(cw: CaseWorld) -> Any:
    return case_services.task_create(actor=cw.world.m["kari"], case=cw.case, title="x", assignee=cw.world.m["per"].user)


# (username, path builder, expected action, whether the event names the case)
READS: list[tuple[str, Callable[[CaseWorld], str], str, bool]] = [
    ("per", lambda cw: cw.url, Action.CASE_VIEW, True),
    ("mona", lambda cw: cw.url, Action.CASE_VIEW, True),
    ("per", lambda cw: cw.url + "entries/", Action.ENTRY_LIST, True),
    ("siri", lambda cw: f"{cw.url}entries/{cw.team_entry.public_id}/", Action.ENTRY_VIEW, True),
    ("siri", lambda cw: f"{cw.url}entries/{cw.police_entry.public_id}/", Action.ENTRY_VIEW, True),
    ("kari", lambda cw: cw.url + "team/", Action.TEAM_VIEW, True),
    ("kari", lambda cw: API + "cases/", Action.CASE_LIST, False),
    ("kari", lambda cw: API + f"cases/?ref={cw.case.reference}", Action.CASE_LOOKUP, False),
    ("per", lambda cw: API + "tasks/", Action.TASK_LIST, False),
    ("per", lambda cw: f"{API}tasks/{_task(cw).public_id}/", Action.TASK_VIEW, True),
    ("kari", lambda cw: API + "concerns/", Action.CONCERN_LIST, False),
    ("rolf", lambda cw: API + "concerns/", Action.RECEIPT_LIST, False),
    ("kari", lambda cw: f"{API}concerns/{_concern(cw).public_id}/", Action.CONCERN_VIEW, False),
    ("rolf", lambda cw: f"{API}concerns/{_concern(cw).public_id}/", Action.CONCERN_VIEW, False),
    ("atle", lambda cw: cw.url, Action.CASE_DENIED, False),
]


@pytest.mark.parametrize(("username", "path", "action", "names_case"), READS)
def test_every_read_writes_exactly_one_audit_event(
    cw: CaseWorld, username: str, path: Callable[[CaseWorld], str], action: str, names_case: bool
) -> None:
    url = path(cw)
    client = cw.api(username)
    seq = audit_seq()
    r = client.get(url)
    assert r.status_code in (200, 404), r.content
    events = last_events(seq)
    assert [e.action for e in events] == [action]
    assert events[0].actor_id == cw.world.m[username].user_id
    assert events[0].actor_org_id == cw.world.m[username].organisation_id
    if names_case:
        assert events[0].case_id == str(cw.case.public_id)


def _grow(world: Any, case: Any, n: int, what: str) -> None:
    for i in range(n):
        if what == "cases":
            world.add(world.open_case(name=f"Person {i}"), "hanne")
        elif what == "entries":
            world.entry(case, "per", Classification.POLICE if i % 2 else Classification.TEAM, body=f"e{i}")
        elif what == "tasks":
            case_services.task_create(actor=world.m["kari"], case=case, title=f"t{i}", assignee=world.m["per"].user)
        elif what == "concerns":
            case_services.concern_submit(
                actor=world.m["rolf" if i % 2 else "siri"], receiving_org=world.orgs["kommune"], description="B"
            )
        elif what == "team":
            m = user_create(
                username=f"extra{case.team.count()}", password="x", org_slug="nav", role="caseworker", validate=False
            )
            case_services.team_add(
                actor=world.m["kari"], case=case, user=m.user, organisation=m.organisation, role=TeamRole.ADVISER
            )


LISTS = [
    ("cases", "hanne", lambda case: API + "cases/"),
    ("entries", "siri", lambda case: f"{API}cases/{case.public_id}/entries/"),
    ("tasks", "per", lambda case: API + "tasks/"),
    ("concerns", "kari", lambda case: API + "concerns/"),
    ("team", "kari", lambda case: f"{API}cases/{case.public_id}/team/"),
]


@pytest.mark.parametrize(("what", "username", "path"), LISTS)
def test_list_endpoints_make_the_same_number_of_queries_for_2_and_10_rows(
    world: Any, what: str, username: str, path: Callable[[Any], str]
) -> None:
    case = world.open_case(name="Liste Person")  # kari is its lead: one team member
    world.add(case, "per")
    world.add(case, "siri")
    if what == "team":
        case_services.team_end(actor=world.m["kari"], member=case.team.get(user__username="siri"))
        case_services.team_end(actor=world.m["kari"], member=case.team.get(user__username="per"))
    client = world.api(username)
    url = path(case)

    def measure(expected_rows: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(url)
        assert r.status_code == 200, r.content
        assert r.json()["count"] == expected_rows, r.json()
        return len(ctx.captured_queries)

    client.get(url)  # warm up: the first audit event of a fresh chain creates its head
    _grow(world, case, 2 - (what == "team"), what)
    two = measure(2)
    _grow(world, case, 8, what)
    ten = measure(10)
    assert two == ten, (what, two, ten)
