"""The OpenAPI schema, the local Swagger UI, and error messages in the caller's language."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

from .api_helpers import API, assert_error, send


def test_the_schema_documents_every_endpoint(db: Any) -> None:
    r = Client().get(API + "schema/")
    assert r.status_code == 200
    schema = yaml.safe_load(r.content)
    paths = set(schema["paths"])
    for path in (
        "/api/v1/auth/token",
        "/api/v1/concerns/",
        "/api/v1/concerns/{concern_id}/",
        "/api/v1/concerns/{concern_id}/triage/",
        "/api/v1/cases/",
        "/api/v1/cases/{case_id}/",
        "/api/v1/cases/{case_id}/transition/",
        "/api/v1/cases/{case_id}/close/",
        "/api/v1/cases/{case_id}/reopen/",
        "/api/v1/cases/{case_id}/entries/",
        "/api/v1/cases/{case_id}/entries/{entry_id}/",
        "/api/v1/cases/{case_id}/team/",
        "/api/v1/cases/{case_id}/team/{member_id}/",
        "/api/v1/tasks/",
        "/api/v1/tasks/{task_id}/",
    ):
        assert path in paths, path
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    entry = schema["components"]["schemas"]["Entry"]["properties"]
    assert entry["author"]["readOnly"] and entry["author_organisation"]["readOnly"]
    request = schema["components"]["schemas"]["EntryRequest"]["properties"]
    assert "author" not in request and "author_organisation" not in request and "case" not in request
    assert "owning_organisation" not in schema["components"]["schemas"]["PatchedCaseRequest"]["properties"]
    assert "reporter_organisation" not in schema["components"]["schemas"]["ConcernRequest"]["properties"]
    assert "national_id" not in schema["components"]["schemas"]["PersonRef"]["properties"]


def test_the_schema_validates_without_warnings(db: Any, tmp_path: Any) -> None:
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_the_docs_page_uses_only_local_assets(db: Any) -> None:
    r = Client().get(API + "docs/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "swagger-ui" in html
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert urls, html
    for url in urls:  # our static files, and the page's own script (a file of its own under the CSP)
        assert url.startswith(("/static/", API + "docs/?script=")), url
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    for url in urls:
        assert Client().get(url).status_code == 200, url


def test_unknown_addresses_are_json_404_also_without_a_token(db: Any) -> None:
    assert_error(Client().get(API + "nothing/"), 404, "not_found")
    assert_error(Client().post(API + "cases/1/", content_type="application/json"), 404, "not_found")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("", "Manglende autentiseringsinformasjon."),
        ("nb", "Manglende autentiseringsinformasjon."),
        ("en", "Authentication credentials were not provided."),
        ("en-GB,en;q=0.9", "Authentication credentials were not provided."),
    ],
)
def test_framework_errors_follow_accept_language(db: Any, language: str, expected: str) -> None:
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    assert assert_error(Client().get(API + "cases/", **headers), 401)["detail"] == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nb", "Det finnes ingen slik adresse i API-et."), ("en", "There is no such address in the API.")],
)
def test_our_own_errors_follow_accept_language(db: Any, language: str, expected: str) -> None:
    r = Client().get(API + "nothing/", HTTP_ACCEPT_LANGUAGE=language)
    assert assert_error(r, 404)["detail"] == expected


def test_login_errors_are_translated(world: Any) -> None:
    payload = {"username": "rolf", "password": "wrong"}
    nb = assert_error(send(Client(), "post", "auth/token", payload), 401)["detail"]
    en = assert_error(send(Client(), "post", "auth/token", payload, HTTP_ACCEPT_LANGUAGE="en"), 401)["detail"]
    assert en == "Wrong username or password." and nb == "Feil brukernavn eller passord."


def test_validation_errors_are_translated(world: Any) -> None:
    nb = assert_error(send(world.api("rolf"), "post", "concerns/", {}), 400, "invalid")
    en = assert_error(send(world.api("rolf"), "post", "concerns/", {}, HTTP_ACCEPT_LANGUAGE="en"), 400, "invalid")
    assert "Dette feltet er påkrevd." in nb["detail"] and "This field is required." in en["detail"]
    assert set(nb["fields"]) == {"receiving_organisation", "description"}
