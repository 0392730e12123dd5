"""Who sees what of a plan, through selectors, pages and the API: the mentor rule, other organisations and the
sharing gate, people without a relation. Every read is audited."""

from __future__ import annotations

import pytest

from tests.api.api_helpers import API, assert_error, send
from tests.plans.helpers import add_item, approved_plan, draft_plan, events_since, fresh, seq
from utvei.access.plans import PlanView
from utvei.audit.models import Action
from utvei.cases.models import TeamRole
from utvei.core.errors import NotFound
from utvei.core.vocabulary import DataCategory
from utvei.plans import selectors, services
from utvei.plans.models import PlanStatus

GOAL = "Jeg vil bli snekker"
MONA_ITEM_NOTE = "Tur hver tirsdag"
NAV_ITEM_NOTE = "NAV-HEMMELIG arbeidstrening"


@pytest.fixture
def plan(pw):
    """An approved plan with a goal, an item for mona (mentor) and an item for nils (NAV)."""
    world = pw.world
    draft = draft_plan(world, pw.case, goals=(GOAL,))
    add_item(world, draft, key="mentor", user="mona", note=MONA_ITEM_NOTE)
    add_item(world, draft, key="employment-work-training", user="nils", note=NAV_ITEM_NOTE)
    draft = fresh(draft)
    services.plan_approve(actor=pw.m["kari"], plan=draft, expected_version=draft.version)
    services.goal_rate(actor=pw.m["kari"], goal=fresh(draft).goals.get(), rating=-1, note="VURDERINGSNOTAT")
    return fresh(draft)


def plan_url(plan, suffix=""):
    return f"/cases/{plan.case.public_id}/plans/{plan.public_id}/{suffix}"


def api_url(plan, suffix=""):
    return f"{API}cases/{plan.case.public_id}/plans/{plan.public_id}/{suffix}"


# ---- Selectors -----------------------------------------------------------------------------------------


def test_a_coordinator_sees_everything_of_the_plan(pw, plan):
    pa = selectors.plan_get(actor=pw.m["kari"], case_id=pw.case.public_id, plan_id=plan.public_id)
    content = selectors.plan_content(pa)
    assert pa.view == PlanView.FULL
    assert [r.goal.text for r in content.goals] == [GOAL]
    assert {i.measure.key for i in content.items} == {"mentor", "employment-work-training"}


def test_a_mentor_sees_the_goals_and_only_the_items_assigned_to_them(pw, plan):
    pa = selectors.plan_get(actor=pw.m["mona"], case_id=pw.case.public_id, plan_id=plan.public_id)
    content = selectors.plan_content(pa)
    assert pa.view == PlanView.MENTOR
    assert [r.goal.text for r in content.goals] == [GOAL]
    assert [i.measure.key for i in content.items] == ["mentor"]
    assert content.reviews == []


def test_a_mentor_gets_no_draft_and_no_superseded_version(pw, plan):
    v2 = services.plan_create(actor=pw.m["kari"], case=pw.case)
    with pytest.raises(NotFound):
        selectors.plan_get(actor=pw.m["mona"], case_id=pw.case.public_id, plan_id=v2.public_id)
    v2 = fresh(v2)
    services.plan_update(actor=pw.m["kari"], plan=v2, expected_version=v2.version, participation="person")
    v2 = fresh(v2)
    services.plan_approve(actor=pw.m["kari"], plan=v2, expected_version=v2.version)
    with pytest.raises(NotFound):
        selectors.plan_get(actor=pw.m["mona"], case_id=pw.case.public_id, plan_id=plan.public_id)
    versions = selectors.case_plans(selectors.case_get(actor=pw.m["mona"], case_id=pw.case.public_id))
    assert [v.plan.pk for v in versions] == [v2.pk]


def test_a_plan_for_the_team_only_is_hidden_from_mentors(pw):
    kari = pw.m["kari"]
    draft = draft_plan(pw.world, pw.case)
    services.plan_update(actor=kari, plan=draft, expected_version=draft.version, classification="team")
    draft = fresh(draft)
    services.plan_approve(actor=kari, plan=draft, expected_version=draft.version)
    with pytest.raises(NotFound):
        selectors.plan_get(actor=pw.m["mona"], case_id=pw.case.public_id, plan_id=draft.public_id)


def test_another_organisation_without_a_basis_for_the_plan_category_sees_a_marker(world):
    case = world.open_case()
    world.add(case, "siri", consent=False)
    world.consent(case, "skole", categories=[DataCategory.CONCERN])  # a consent, but not for plans
    plan = approved_plan(world, case)
    pa = selectors.plan_get(actor=world.m["siri"], case_id=case.public_id, plan_id=plan.public_id)
    assert not pa.readable and not pa.decision.allowed and pa.decision.restricted_marker
    assert selectors.plan_content(pa).goals == []
    with pytest.raises(Exception):  # noqa: B017 — cannot write what it cannot read
        services.goal_rate(actor=world.m["siri"], goal=plan.goals.get(), rating=0)
    world.consent(case, "skole", categories=[DataCategory.PLAN])
    pa = selectors.plan_get(actor=world.m["siri"], case_id=case.public_id, plan_id=plan.public_id)
    assert pa.view == PlanView.FULL and "consent" in pa.decision.records


def test_a_mentor_without_a_basis_sees_nothing_of_the_plan(world):
    case = world.open_case()
    world.add(case, "mona", role=TeamRole.MENTOR, consent=False)
    plan = approved_plan(world, case)
    with pytest.raises(NotFound):
        selectors.plan_get(actor=world.m["mona"], case_id=case.public_id, plan_id=plan.public_id)


@pytest.mark.parametrize("username", ["atle", "arne", "dina", "anna", "adam", "rolf", "kjell"])
def test_people_without_a_relation_or_a_case_role_get_not_found(pw, plan, username):
    if username == "kjell":  # the owning organisation's other coordinator does see it
        assert selectors.plan_get(actor=pw.m["kjell"], case_id=pw.case.public_id, plan_id=plan.public_id).readable
        return
    with pytest.raises(NotFound):
        selectors.plan_get(actor=pw.m[username], case_id=pw.case.public_id, plan_id=plan.public_id)


def test_a_plan_of_another_case_is_not_found_under_this_one(pw, plan):
    other = pw.world.open_case(name="Annen Person")
    with pytest.raises(NotFound):
        selectors.plan_get(actor=pw.m["kari"], case_id=other.public_id, plan_id=plan.public_id)


def test_reads_are_audited_once_and_refusals_too(pw, plan):
    start = seq()
    selectors.plan_get(actor=pw.m["mona"], case_id=pw.case.public_id, plan_id=plan.public_id)
    with pytest.raises(NotFound):
        selectors.plan_get(actor=pw.m["atle"], case_id=pw.case.public_id, plan_id=plan.public_id)
    events = events_since(start)
    assert [e.action for e in events] == [Action.PLAN_VIEW, Action.CASE_DENIED]
    assert events[0].object_id == str(plan.public_id) and events[0].case_id == str(pw.case.public_id)


# ---- Pages ---------------------------------------------------------------------------------------------


def test_the_plan_page_for_a_mentor_shows_goals_and_own_items_only(pw, plan, browse):
    body = browse("mona").get(plan_url(plan)).content.decode()
    assert GOAL in body and MONA_ITEM_NOTE in body
    assert NAV_ITEM_NOTE not in body and "VURDERINGSNOTAT" not in body
    assert "Participation" not in body and "Approve the plan" not in body


def test_the_case_page_shows_the_plan_section_by_role(pw, plan, browse):
    case_url = f"/cases/{pw.case.public_id}/"
    kari = browse("kari").get(case_url).content.decode()
    assert 'id="plan"' in kari and GOAL in kari and "Employment" in kari
    mona = browse("mona").get(case_url).content.decode()
    assert GOAL in mona and "Mentor" in mona and "Employment" not in mona


@pytest.mark.parametrize(
    "username,status",
    [("kari", 200), ("ola", 200), ("per", 200), ("nils", 200), ("mona", 200), ("atle", 404), ("dina", 404)],
)
def test_plan_page_and_print_access(pw, plan, browse, username, status):
    client = browse(username)
    assert client.get(plan_url(plan)).status_code == status
    assert client.get(plan_url(plan, "print/") + "?lang=en").status_code == status


@pytest.mark.parametrize(
    "username,status",
    [("kari", 302), ("ola", 403), ("per", 403), ("mona", 404), ("atle", 404)],  # drafts do not exist for mentors
)
def test_only_a_coordinator_approves_on_the_page(pw, browse, username, status):
    draft = draft_plan(pw.world, pw.case)
    response = browse(username).post(plan_url(draft, "approve/"), {"approve-version": draft.version})
    assert response.status_code == status
    assert fresh(draft).status == (PlanStatus.APPROVED if status == 302 else PlanStatus.DRAFT)


# ---- API -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username,status,items",
    [("kari", 200, 2), ("nils", 200, 2), ("mona", 200, 1), ("atle", 404, None), ("dina", 404, None)],
)
def test_api_plan_access(pw, plan, username, status, items):
    r = send(pw.world.api(username), "get", api_url(plan))
    if status != 200:
        assert_error(r, status)
        return
    data = r.json()
    assert r.status_code == 200 and len(data["items"]) == items
    assert data["goals"][0]["text"] == GOAL
    if username == "mona":
        assert data["view"] == "mentor" and "participation" not in data
        assert "note" not in data["goals"][0]["ratings"][0]
    else:
        assert data["view"] == "full" and data["goals"][0]["ratings"][0]["note"] == "VURDERINGSNOTAT"


def test_api_marker_for_an_organisation_without_a_basis(world):
    case = world.open_case()
    world.add(case, "siri", consent=False)
    plan = approved_plan(world, case)
    data = send(world.api("siri"), "get", api_url(plan)).json()
    assert data["restricted"] is True and "goals" not in data and "items" not in data
    listing = send(world.api("siri"), "get", f"{API}cases/{case.public_id}/plans/").json()
    assert listing["results"][0]["restricted"] is True
    assert_error(send(world.api("siri"), "get", api_url(plan, "goals/")), 404)


def test_api_mentor_updates_own_item_status_only(pw, plan):
    mona = pw.world.api("mona")
    items = send(mona, "get", api_url(plan, "items/")).json()["results"]
    assert len(items) == 1
    r = send(
        mona, "patch", api_url(plan, f"items/{items[0]['id']}/"), {"status": "ongoing", "version": items[0]["version"]}
    )
    assert r.status_code == 200 and r.json()["status"] == "ongoing"
    nav_item = plan.items.get(measure__key="employment-work-training")
    body = {"status": "done", "version": nav_item.version}
    assert_error(send(mona, "patch", api_url(plan, f"items/{nav_item.public_id}/"), body), 404)
    assert_error(send(mona, "post", api_url(plan, f"goals/{plan.goals.get().public_id}/ratings/"), {"rating": 1}), 403)
    assert_error(send(mona, "post", f"{API}cases/{pw.case.public_id}/plans/"), 403)


def test_why_can_i_see_this_names_the_plan_and_the_basis(pw, plan, browse):
    assert "You started this plan." in browse("kari").get(plan_url(plan)).content.decode()
    assert "Your organisation started this plan." in browse("ola").get(plan_url(plan)).content.decode()
    assert "consent covers your organisation" in browse("nils").get(plan_url(plan)).content.decode()
