"""Every address under /api/v1/ answers in JSON (issue 12, deliverable 6): an address no route matches is a JSON
404 by any method — also a POST, PATCH or DELETE from a logged-in browser session with CSRF checks on, which
used to get Django's HTML "CSRF verification failed" page — and a wrong method on a real route a JSON 405."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def session(client_for):
    client = client_for("kari")
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    return strict


@pytest.mark.parametrize("method", ["get", "post", "patch", "put", "delete"])
def test_no_route_is_a_json_404_by_any_method(session, method):
    response = getattr(session, method)("/api/v1/no/such/thing/", content_type="application/json")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"] == "not_found"


def test_a_wrong_method_on_a_route_is_a_json_405(world):
    response = world.api("kari").put("/api/v1/cases/", "{}", content_type="application/json")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


@pytest.mark.parametrize(
    "path", ["/api/v1/cases/%0A/entries/", "/api/v1/tasks/x%0Ay/", "/api/v1/%0A", "/api/v1/cases/%C3%82%0A/plans/"]
)
def test_a_newline_in_the_address_is_a_json_404_too(world, path):
    """Found by schemathesis: a path parameter with a newline in it matched no route, not even the catch-all (`.`
    stops at a newline), and got the site's HTML 404 page."""
    response = world.api("kari").get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"] == "not_found"
