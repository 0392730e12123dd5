"""The DPO's access log page: who may see it, what it answers, what it never shows, and what it costs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from utvei.audit.models import Action, AuditEvent
from utvei.audit.services import audit_record
from utvei.cases import selectors as case_selectors
from utvei.oversight import selectors as audit_selectors
from utvei.oversight.selectors import AuditQuery, audit_search

from .audit_helpers import trigger_disabled

PERSON = "Kåre Hemmeligsen"
BODY = "Snakket om vennene fra treningsmiljøet"

NOT_DPO = ["kari", "ola", "per", "mona", "rolf", "anna", "adam", "atle"]


@pytest.fixture
def case(world):
    case = world.open_case(name=PERSON)
    world.add(case, "per")
    world.entry(case, "kari", body=BODY)
    case_selectors.case_get(actor=world.m["per"], case_id=case.public_id)  # per, police, reads it
    return case


def views_of(world, username: str) -> int:
    return AuditEvent.objects.filter(action=Action.AUDIT_VIEW, actor_id=world.m[username].user_id).count()


# ---- access ---------------------------------------------------------------------------------------------


def test_dpo_sees_the_page(dpo):
    r = dpo.get("/audit/")
    assert r.status_code == 200
    assert "audit/report.html" in [t.name for t in r.templates]


@pytest.mark.parametrize("username", NOT_DPO)
@pytest.mark.parametrize("url", ["/audit/", "/audit/export/"])
def test_other_roles_get_404(client_for, username, url):
    assert client_for(username).get(url).status_code == 404


@pytest.mark.parametrize("username", NOT_DPO)
def test_other_roles_cannot_verify(client_for, username):
    assert client_for(username).post("/audit/verify/").status_code == 404


@pytest.mark.parametrize("url", ["/audit/", "/audit/export/"])
def test_anonymous_is_sent_to_login(db, url):
    r = Client().get(url)
    assert r.status_code == 302
    assert r["Location"].startswith("/accounts/login/")


def test_dpo_without_mfa_is_sent_to_set_it_up(world):
    r = world.client("dina").get("/audit/")
    assert r.status_code == 302
    assert r["Location"] == "/accounts/2fa/totp/activate/"


def test_verify_needs_post(dpo):
    assert dpo.get("/audit/verify/").status_code == 405


# ---- what it answers ------------------------------------------------------------------------------------


def test_who_accessed_a_case_by_reference(world, dpo, case):
    r = dpo.get("/audit/", {"case": case.reference.lower()})
    rows = r.context["rows"]
    actors = {row.actor for row in rows}
    assert {"kari", "per", "dina"} <= actors
    assert {row.case_id for row in rows} == {str(case.public_id)}
    assert {row.case_reference for row in rows} == {case.reference}
    assert rows[0].actor == "dina" and rows[0].action == Action.AUDIT_VIEW  # this look is logged against the case
    per = next(row for row in rows if row.actor == "per")
    assert per.action == Action.CASE_VIEW
    assert per.actor_org == "Testby politidistrikt"
    assert per.action_label == "Case viewed"
    assert per.request_id == ""
    assert per.occurred_at.tzname() in {"CET", "CEST"}


def test_who_accessed_a_case_by_id(world, dpo, case):
    rows = dpo.get("/audit/", {"case": str(case.public_id)}).context["rows"]
    assert {row.case_id for row in rows} == {str(case.public_id)}
    assert any(row.actor == "per" and row.action == Action.CASE_VIEW for row in rows)


def test_a_person_reference_finds_the_persons_cases(world, dpo, case):
    rows = dpo.get("/audit/", {"case": case.person.reference}).context["rows"]
    assert any(row.action == Action.CASE_VIEW and row.actor == "per" for row in rows)


def test_an_unknown_reference_finds_nothing_and_says_so(world, dpo, case):
    r = dpo.get("/audit/", {"case": "UTV-1999-000001-1"})
    assert r.context["rows"] == []
    assert "No case or person has that reference." in r.content.decode()


def test_what_a_user_accessed(world, dpo, case):
    rows = dpo.get("/audit/", {"user": "per"}).context["rows"]
    assert rows
    assert {row.actor for row in rows} == {"per"}
    assert Action.CASE_VIEW in {row.action for row in rows}


def test_an_unknown_username_finds_nothing(world, dpo, case):
    r = dpo.get("/audit/", {"user": "nobody"})
    assert r.context["rows"] == []
    assert "No user has that username." in r.content.decode()


def test_date_range_is_inclusive_in_norwegian_time(world, dpo, case):
    old = audit_record(
        action=Action.CASE_VIEW, actor=world.m["per"].user, organisation=world.m["per"].organisation, case=case
    )
    # 23:30 on 1 March in Oslo is 22:30 UTC: the event belongs to 1 March.
    moment = dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC)
    with trigger_disabled():
        AuditEvent.objects.filter(pk=old.pk).update(occurred_at=moment)
    seen = {r.seq for r in dpo.get("/audit/", {"from": "2026-03-01", "to": "2026-03-01"}).context["rows"]}
    assert seen == {old.seq}
    assert dpo.get("/audit/", {"from": "2026-03-02"}).context["page"].paginator.count > 0
    assert old.seq not in {r.seq for r in dpo.get("/audit/", {"from": "2026-03-02"}).context["rows"]}
    assert old.seq not in {r.seq for r in dpo.get("/audit/", {"to": "2026-02-28"}).context["rows"]}


def test_a_reversed_date_range_is_an_error(dpo):
    r = dpo.get("/audit/", {"from": "2026-03-02", "to": "2026-03-01"})
    assert r.status_code == 200
    assert r.context["result"] is None
    assert "The end date is before the start date." in r.content.decode()
    assert 'aria-invalid="true"' in r.content.decode()


def test_a_dpo_sees_only_their_organisations_share(world, dpo, case):
    """Another municipality's case and its staff's doings are that municipality's DPO's business."""
    theirs = world.open_case(by="atle", name="Annen Person")
    rows = dpo.get("/audit/").context["rows"]
    assert str(theirs.public_id) not in {row.case_id for row in rows}
    assert "atle" not in {row.actor for row in rows}
    assert {row.actor for row in dpo.get("/audit/", {"case": theirs.reference}).context["rows"]} == {"dina"}
    assert dpo.get("/audit/", {"user": "atle"}).context["rows"] == []
    # But who touched our case is ours to know, whichever organisation they act for.
    assert "per" in {row.actor for row in dpo.get("/audit/").context["rows"]}


# ---- what it never shows --------------------------------------------------------------------------------


def test_the_page_shows_no_case_content(world, dpo, case):
    for params in ({}, {"case": case.reference}, {"user": "kari"}):
        html = dpo.get("/audit/", params).content.decode()
        assert PERSON not in html
        assert "Hemmeligsen" not in html
        assert BODY not in html


def test_the_page_asks_for_no_identity_in_the_url(dpo):
    html = dpo.get("/audit/").content.decode()
    assert 'method="get"' in html
    assert 'name="case"' in html  # a reference or an opaque id, never a name or national identity number


# ---- one event per look ---------------------------------------------------------------------------------


def test_viewing_writes_one_audit_view_event(world, dpo, case):
    before = views_of(world, "dina")
    dpo.get("/audit/", {"case": case.reference, "from": "2026-01-01"})
    assert views_of(world, "dina") == before + 1
    event = AuditEvent.objects.filter(action=Action.AUDIT_VIEW).order_by("-seq").first()
    assert event.object_type == "case"
    assert event.object_id == str(case.public_id)
    assert event.actor_org_id == world.orgs["kommune"].pk
    assert event.reason == "page;from=2026-01-01"
    assert event.request_id


def test_a_user_search_is_logged_by_id_not_name(world, dpo):
    dpo.get("/audit/", {"user": "per"})
    event = AuditEvent.objects.filter(action=Action.AUDIT_VIEW).order_by("-seq").first()
    assert event.reason == f"page;user={world.m['per'].user_id}"


def test_reasons_are_shown_in_words_and_kept_as_codes_in_the_csv(world, dpo):
    dpo.get("/audit/", {"user": "per", "from": "2026-01-01"})
    page = dpo.get("/audit/", {"user": "dina"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "looked at on the page, about per, from 2026-01-01" in page
    assert ">page;user=" not in page  # the code only in the title
    csv_body = b"".join(dpo.get("/audit/export/", {"user": "dina"}).streaming_content).decode()
    assert f"page;user={world.m['per'].user_id};from=2026-01-01" in csv_body


# ---- pagination and query count ------------------------------------------------------------------------


def _events(world, n: int) -> None:
    names = ["kari", "ola", "per", "siri", "hanne", "nils", "mona"]
    cases = [world.open_case(name=f"P{i}") for i in range(3)]
    for i in range(n):
        m = world.m[names[i % len(names)]]
        audit_record(action=Action.CASE_VIEW, actor=m.user, organisation=m.organisation, case=cases[i % 3])


def _queries(client: Client, params: dict) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get("/audit/", params)
    assert r.status_code == 200
    return len(ctx.captured_queries)


def test_fifty_rows_a_page(world, dpo):
    _events(world, 120)
    r = dpo.get("/audit/")
    assert len(r.context["rows"]) == 50
    assert r.context["page"].paginator.num_pages >= 3
    html = r.content.decode()
    upto = r.context["rows"][0].seq
    assert f'href="?upto={upto}&amp;page=2"' in html
    page2 = dpo.get("/audit/", {"page": 2, "upto": upto})
    assert len(page2.context["rows"]) == 50
    assert {x.seq for x in r.context["rows"]}.isdisjoint({x.seq for x in page2.context["rows"]})
    assert 'rel="next"' in html
    # New events (this page's own views among them) do not shift the pages.
    page2_again = dpo.get("/audit/", {"page": 2, "upto": upto})
    assert [x.seq for x in page2_again.context["rows"]] == [x.seq for x in page2.context["rows"]]


def test_pages_keep_the_filter(world, dpo):
    _events(world, 120)
    r = dpo.get("/audit/", {"from": "2020-01-01"})
    assert f"?from=2020-01-01&amp;upto={r.context['rows'][0].seq}&amp;page=2" in r.content.decode()


def test_query_count_does_not_grow_with_rows(world, dpo):
    _events(world, 5)
    few = _queries(dpo, {})
    _events(world, 100)
    many = _queries(dpo, {})
    assert many == few
    assert _queries(dpo, {"case": "UTV-1999-000001-1"}) <= few


# ---- CSV ------------------------------------------------------------------------------------------------


def _csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_csv_export_has_the_same_rows_as_the_page(world, dpo, case):
    params = {"case": case.reference}
    page_rows = dpo.get("/audit/", params).context["rows"]
    r = dpo.get("/audit/export/", params)
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    assert r["Content-Disposition"].startswith('attachment; filename="utvei-access-log-')
    rows = _csv(r)
    # The export itself is one more look at the log about this case.
    assert [int(x["seq"]) for x in rows[1:]] == [x.seq for x in page_rows]
    assert rows[0]["action"] == Action.AUDIT_VIEW
    assert rows[0]["reason"] == "csv"
    per = next(x for x in rows if x["actor"] == "per")
    assert per["actor_organisation"] == "Testby politidistrikt"
    assert per["case_reference"] == case.reference
    assert per["case_id"] == str(case.public_id)
    body = "".join(",".join(x.values()) for x in rows)
    assert PERSON not in body and BODY not in body


def test_csv_export_streams_every_page(world, dpo, monkeypatch):
    monkeypatch.setattr(audit_selectors.audit_iter_rows, "__kwdefaults__", {"chunk": 40})  # several chunks
    _events(world, 130)
    rows = _csv(dpo.get("/audit/export/"))
    in_scope = audit_search(actor=world.m["dina"], query=AuditQuery()).events.count()
    assert len(rows) == in_scope > 130
    seqs = [int(x["seq"]) for x in rows]
    assert seqs == sorted(seqs, reverse=True)
    assert len(set(seqs)) == len(seqs)


def test_csv_export_writes_one_event(world, dpo):
    before = views_of(world, "dina")
    b"".join(dpo.get("/audit/export/").streaming_content)
    assert views_of(world, "dina") == before + 1


def test_csv_cells_cannot_start_a_formula(world, dpo):
    audit_record(
        action=Action.CASE_VIEW,
        actor=world.m["kari"].user,
        organisation=world.m["kari"].organisation,
        object_type="case",
        object_id="=HYPERLINK(1)",
        reason="+1",
    )
    rows = _csv(dpo.get("/audit/export/"))
    forged = next(x for x in rows if "HYPERLINK" in x["object_id"])
    assert forged["object_id"] == "'=HYPERLINK(1)"
    assert forged["reason"] == "'+1"


def test_a_bad_csv_filter_is_a_400(dpo):
    assert dpo.get("/audit/export/", {"from": "yesterday"}).status_code == 400


# ---- chain verification ---------------------------------------------------------------------------------


def test_the_page_does_not_verify_on_load(dpo, monkeypatch):
    def boom():
        raise AssertionError("verified on page load")

    monkeypatch.setattr("utvei.oversight.views.audit_verify", boom)
    r = dpo.get("/audit/")
    assert "Not verified in this session." in r.content.decode()


def test_verify_button_shows_an_intact_chain(world, dpo, case):
    r = dpo.post("/audit/verify/", {"filter_qs": f"case={case.reference}&page=3&evil=1"})
    assert r.status_code == 302
    assert r["Location"] == f"/audit/?case={case.reference}"
    html = dpo.get(r["Location"]).content.decode()
    assert "Chain intact." in html
    event = AuditEvent.objects.filter(action=Action.AUDIT_VIEW, reason="verify;ok").get()
    assert event.actor_id == world.m["dina"].user_id


def test_verify_button_shows_a_broken_chain(world, dpo, case):
    victim = AuditEvent.objects.order_by("seq")[3]
    with trigger_disabled():
        AuditEvent.objects.filter(pk=victim.pk).update(reason="tampered")
    dpo.post("/audit/verify/")
    html = dpo.get("/audit/").content.decode()
    assert "Chain broken." in html
    assert f"At event number {victim.seq}" in html


def test_verify_redirect_ignores_a_bad_filter(dpo):
    r = dpo.post("/audit/verify/", {"filter_qs": "from=notadate"})
    assert r["Location"] == "/audit/"


def test_each_request_gets_its_own_request_id(world, dpo):
    dpo.get("/audit/")
    dpo.get("/audit/")
    ids = list(AuditEvent.objects.filter(action=Action.AUDIT_VIEW).values_list("request_id", flat=True))
    assert len(set(ids)) == 2
    assert all(len(i) == 32 for i in ids)


def test_case_ids_in_rows_are_opaque(world, dpo, case):
    rows = dpo.get("/audit/", {"case": case.reference}).context["rows"]
    assert rows
    for row in rows:
        assert str(uuid.UUID(row.case_id)) == row.case_id == str(case.public_id)


def test_times_are_shown_in_oslo_time(world, dpo):
    e = audit_record(action=Action.CASE_VIEW, actor=world.m["kari"].user, organisation=world.m["kari"].organisation)
    with trigger_disabled():
        AuditEvent.objects.filter(pk=e.pk).update(occurred_at=dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC))
    html = dpo.get("/audit/", {"from": "2026-07-01", "to": "2026-07-01"}).content.decode()
    assert "2026-07-01 12:00:00" in html
    assert timezone.get_current_timezone_name() == "Europe/Oslo"
