"""No lost update (issue 12, deliverable 5), as a table: every API operation that changes or removes a saved object
names the version it saw; without one it is refused (400), with a stale one too (409, the saved object in
`current`), and nothing changes. The table is checked against the schema, so a new writable operation must be
placed in it: versioned (and then tested here), or one of the kinds that are not versioned by design."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from django.test import Client

from tests.api.api_helpers import API, one_of_each, send
from utvei.accounts.models import Membership
from utvei.cases.models import ClosureReason

STALE = 999
CLOSE_REASON = ClosureReason.values[0]

# Operations that are not versioned, and why. Each is either a creation (nothing saved to overwrite) or a one-way
# step that refuses a second attempt with 409 (so two people cannot both win), or not a change of case data.
NOT_VERSIONED = {
    "POST /api/v1/auth/token": "signs in",
    "POST /api/v1/me/goals/{goal_id}/ratings/": "appends (the person's own rating)",
    "POST /api/v1/me/answers/": "appends (the person's own answer)",
    "POST /api/v1/me/consents/{consent_id}/withdraw/": "one way; a second is 409",
    "POST /api/v1/cases/search/": "reads (a search sent in the body, to keep names out of addresses)",
    "POST /api/v1/concerns/{concern_id}/take/": "one-way: taking twice is harmless, someone else's is a 409",
    "POST /api/v1/concerns/{concern_id}/answer/": "one-way: answers the one open question, a second is a 409",
    "DELETE /api/v1/auth/token": "signs out",
    "POST /api/v1/cases/{case_id}/assessments/": "creates",
    "POST /api/v1/cases/{case_id}/assessments/skip/": "creates a record",
    "POST /api/v1/cases/{case_id}/consents/": "creates",
    "POST /api/v1/cases/{case_id}/consents/{consent_id}/withdraw/": "one way; a second is 409",
    "POST /api/v1/cases/{case_id}/disclosures/": "creates",
    "POST /api/v1/cases/{case_id}/disclosures/{disclosure_id}/revoke/": "one way; a second is 409",
    "POST /api/v1/cases/{case_id}/entries/": "creates",
    "POST /api/v1/cases/{case_id}/entries/{entry_id}/attachments/": "creates (a file is never changed, only added)",
    "POST /api/v1/cases/{case_id}/measurements/": "creates",
    "POST /api/v1/cases/{case_id}/meetings/": "creates",
    "POST /api/v1/cases/{case_id}/network/contacts/": "creates",
    "POST /api/v1/cases/{case_id}/network/contacts/{contact_id}/observations/": "appends",
    "POST /api/v1/cases/{case_id}/outcome-events/": "creates",
    "POST /api/v1/cases/{case_id}/plans/": "creates",
    "POST /api/v1/cases/{case_id}/plans/{plan_id}/goals/{goal_id}/ratings/": "appends",
    "POST /api/v1/cases/{case_id}/plans/{plan_id}/reviews/": "appends",
    "POST /api/v1/cases/{case_id}/referrals/": "creates",
    "POST /api/v1/cases/{case_id}/reopen/": "one way: a closed case only; a second is 409",
    "POST /api/v1/cases/{case_id}/team/": "creates a membership",
    "DELETE /api/v1/cases/{case_id}/team/{member_id}/": "one way: ends a membership; a second is 404",
    "POST /api/v1/concerns/": "creates",
    "POST /api/v1/concerns/{concern_id}/triage/": "one way: a received concern only; a second is 409",
    "POST /api/v1/emergency-access/": "creates",
    "POST /api/v1/subject-access/": "creates",
    "POST /api/v1/subject-access/{request_id}/extend/": "one way: once, a pending request only; a second is 409",
    "POST /api/v1/subject-access/{request_id}/refuse/": "one way: an open request only; a second is 409",
    "POST /api/v1/subject-access/{request_id}/answer/": "one way: an open request only; a second is 409",
    "POST /api/v1/emergency-access/{access_id}/end/": "one way; a second is 409",
    "POST /api/v1/emergency-access/{access_id}/review/": "one way; a second is 409",
    "POST /api/v1/alerts/{alert_id}/review/": "one way: the DPO's review of an alert; a second is 409",
    "POST /api/v1/access-reports/search/": "reads (a search sent in the body, to keep names out of addresses)",
    "POST /api/v1/measures/": "creates",
    "POST /api/v1/referrals/{referral_id}/accept/": "one way; a second is 409",
    "POST /api/v1/referrals/{referral_id}/decline/": "one way; a second is 409",
    "POST /api/v1/referrals/{referral_id}/withdraw/": "one way; a second is 409",
    "POST /api/v1/tasks/": "creates",
    "POST /api/v1/cases/{case_id}/plans/{plan_id}/goals/": "adds to a draft; nothing saved is overwritten",
    "POST /api/v1/cases/{case_id}/plans/{plan_id}/items/": "adds to a draft; nothing saved is overwritten",
    "POST /api/v1/meetings/{meeting_id}/decisions/": "adds to a draft; nothing saved is overwritten",
    "POST /api/v1/organisations/{org}/members/": "creates (a taken username is a 409)",
    "POST /api/v1/organisations/{org}/members/{member_id}/mfa-reset/": "one way: a second removes nothing more",
    "POST /api/v1/organisations/{org}/members/{member_id}/handover/": "one way: a second finds nothing (422)",
    "POST /api/v1/retention/cases/{retention_case_id}/holds/": "creates",
    "POST /api/v1/retention/cases/{retention_case_id}/holds/{hold_id}/lift/": "one way; a second is 409",
    "POST /api/v1/retention/cases/{retention_case_id}/open/": "creates an opening for a stated reason",
    "POST /api/v1/retention/cases/{retention_case_id}/restrict/": "one way: an active case only; a second is 409",
    "POST /api/v1/retention/cases/{retention_case_id}/unrestrict/": "one way: an art. 18 restriction; a second is 409",
    "POST /api/v1/retention/cases/{retention_case_id}/rectification/": "creates",
    "POST /api/v1/retention/cases/{retention_case_id}/rectification/{rectification_id}/answer/": (
        "one way; a second is 409 (identity corrections carry person_version: stale is 409)"
    ),
    "POST /api/v1/organisations/{org}/members/{member_id}/invitation/": (
        "a new link each time, the older dead; a second withdrawal is 409"
    ),
}


@dataclass
class Op:
    method: str
    path: str  # as in the schema
    url: Callable[[Any], str]
    body: Callable[[Any], dict[str, Any]]  # without the version
    in_query: bool = False  # the version goes in ?version= (DELETE)


def _case(t: Any) -> str:
    return f"cases/{t.case.public_id}/"


def _plan(t: Any) -> str:
    return f"{_case(t)}plans/{t.plan.public_id}/"


def _meeting(t: Any) -> str:
    return f"meetings/{t.meeting.public_id}/"


DUE = (dt.date.today() + dt.timedelta(days=10)).isoformat()

OPS = [
    Op("PATCH", "/api/v1/cases/{case_id}/", _case, lambda t: {"safety_plan": "Ny plan"}),
    Op("PATCH", "/api/v1/cases/{case_id}/person/", lambda t: _case(t) + "person/", lambda t: {"full_name": "Ny Navn"}),
    Op(
        "POST",
        "/api/v1/cases/{case_id}/transition/",
        lambda t: _case(t) + "transition/",
        lambda t: {"to_phase": "active"},
    ),
    Op(
        "POST",
        "/api/v1/cases/{case_id}/close/",
        lambda t: _case(t) + "close/",
        lambda t: {"reason": CLOSE_REASON, "summary": "Avsluttet"},
    ),
    Op(
        "PATCH",
        "/api/v1/cases/{case_id}/assessments/{assessment_id}/",
        lambda t: f"cases/{t.assessed.public_id}/assessments/{t.assessment.public_id}/",
        lambda t: {"summary_judgement": "Endret"},
    ),
    Op(
        "POST",
        "/api/v1/cases/{case_id}/assessments/{assessment_id}/finalise/",
        lambda t: f"cases/{t.assessed.public_id}/assessments/{t.assessment.public_id}/finalise/",
        lambda t: {},
    ),
    Op(
        "PATCH",
        "/api/v1/cases/{case_id}/entries/{entry_id}/",
        lambda t: f"{_case(t)}entries/{t.entry.public_id}/",
        lambda t: {"body": "Andre versjon"},
    ),
    Op(
        "PATCH",
        "/api/v1/cases/{case_id}/network/contacts/{contact_id}/",
        lambda t: f"{_case(t)}network/contacts/{t.contact.public_id}/",
        lambda t: {"label": "Ny betegnelse"},
    ),
    Op("PATCH", "/api/v1/cases/{case_id}/plans/{plan_id}/", _plan, lambda t: {"participation_note": "Endret"}),
    Op("POST", "/api/v1/cases/{case_id}/plans/{plan_id}/approve/", lambda t: _plan(t) + "approve/", lambda t: {}),
    Op(
        "PATCH",
        "/api/v1/cases/{case_id}/plans/{plan_id}/goals/{goal_id}/",
        lambda t: f"{_plan(t)}goals/{t.goal.public_id}/",
        lambda t: {"text": "Endret mål"},
    ),
    Op(
        "DELETE",
        "/api/v1/cases/{case_id}/plans/{plan_id}/goals/{goal_id}/",
        lambda t: f"{_plan(t)}goals/{t.goal.public_id}/",
        lambda t: {},
        in_query=True,
    ),
    Op(
        "PATCH",
        "/api/v1/cases/{case_id}/plans/{plan_id}/items/{item_id}/",
        lambda t: f"{_plan(t)}items/{t.item.public_id}/",
        lambda t: {"note": "Endret"},
    ),
    Op(
        "DELETE",
        "/api/v1/cases/{case_id}/plans/{plan_id}/items/{item_id}/",
        lambda t: f"{_plan(t)}items/{t.item.public_id}/",
        lambda t: {},
        in_query=True,
    ),
    Op("PATCH", "/api/v1/meetings/{meeting_id}/", _meeting, lambda t: {"agenda": "Ny dagsorden"}),
    Op("POST", "/api/v1/meetings/{meeting_id}/hold/", lambda t: _meeting(t) + "hold/", lambda t: {"minutes": "Ref"}),
    Op("POST", "/api/v1/meetings/{meeting_id}/cancel/", lambda t: _meeting(t) + "cancel/", lambda t: {}),
    Op(
        "PATCH",
        "/api/v1/meetings/{meeting_id}/decisions/{decision_id}/",
        lambda t: f"{_meeting(t)}decisions/{t.decision.public_id}/",
        lambda t: {"text": "Endret vedtak"},
    ),
    Op(
        "DELETE",
        "/api/v1/meetings/{meeting_id}/decisions/{decision_id}/",
        lambda t: f"{_meeting(t)}decisions/{t.decision.public_id}/",
        lambda t: {},
        in_query=True,
    ),
    Op("PATCH", "/api/v1/tasks/{task_id}/", lambda t: f"tasks/{t.task.public_id}/", lambda t: {"status": "done"}),
    Op("PATCH", "/api/v1/measures/{key}/", lambda t: f"measures/{t.measure}/", lambda t: {"active": False}),
    Op("PATCH", "/api/v1/legal-bases/{key}/", lambda t: "legal-bases/fvl-13b-5/", lambda t: {"local_note": "x"}),
    Op(
        "PATCH",
        "/api/v1/organisations/{org}/members/{member_id}/",
        lambda t: f"organisations/kommune/members/{_member('ola')}/",
        lambda t: {"role": "coordinator"},
    ),
]


def _member(username: str) -> int:
    return Membership.objects.get(user__username=username, organisation__slug="kommune").pk


def _writable_operations() -> set[str]:
    paths = yaml.safe_load(Client().get(API + "schema/").content)["paths"]
    return {
        f"{method.upper()} {path}"
        for path, ops in paths.items()
        for method in ops
        if method in {"post", "patch", "put", "delete"}
    }


def test_every_writable_operation_is_in_the_table(db):
    versioned = {f"{op.method} {op.path}" for op in OPS}
    assert not versioned & set(NOT_VERSIONED)
    assert _writable_operations() == versioned | set(NOT_VERSIONED), "place each new writable operation in a table"


# Who sends each request: the organisation administrator for their notes, a coordinator for the rest.
WHO = {"/api/v1/legal-bases/{key}/": "adam", "/api/v1/organisations/{org}/members/{member_id}/": "adam"}


@pytest.mark.parametrize("op", OPS, ids=[f"{op.method} {op.path}" for op in OPS])
def test_a_missing_or_stale_version_is_refused_and_changes_nothing(world, op):
    t = one_of_each(world)
    client = world.api(WHO.get(op.path, "kari"))
    url, body = op.url(t), op.body(t)
    before = send(client, "GET", url).content if op.method in {"PATCH", "DELETE"} else None

    missing = send(client, op.method, url, None if op.in_query else body)
    assert missing.status_code == 400, (missing.status_code, missing.content[:300])
    if op.in_query:
        stale = send(client, op.method, f"{url}?version={STALE}")
    else:
        stale = send(client, op.method, url, {**body, "version": STALE})
    assert stale.status_code == 409, (stale.status_code, stale.content[:300])
    assert "current" in stale.json()
    if before is not None:
        assert send(client, "GET", url).content == before  # nothing changed
