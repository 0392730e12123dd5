"""cases/{id}/consents/ and cases/{id}/disclosures/ in the API: shapes, refusals, 404 for outsiders, no 5xx."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from utvei.audit.models import Action
from utvei.cases.models import TeamRole
from utvei.sharing.consent import selectors, services

from ..api.api_helpers import API, assert_error, send
from ..api.test_api_bad_input import BAD_BODIES, BAD_VALUES, RAW_BODIES
from .helpers import consent_kw, events_since, seq

CONSENT = {
    "given_by": "person",
    "scope_organisations": ["skole"],
    "scope_kinds": ["police"],
    "categories": ["plan", "family"],
    "purposes": ["coordination"],
    "evidence": "signed_form",
}
DISCLOSURE = {
    "to_organisation": "nav",
    "categories": ["plan"],
    "legal_basis": "fvl-13b-5",
    "justification": "Nødvendig for å samordne tiltak",
}


@pytest.fixture
def case(world, catalogue):
    case = world.open_case(consent=False)
    world.add(case, "siri", consent=False)
    world.add(case, "per", consent=False)
    world.add(case, "mona", role=TeamRole.MENTOR, consent=False)
    return case


def url(case, what: str = "consents") -> str:
    return f"{API}cases/{case.public_id}/{what}/"


def test_record_list_and_withdraw_a_consent(world, case):
    client = world.api("kari")
    before = seq()
    r = send(client, "POST", url(case), CONSENT)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["scope_organisations"] == ["skole"] and body["scope_kinds"] == ["police"]
    assert body["categories"] == ["plan", "family"] and body["active"] is True
    assert body["recorded_by"] == "kari" and body["recorded_by_organisation"] == "kommune"
    assert [e.action for e in events_since(before)] == [Action.CONSENT_RECORD]

    before = seq()
    listed = world.api("per").get(url(case)).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]
    assert [e.action for e in events_since(before)] == [Action.CONSENT_VIEW]

    before = seq()
    r = send(client, "POST", url(case) + body["id"] + "/withdraw/", {"note": "Ringte og trakk"})
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["withdrawn_by"] == "kari"
    assert [e.action for e in events_since(before)] == [Action.CONSENT_WITHDRAW]
    assert not selectors.active_bases(case, world.orgs["skole"], "plan", "coordination")
    assert_error(send(client, "POST", url(case) + body["id"] + "/withdraw/", {}), 409, "conflict")


def test_record_list_and_revoke_a_disclosure(world, case):
    client = world.api("siri")
    r = send(client, "POST", url(case, "disclosures"), DISCLOSURE)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["from_organisation"] == "skole" and body["to_organisation"] == "nav"
    assert body["legal_basis"] == "fvl-13b-5" and body["basis_version"] == 1 and body["active"] is True
    assert body["decided_by"] == "siri" and body["expires_at"]
    listed = world.api("kari").get(url(case, "disclosures")).json()
    assert [d["id"] for d in listed["results"]] == [body["id"]]
    r = send(client, "POST", url(case, "disclosures") + body["id"] + "/revoke/")
    assert r.status_code == 200 and r.json()["revoked_by"] == "siri" and r.json()["active"] is False
    assert_error(send(client, "POST", url(case, "disclosures") + body["id"] + "/revoke/"), 409, "conflict")


@pytest.mark.parametrize(("lang", "text"), [("en", "requires a justification"), ("nb", "krever en begrunnelse")])
def test_no_justification_is_refused_with_a_clear_message(world, case, lang, text):
    r = send(
        world.api("kari"),
        "POST",
        url(case, "disclosures"),
        {**DISCLOSURE, "justification": ""},
        HTTP_ACCEPT_LANGUAGE=lang,
    )
    data = assert_error(r, 422, "justification_required")
    assert text in data["detail"]


def test_a_sender_kind_not_allowed_is_refused(world, case):
    r = send(
        world.api("per"),
        "POST",
        url(case, "disclosures"),
        {**DISCLOSURE, "legal_basis": "hpl-23-4"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "cannot be used by" in assert_error(r, 422, "basis_not_allowed")["detail"]


def test_guardian_rule_in_the_api(world, case):
    case.person.age_band = "u15"
    case.person.save(update_fields=["age_band"])
    r = send(world.api("kari"), "POST", url(case), CONSENT, HTTP_ACCEPT_LANGUAGE="en")
    assert "guardian" in assert_error(r, 422, "guardian_required")["detail"]
    r = send(world.api("kari"), "POST", url(case), {**CONSENT, "given_by": "guardian", "guardian_name": "Far"})
    assert r.status_code == 201 and r.json()["guardian_name"] == "Far"


def test_outsiders_get_404_and_mentors_403(world, case):
    consent = services.consent_record(actor=world.m["kari"], case=case, **consent_kw())
    atle = world.api("atle")
    for what in ("consents", "disclosures"):
        assert_error(atle.get(url(case, what)), 404, "not_found")
        assert_error(send(atle, "POST", url(case, what), CONSENT if what == "consents" else DISCLOSURE), 404)
    assert_error(send(atle, "POST", url(case) + f"{consent.public_id}/withdraw/", {}), 404)
    assert consent.withdrawn_at is None
    mona = world.api("mona")
    assert_error(mona.get(url(case)), 403, "forbidden")
    assert_error(send(mona, "POST", url(case), CONSENT), 403, "forbidden")
    assert_error(send(world.api("kari"), "POST", url(case) + "00000000-0000-0000-0000-000000000000/withdraw/"), 404)
    assert_error(send(world.api("kari"), "POST", url(case, "disclosures") + f"{consent.public_id}/revoke/"), 404)


def test_the_lists_make_a_constant_number_of_queries(world, case):
    client = world.api("kari")

    def count(what: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(case, what)).status_code == 200
        return len(ctx.captured_queries)

    services.consent_record(actor=world.m["kari"], case=case, **consent_kw())
    services.disclosure_record(
        actor=world.m["kari"],
        case=case,
        to_org_slug="nav",
        categories=["plan"],
        legal_basis_key="fvl-13b-5",
        justification="x",
    )
    one = (count("consents"), count("disclosures"))
    for _ in range(5):
        services.consent_record(actor=world.m["kari"], case=case, **consent_kw(scope_org_slugs=["skole", "nav"]))
        services.disclosure_record(
            actor=world.m["siri"],
            case=case,
            to_org_slug="politi",
            categories=["plan"],
            legal_basis_key="fvl-13b-6",
            justification="x",
        )
    assert (count("consents"), count("disclosures")) == one


# ---- No input gives a 5xx ------------------------------------------------------------------------------

ENDPOINTS: dict[str, tuple[str, dict[str, Any]]] = {
    "consent": ("consents/", CONSENT),
    "withdraw": ("consents/{consent}/withdraw/", {"note": "x"}),
    "disclosure": ("disclosures/", DISCLOSURE),
    "revoke": ("disclosures/{disclosure}/revoke/", {}),
}


@pytest.fixture
def ids(world, case) -> dict[str, str]:
    c = services.consent_record(actor=world.m["kari"], case=case, **consent_kw())
    d = services.disclosure_record(
        actor=world.m["kari"],
        case=case,
        to_org_slug="nav",
        categories=["plan"],
        legal_basis_key="fvl-13b-5",
        justification="x",
    )
    return {"consent": str(c.public_id), "disclosure": str(d.public_id)}


def _call(world, case, ids, name, body=None, raw=None):
    path, _base = ENDPOINTS[name]
    return send(world.api("kari"), "POST", url(case, "").rstrip("/") + path.format(**ids), body, raw=raw)


def _assert_4xx(r) -> None:
    assert r.status_code < 500, (r.status_code, r.content[:300])
    if r.status_code >= 400:
        assert_error(r, r.status_code)


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_bad_bodies(world, case, ids, name):
    for body in BAD_BODIES:
        _assert_4xx(_call(world, case, ids, name, body, raw="null" if body is None else None))
    for raw in RAW_BODIES:
        _assert_4xx(_call(world, case, ids, name, raw=raw))


@pytest.mark.parametrize(
    ("name", "field"),
    [
        (n, f)
        for n, (_p, base) in ENDPOINTS.items()
        for f in [*base, "expires_at", "valid_until", "guardian_name"]
        if n in {"consent", "disclosure"} or f in base
    ],
)
def test_bad_values_in_every_field(world, case, ids, name, field):
    base = ENDPOINTS[name][1]
    for value in [*BAD_VALUES, [None], [[]], [{}], ["plan", "plan"], ["x" * 100]]:
        cache.clear()
        _assert_4xx(_call(world, case, ids, name, {**base, field: value}))


@pytest.mark.parametrize(
    "path",
    ["consents/not-a-uuid/withdraw/", "disclosures/zzz/revoke/", "consents/x/", "disclosures/1/"],
)
def test_malformed_paths_are_404(world, case, path):
    assert_error(send(world.api("kari"), "POST", url(case, "").rstrip("/") + path, {}), 404)
