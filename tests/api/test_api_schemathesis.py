"""The API matches its schema (issue 12, deliverable 6): schemathesis generates requests from the published
OpenAPI schema, valid and invalid, for every operation, sends them to the application in-process and applies every
check it has (no server error; status codes, content types, headers and bodies as documented; schema-invalid input
refused, schema-valid input not refused; no HTML anywhere). The case, plan, meeting and the rest that the path
parameters name are real objects a coordinator made, so the generated requests reach the views' own logic and not
only their 404. Sent as the coordinator and, every third request, as a mentor on the team. Bounded: a few dozen
examples per operation (UTVEI_SCHEMATHESIS_EXAMPLES to run more)."""

from __future__ import annotations

import datetime as dt
import json
import os
import zlib
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation

from tests import sampling
from tests.api.api_helpers import one_of_each
from utvei.api.models import ApiToken
from utvei.cases.models import TeamRole
from utvei.oversight.models import AccessAlert

# On the second database a quarter of them (tests/sampling.py).
EXAMPLES = int(os.environ.get("UTVEI_SCHEMATHESIS_EXAMPLES") or (6 if sampling.SAMPLED else 25))


def _served_schema() -> Any:
    """The schema exactly as /api/v1/schema/ serves it, made at collection without a request (a request here would
    open a database connection before the test database exists)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(generated)))
    loaded.app = get_wsgi_application()
    return loaded


schema = _served_schema()


def _token(world: Any, username: str) -> str:
    _, raw = ApiToken.issue(membership=world.m[username], expires_at=timezone.now() + dt.timedelta(hours=1))
    return raw


@pytest.fixture
def keep_connection(things: dict[str, str]) -> Any:
    """The WSGI handler closes the database connection after each request, as a server should; inside a test's
    transaction that would end the test's database (Django's own test client does the same as this, and connects
    the handler again after each of its requests: hence after `things`, which uses it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def things(world: Any) -> dict[str, str]:
    """Path parameter values that name objects kari (a coordinator) may reach; mona (a mentor) is on the team too,
    so the answers a mentor gets (403 where her role may not act, restricted markers) are checked as well."""
    t = one_of_each(world)
    world.add(t.case, "mona", role=TeamRole.MENTOR)
    alert = AccessAlert.objects.create(  # an unusual-access alert on the case, for its DPO (dina)
        rule="outside_office_hours",
        rule_version=1,
        user=world.m["kari"].user,
        organisation=world.orgs["kommune"],
        case_public_id=str(t.case.public_id),
        window_start=timezone.now() - dt.timedelta(days=1),
        window_end=timezone.now(),
        first_seq=1,
        last_seq=1,
    )
    return {
        "alert_id": str(alert.public_id),
        "person_id": str(t.case.person.public_id),
        "case_id": str(t.case.public_id),
        "entry_id": str(t.entry.public_id),
        "task_id": str(t.task.public_id),
        "contact_id": str(t.contact.public_id),
        "plan_id": str(t.plan.public_id),
        "goal_id": str(t.goal.public_id),
        "item_id": str(t.item.public_id),
        "meeting_id": str(t.meeting.public_id),
        "decision_id": str(t.decision.public_id),
    }


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_matches_its_schema(case: Any, world: Any, things: dict[str, str], keep_connection: Any) -> None:
    meta = case.meta
    positive = meta is not None and meta.generation.mode.is_positive
    # Reach a real object on half the valid requests; the others keep what was generated (mostly a 404).
    if case.path_parameters and positive and zlib.crc32(repr(case.body).encode()) % 2 == 0:
        for name in case.path_parameters:
            if name in things:
                case.path_parameters[name] = things[name]
    # Organisation administration: the administrator of the municipality, on its members (issue 14).
    administration = case.path.startswith("/api/v1/organisations/")
    if administration and case.path_parameters and positive and zlib.crc32(repr(case.body).encode()) % 2 == 0:
        case.path_parameters["org"] = "kommune"
        if "member_id" in case.path_parameters:
            case.path_parameters["member_id"] = world.m["ola"].pk
    # A token of its own for each request (DELETE /auth/token/, signing out, is among the operations), except
    # where the case was generated to break its headers: then what schemathesis made is sent as it is.
    headers_negated = meta is not None and any(
        location == ParameterLocation.HEADER and info.mode.is_negative for location, info in meta.components.items()
    )
    # Every third request as the mentor, the others as the coordinator (the same for the same case).
    username = "mona" if zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode()) % 3 == 0 else "kari"
    if administration:
        username = "adam"
    # The DPO's oversight (docs/oversight.md): the municipality's DPO, on an alert and a person in her scope.
    oversight = case.path.startswith(("/api/v1/alerts/", "/api/v1/access-reports/"))
    if oversight:
        username = "dina"
        if case.path_parameters and positive and zlib.crc32(repr(case.body).encode()) % 2 == 0:
            for name in ("alert_id", "person_id"):
                if name in case.path_parameters:
                    case.path_parameters[name] = things[name]
    headers = {} if headers_negated else {"Authorization": f"Bearer {_token(world, username)}"}
    response = case.call_and_validate(headers=headers)
    # 401 would satisfy every check: make sure the valid requests were let in, so the checks saw the views' answers.
    assert not positive or response.status_code != 401, (case.method, case.path, response.text[:200])
