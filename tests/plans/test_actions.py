"""What a user may do to a plan is one answer (access.plans.plan_actions, item_status_allowed): the plan page's
forms and the API's `actions` and `may_update_status` agree, for every role on the team, on a draft, the plan in
force and a superseded version; and who rated a goal and the note follow rating_notes_visible on both."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.api_helpers import API, send
from tests.plans.helpers import add_item, approved_plan, draft_plan, fresh
from utvei.core.errors import NotFound
from utvei.plans import selectors, services
from utvei.plans.models import Plan
from utvei.plans.views_plan import plan_context

PAGE_FLAGS = {
    "edit": "can_edit",
    "rate": "can_rate",
    "approve": "can_approve",
    "review": "can_review",
    "new_version": "can_new_version",
}


def _url(pw: Any, plan: Plan, rest: str = "") -> str:
    return f"{API}cases/{pw.case.public_id}/plans/{plan.public_id}/{rest}"


def _page(pw: Any, username: str, plan: Plan) -> dict[str, Any] | None:
    """What the plan page offers: its action flags, and for each item whether it has a status form."""
    m = pw.m[username]
    try:
        pa = selectors.plan_get(actor=m, case_id=pw.case.public_id, plan_id=plan.public_id, audit=False)
    except NotFound:  # a mentor: only the plan in force exists
        return None
    if not pa.readable:
        return None
    ctx = plan_context(m, pa)
    items = {str(row["item"].public_id): row["status_form"] is not None for row in ctx["item_rows"]}
    return {"actions": {key: bool(ctx[flag]) for key, flag in PAGE_FLAGS.items()}, "items": items}


def _api(pw: Any, username: str, plan: Plan, *, editable: bool) -> dict[str, Any] | None:
    r = send(pw.world.api(username), "get", _url(pw, plan))
    if r.status_code == 404 or r.json().get("restricted"):
        return None
    data = r.json()
    # On a draft the page offers the whole item form instead of a status form.
    items = {i["id"]: i["may_update_status"] and not editable for i in data["items"]}
    return {"actions": data["actions"], "items": items}


@pytest.mark.parametrize("username", ["kari", "ola", "per", "nils", "mona"])
def test_the_page_and_the_api_offer_the_same_actions(pw, username):
    first = draft_plan(pw.world, pw.case)
    add_item(pw.world, first, user="mona")
    add_item(pw.world, first)
    first = fresh(first)
    services.plan_approve(actor=pw.m["kari"], plan=first, expected_version=first.version)
    second = fresh(services.plan_create(actor=pw.m["kari"], case=pw.case))
    seen = []
    for plan in (fresh(first), second):  # the plan in force while a draft exists, and the draft
        page = _page(pw, username, plan)
        assert page == _api(pw, username, plan, editable=bool(page and page["actions"]["edit"])), plan.status
        seen.append(page)
    services.plan_update(actor=pw.m["kari"], plan=second, expected_version=second.version, participation="person")
    second = fresh(second)
    services.plan_approve(actor=pw.m["kari"], plan=second, expected_version=second.version)
    for plan in (fresh(first), fresh(second)):  # superseded, and in force with no draft
        page = _page(pw, username, plan)
        assert page == _api(pw, username, plan, editable=bool(page and page["actions"]["edit"])), plan.status
        seen.append(page)
    if username == "kari":
        assert [p["actions"] if p else None for p in seen] == [
            {"edit": False, "rate": True, "approve": False, "review": True, "new_version": False},
            {"edit": True, "rate": True, "approve": True, "review": False, "new_version": False},
            {"edit": False, "rate": False, "approve": False, "review": False, "new_version": False},
            {"edit": False, "rate": True, "approve": False, "review": True, "new_version": True},
        ]
    if username == "mona":  # the mentor: the plan in force only, and the status of her own item
        assert seen[1] is None and seen[2] is None
        assert seen[0]["actions"] == dict.fromkeys(PAGE_FLAGS, False)
        assert list(seen[3]["items"].values()) == [True]


def test_rating_notes_follow_the_policy_on_the_page_and_in_the_api(pw, browse):
    plan = approved_plan(pw.world, pw.case)
    goal = plan.goals.get()
    services.goal_rate(actor=pw.m["kari"], goal=goal, rating=1, note="VURDERINGSNOTAT")
    url = _url(pw, plan, f"goals/{goal.public_id}/")
    full = send(pw.world.api("kari"), "get", url).json()["ratings"][0]
    assert full["note"] == "VURDERINGSNOTAT" and full["rated_by"] == "kari"
    assert set(send(pw.world.api("mona"), "get", url).json()["ratings"][0]) == {"rating", "rated_on"}
    page = f"/cases/{pw.case.public_id}/plans/{plan.public_id}/"
    assert "VURDERINGSNOTAT" in browse("kari").get(page).content.decode()
    assert "VURDERINGSNOTAT" not in browse("mona").get(page).content.decode()
