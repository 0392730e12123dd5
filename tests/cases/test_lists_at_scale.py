"""Lists that do not scan (issue 11): keyset pages, lookups through the reference index, the visible set from
indexed parts, a timeline a page at a time, and the indexes the lists need, on both databases."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.pages import whole_timeline
from utvei.access import policy
from utvei.cases import selectors
from utvei.cases.models import Case, Entry, TeamMember, TeamRole
from utvei.cases.views import common
from utvei.core.pagination import decode, encode
from utvei.core.vocabulary import Classification

ROW = re.compile(r'<th scope="row"><a href="/cases/[^"]+/">([^<]+)</a></th>')
LINK = re.compile(r'<a href="\?([^"#]*)"(?: rel="(?:next|prev)")?>([^<]+)</a>')


def _rows(body: str) -> list[str]:
    return ROW.findall(body)


def _links(body: str) -> dict[str, str]:
    return {text: html.unescape(query) for query, text in LINK.findall(body)}


@pytest.fixture
def seven(world, monkeypatch):
    """Seven cases of kari's organisation, one a day, newest last; pages of three."""
    monkeypatch.setattr(common, "CASE_LIST_PAGE_SIZE", 3)
    import utvei.cases.views.cases as views

    monkeypatch.setattr(views, "CASE_LIST_PAGE_SIZE", 3)
    cases = []
    for i in range(7):
        case = world.open_case(name=f"Person {i}")
        Case.objects.filter(pk=case.pk).update(opened_at=timezone.now() - dt.timedelta(days=7 - i))
        cases.append(case)
    return [c.reference for c in reversed(cases)]  # newest first


def test_older_links_walk_every_case_once_newest_first(world, browse, seven):
    client = browse("kari")
    body = client.get("/cases/").content.decode()
    seen = _rows(body)
    assert seen == seven[:3]
    assert "7 cases" in body
    for _ in range(5):
        older = _links(body).get("Older")
        if older is None:
            break
        body = client.get("/cases/?" + older).content.decode()
        seen += _rows(body)
    assert seen == seven


def test_the_oldest_page_and_back(world, browse, seven):
    client = browse("kari")
    body = client.get("/cases/", {"at": "oldest"}).content.decode()
    assert _rows(body) == seven[-3:]
    links = _links(body)
    assert "Older" not in links and "Oldest" not in links
    body = client.get("/cases/?" + links["Newer"]).content.decode()
    assert _rows(body) == seven[1:4]
    body = client.get("/cases/?" + _links(body)["Newer"]).content.decode()
    assert _rows(body) == seven[:1]  # the newest, with no newer page beyond it
    assert "Newer" not in _links(body)


def test_filters_travel_with_the_page_links(world, browse, seven):
    body = browse("kari").get("/cases/", {"track": "exit"}).content.decode()
    assert _links(body)["Older"].startswith("track=exit&")


@pytest.mark.parametrize(
    "cursor", ["x", "Zm9v", encode(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), 1) + "!", "A" * 500, "MjAyNi0wMS0wMXwtMQ"]
)
def test_a_cursor_that_is_not_ours_shows_the_first_page(world, browse, seven, cursor):
    response = browse("kari").get("/cases/", {"after": cursor})
    assert response.status_code == 200
    assert _rows(response.content.decode()) == seven[:3]


def test_cursors_round_trip_and_hold_no_identity():
    at = timezone.now()
    assert decode(encode(at, 42)) == (at, 42)
    assert decode("") is None and decode(encode(dt.datetime(2026, 1, 1), 1)) is None  # naive times are not ours


def test_the_list_and_the_lookup_cost_the_same_for_few_cases_or_many(world, browse):
    client = browse("kari")
    world.open_case(name="Første")
    with CaptureQueriesContext(connection) as few:
        client.get("/cases/")
        client.get("/cases/", {"ref": "UTV-1"})
    for i in range(12):
        world.open_case(name=f"Flere {i}")
    with CaptureQueriesContext(connection) as many:
        client.get("/cases/")
        client.get("/cases/", {"ref": "UTV-1"})
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_lookup_reads_only_the_cases_the_reference_names(world, browse):
    case = world.open_case(name="Funnet")
    world.open_case(name="Annen")
    with CaptureQueriesContext(connection) as ctx:
        body = browse("kari").get("/cases/", {"ref": case.person.reference}).content.decode()
    assert _rows(body) == [case.reference]
    cases = [q["sql"] for q in ctx.captured_queries if 'FROM "cases_case"' in q["sql"]]
    named = [sql for sql in cases if '"cases_case"."reference" =' in sql]
    assert len(named) == 1  # the reference index first
    rest = [sql for sql in cases if sql not in named]
    assert rest and all('"cases_case"."id" IN (' in sql for sql in rest)  # then only the ids it gave


def test_the_visible_parts_are_the_visible_set(world):
    """The parts the lists read are exactly `visible_cases`, for every kind of relation."""
    own = world.open_case(name="Eget")
    theirs = world.open_case(by="atle", name="Deres")
    world.add(theirs, "kari", by="atle")
    world.open_case(by="atle", name="Ukjent")
    for username in ("kari", "ola", "per", "mona", "atle", "dina", "anna"):
        m = world.m[username]
        union, total = set(), 0
        for part in policy.visible_parts(m):
            union |= set(part.values_list("pk", flat=True))
            total += part.count()
        assert union == set(policy.visible_cases(m).values_list("pk", flat=True)), username
        assert total == len(union), username  # the parts do not overlap: their counts add up
    kari = {c for p in policy.visible_parts(world.m["kari"]) for c in p.values_list("pk", flat=True)}
    assert {own.pk, theirs.pk} <= kari


def test_a_transfer_keeps_the_coordinators_lists_whole(world):
    """Team rows carry whether the member's organisation owns the case; after a move the new owner's side flips."""
    case = world.open_case(name="Flytter")
    world.add(case, "per")
    rows = dict(TeamMember.objects.filter(case=case).values_list("user__username", "owner_side"))
    assert rows == {"kari": True, "per": False}
    Case.objects.filter(pk=case.pk).update(owning_org=world.m["per"].organisation)
    case.refresh_from_db()
    from utvei.cases.models import owner_side_sync

    owner_side_sync(case)
    rows = dict(TeamMember.objects.filter(case=case).values_list("user__username", "owner_side"))
    assert rows == {"kari": False, "per": True}
    kari = {c for p in policy.visible_parts(world.m["kari"]) for c in p.values_list("pk", flat=True)}
    assert case.pk in kari  # still on the team, now of another organisation's case


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return " ".join(str(row[-1]) for row in cursor.fetchall())
        # Tiny test tables: ask whether the index can serve (no table scan, no sort of what another index found).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        return " ".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db(transaction=False)
def test_the_indexes_the_lists_need_are_used(world):
    m = world.m["kari"]
    owned = policy.visible_parts(m)[0].order_by("-opened_at", "-pk").values_list("opened_at", "pk")[:51]
    assert "case_org_opened" in _plan(owned)
    today = timezone.localdate()
    from utvei.desk.overdue import late_tasks

    assert "task_status_due" in _plan(late_tasks(today).order_by("due_on")[:40])
    team = TeamMember.objects.current().filter(user_id=m.user_id, organisation_id=m.organisation_id)
    plan = _plan(team.filter(owner_side__in=[False]).order_by().values("case_id"))
    assert "Seq Scan" not in plan and "SCAN cases_teammember" not in plan, plan  # a team index, either one


# ---- The timeline a page at a time ------------------------------------------------------------------------


def _entries(world, case, n: int, classification: str = Classification.TEAM, by: str = "kari") -> None:
    start = timezone.now() - dt.timedelta(days=n + 1)
    for i in range(n):
        entry = world.entry(case, by, classification, body=f"Oppføring {i}")
        Entry.objects.filter(pk=entry.pk).update(occurred_at=start + dt.timedelta(hours=i))


def test_the_case_page_shows_the_newest_entries_and_the_rest_a_click_away(world, browse):
    case = world.open_case(name="Lang Historie")
    _entries(world, case, common.TIMELINE_PAGE_SIZE + 5)
    client = browse("kari")
    body = client.get(f"/cases/{case.public_id}/").content.decode()
    assert f"Oppføring {common.TIMELINE_PAGE_SIZE + 4}" in body and "Oppføring 4<" not in body
    assert "Older entries" in body
    _first, everything = whole_timeline(client, case)
    for i in range(common.TIMELINE_PAGE_SIZE + 5):
        assert f"Oppføring {i}<" in everything or f"Oppføring {i}\n" in everything, i


def test_the_case_page_costs_the_same_for_a_long_history(world, browse):
    case = world.open_case(name="Lang Historie")
    world.add(case, "per")
    _entries(world, case, 3)
    _entries(world, case, 1, by="per")
    client = browse("kari")
    client.get(f"/cases/{case.public_id}/")
    with CaptureQueriesContext(connection) as short:
        client.get(f"/cases/{case.public_id}/")
    _entries(world, case, 2 * common.TIMELINE_PAGE_SIZE, by="per")
    with CaptureQueriesContext(connection) as long:
        response = client.get(f"/cases/{case.public_id}/")
    assert response.content.decode().count('<li class="entry') <= common.TIMELINE_PAGE_SIZE
    assert len(long.captured_queries) == len(short.captured_queries)


def test_a_mentor_never_gets_a_page_of_nothing(world, browse):
    """The newest page holds only entries the mentor may not read: their page reads on, saying nothing of them."""
    case = world.open_case(name="Mentor Side")
    world.add(case, "mona", role=TeamRole.MENTOR)
    world.add(case, "per")
    _entries(world, case, 3, classification=Classification.MENTOR)
    _entries(world, case, common.TIMELINE_PAGE_SIZE + 2, classification=Classification.POLICE, by="per")
    Entry.objects.filter(case=case, classification=Classification.MENTOR).update(
        occurred_at=timezone.now() - dt.timedelta(days=400)
    )
    items, page = selectors.timeline_page(policy.case_access(world.m["mona"], case), {}, size=common.TIMELINE_PAGE_SIZE)
    assert len(items) == 3 and all(i.readable for i in items)
    assert page.is_last
