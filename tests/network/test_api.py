"""API v1: cases/{id}/network/ (snapshot), …/compare/, …/contacts/ and …/contacts/{id}/observations/; every read
and write audited without content; bad input is a JSON 4xx, never a 5xx; documented in the schema."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from tests.api.api_helpers import API, assert_error, send
from tests.api.test_api_bad_input import BAD_BODIES, BAD_VALUES, RAW_BODIES
from tests.network.helpers import NOTE, add, ago, assert_no_content, events_since, observe, seq, today
from utvei.audit.models import Action
from utvei.network.models import Contact, Observation


def base(case: Any) -> str:
    return f"{API}cases/{case.public_id}/network/"


def contact_url(case: Any, contact: Any, suffix: str = "") -> str:
    cid = contact if isinstance(contact, str) else contact.public_id
    return f"{base(case)}contacts/{cid}/{suffix}"


BODY = {
    "relation": "milieu_peer",
    "label": "J.K.",
    "classification": "team",
    "observation": {"observed_on": "2025-06-01", "valence": "risk", "closeness": 3, "frequency": "daily", "note": NOTE},
}


def test_a_network_through_the_api_from_contact_to_compare(nw):
    kari = nw.world.api("kari")
    start = seq()
    r = send(kari, "post", base(nw.case) + "contacts/", BODY)
    assert r.status_code == 201, r.content
    c = r.json()
    assert (c["relation"], c["label"], c["formal"], c["classification"], c["version"]) == (
        "milieu_peer",
        "J.K.",
        False,
        "team",
        1,
    )
    assert c["author_organisation"] == "kommune" and c["organisation"] is None
    assert c["current"] == {
        "observed_on": "2025-06-01",
        "valence": "risk",
        "closeness": 3,
        "frequency": "daily",
        "ended": False,
    }
    assert c["observations"][0]["note"] == NOTE and c["observations"][0]["note_restricted"] is False
    assert [e.action for e in events_since(start)] == [Action.CONTACT_CREATE, Action.OBSERVATION_CREATE]
    assert_no_content(events_since(start))
    url = contact_url(nw.case, c["id"])

    r = send(kari, "post", url + "observations/", {"observed_on": ago(10).isoformat(), "ended": True, "note": "Slutt"})
    assert r.status_code == 201, r.content
    assert (r.json()["ended"], r.json()["valence"], r.json()["closeness"]) == (True, "risk", 3)
    obs = send(kari, "get", url + "observations/").json()
    assert obs["count"] == 2 and obs["results"][0]["ended"] is True  # newest first

    r = send(kari, "patch", url, {"version": 1, "label": "K.J.", "relation": "former_member"})
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["label"] == "K.J."
    stale = assert_error(send(kari, "patch", url, {"version": 1, "label": "Gammel"}), 409, "conflict")
    assert stale["current"]["label"] == "K.J." and stale["current"]["version"] == 2

    snap = send(kari, "get", base(nw.case) + "?on=2025-07-01", HTTP_ACCEPT_LANGUAGE="en")
    assert snap.status_code == 200
    data = snap.json()
    assert data["on"] == "2025-07-01" and data["case"] == str(nw.case.public_id)
    tie = next(t for t in data["ties"] if t["contact"] == c["id"])
    assert (tie["valence"], tie["closeness"], tie["relation_label"], tie["formal"]) == (
        "risk",
        3,
        "Former member of a milieu",
        False,
    )
    assert data["indicators"]["risk"] == 1 and "not a score" in data["indicators"]["note"]
    nb = send(kari, "get", base(nw.case) + "?on=2025-07-01", HTTP_ACCEPT_LANGUAGE="nb").json()
    assert "ikke en poengsum" in nb["indicators"]["note"]
    assert next(t for t in nb["ties"] if t["contact"] == c["id"])["relation_label"] == "Tidligere medlem av et miljø"
    assert all(t["contact"] for t in data["ties"])  # the team was formed today, in this test
    now = send(kari, "get", base(nw.case)).json()
    assert now["on"] == today().isoformat() and all(t["contact"] != c["id"] for t in now["ties"])
    org = next(t for t in now["ties"] if t["key"] == "org:kommune")
    assert org["organisation"] == "kommune" and org["valence"] == "unknown" and org["observed_on"] is None

    cmp = send(kari, "get", base(nw.case) + f"compare/?from=2025-07-01&to={today().isoformat()}")
    assert cmp.status_code == 200, cmp.content
    changes = [ch for ch in cmp.json()["changes"] if not ch["key"].startswith("org:")]
    assert [(ch["change"], ch["key"]) for ch in changes] == [("ended", c["id"])]
    assert {ch["key"] for ch in cmp.json()["changes"]} >= {"org:kommune", "org:nav"}  # the team, formed since
    assert changes[0]["after"] is None and changes[0]["before"]["valence"] == "risk"
    assert cmp.json()["from"] == "2025-07-01" and cmp.json()["before"]["on"] == "2025-07-01"

    listing = send(kari, "get", base(nw.case) + "contacts/").json()
    assert listing["count"] == 1 and listing["results"][0]["current"]["ended"] is True
    assert "observations" not in listing["results"][0]


def test_an_organisation_link_and_the_formal_default(nw):
    kari = nw.world.api("kari")
    body = {**BODY, "relation": "professional", "label": "Veileder", "organisation": "nav"}
    r = send(kari, "post", base(nw.case) + "contacts/", body)
    assert r.status_code == 201 and r.json()["formal"] is True and r.json()["organisation"] == "nav"
    r = send(kari, "patch", contact_url(nw.case, r.json()["id"]), {"version": 1, "organisation": None, "formal": False})
    assert r.status_code == 200 and r.json()["organisation"] is None and r.json()["formal"] is False
    bad = {**BODY, "organisation": "skole"}
    assert_error(send(kari, "post", base(nw.case) + "contacts/", bad), 422, "organisation_not_on_team")


@pytest.mark.parametrize(
    "label", ["12345678901", "123 456 789 01", "01.01.1970", "1970-01-01", "Mor f. 1970", "14. mai 1970"]
)
def test_identifying_labels_are_refused(nw, label):
    r = send(
        nw.world.api("kari"), "post", base(nw.case) + "contacts/", {**BODY, "label": label}, HTTP_ACCEPT_LANGUAGE="en"
    )
    data = assert_error(r, 422, "label_identifying")
    assert "identity number" in data["detail"]
    nb = assert_error(
        send(
            nw.world.api("kari"),
            "post",
            base(nw.case) + "contacts/",
            {**BODY, "label": label},
            HTTP_ACCEPT_LANGUAGE="nb",
        ),
        422,
    )
    assert "fødselsnummer" in nb["detail"] or "fødselsdato" in nb["detail"]
    assert not Contact.objects.filter(case=nw.case).exists()


@pytest.mark.parametrize(
    "username,snapshot,contacts",
    [
        ("kari", 200, 1),
        ("nils", 200, 1),
        ("per", 200, 1),
        ("mona", 200, 0),
        ("atle", 404, None),
        ("arne", 404, None),
        ("dina", 404, None),
        ("rolf", 404, None),
    ],
)
def test_api_network_access(nw, username, snapshot, contacts):
    contact = add(nw.world, nw.case)
    client = nw.world.api(username)
    r = send(client, "get", base(nw.case))
    if snapshot != 200:
        assert_error(r, snapshot)
        for path in (
            "compare/",
            "contacts/",
            f"contacts/{contact.public_id}/",
            f"contacts/{contact.public_id}/observations/",
        ):
            assert_error(send(client, "get", base(nw.case) + path), 404)
        assert_error(send(client, "post", base(nw.case) + "contacts/", BODY), 404)
        return
    assert r.status_code == 200
    listing = send(client, "get", base(nw.case) + "contacts/").json()
    assert listing["count"] == contacts


def test_api_restricted_network(world):
    case = world.open_case()
    world.add(case, "siri", consent=False)
    contact = add(world, case)
    siri = world.api("siri")
    for path in ("", "compare/", "contacts/"):
        data = assert_error(send(siri, "get", base(case) + path, HTTP_ACCEPT_LANGUAGE="en"), 403, "network_restricted")
        assert "restricted" in data["detail"]
    assert_error(send(siri, "get", contact_url(case, contact)), 404)
    assert_error(send(siri, "post", base(case) + "contacts/", BODY), 403)
    nb = assert_error(send(siri, "get", base(case), HTTP_ACCEPT_LANGUAGE="nb"), 403, "network_restricted")
    assert "skjermet" in nb["detail"]


def test_only_the_adding_organisation_patches_and_others_observe(nw):
    contact = add(nw.world, nw.case)
    nils = nw.world.api("nils")
    assert_error(send(nils, "patch", contact_url(nw.case, contact), {"version": 1, "label": "NAV"}), 403, "forbidden")
    r = send(
        nils,
        "post",
        contact_url(nw.case, contact, "observations/"),
        {"observed_on": "2025-01-01", "valence": "supportive", "closeness": 1},
    )
    assert r.status_code == 201 and r.json()["author_organisation"] == "nav"


def test_patch_and_observation_rules(nw):
    contact = add(nw.world, nw.case)
    kari = nw.world.api("kari")
    assert_error(send(kari, "patch", contact_url(nw.case, contact), {"label": "X"}), 400)  # no version
    with_obs = {"version": 1, "observation": BODY["observation"]}
    assert_error(send(kari, "patch", contact_url(nw.case, contact), with_obs), 422)
    assert_error(
        send(kari, "post", base(nw.case) + "contacts/", {k: v for k, v in BODY.items() if k != "observation"}), 400
    )
    obs_url = contact_url(nw.case, contact, "observations/")
    assert_error(send(kari, "post", obs_url, {"observed_on": "2025-01-01", "closeness": 2}), 422, "valence_required")
    assert_error(
        send(kari, "post", obs_url, {"observed_on": "2025-01-01", "valence": "risk"}), 422, "invalid_closeness"
    )
    future = (today().replace(year=today().year + 1)).isoformat()
    assert_error(
        send(kari, "post", obs_url, {"observed_on": future, "valence": "risk", "closeness": 1}), 422, "future_date"
    )
    assert_error(
        send(kari, "post", obs_url, {"observed_on": "2025-01-01", "ended": True, "classification": "police"}),
        422,
        "classification_not_allowed",
    )
    assert Observation.objects.filter(contact=contact).count() == 1


@pytest.mark.parametrize(
    "path,query,status",
    [
        ("", "on=2025-02-30", 400),
        ("", "on=yesterday", 400),
        ("", "on=0001-01-01", 422),  # a date, but outside 1900-2100
        ("", "on=9999-12-31", 422),
        ("", "on=%00", 400),
        ("", "on=%ED%A0%80", 400),
        ("", "on=" + "9" * 50, 400),
        ("compare/", "from=2025-05-01&to=2025-01-01", 422),
        ("compare/", "from=x", 400),
        ("compare/", "to=2100-13-01", 400),
        ("compare/", "from=1899-12-31", 422),
        ("compare/", "from=2099-01-01", 422),  # after the default `to`, today
    ],
)
def test_bad_query_parameters_are_refused(nw, path, query, status):
    assert_error(send(nw.world.api("kari"), "get", base(nw.case) + f"{path}?{query}"), status)


def test_repeated_and_unknown_query_parameters_are_refused(nw):
    """A misspelt or repeated filter is named in a 400, never silently ignored (views/base.strict_query)."""
    kari = nw.world.api("kari")
    data = assert_error(send(kari, "get", base(nw.case) + "?on=2025-01-01&on=2025-01-02"), 400)
    assert list(data["fields"]) == ["on"]
    data = assert_error(send(kari, "get", base(nw.case) + "compare/?from=2025-01-01&x=1"), 400)
    assert list(data["fields"]) == ["x"]


def test_far_dates_in_range_work(nw):
    kari = nw.world.api("kari")
    assert send(kari, "get", base(nw.case) + "?on=1900-01-01").status_code == 200
    assert send(kari, "get", base(nw.case) + "?on=2100-12-31").status_code == 200
    assert send(kari, "get", base(nw.case) + "compare/?from=1900-01-01&to=2100-12-31").status_code == 200
    assert send(kari, "get", base(nw.case) + "compare/?to=1900-06-01").status_code == 200


def test_unknown_ids_are_404(nw):
    kari = nw.world.api("kari")
    zero = "00000000-0000-0000-0000-000000000000"
    assert_error(send(kari, "get", contact_url(nw.case, zero)), 404)
    assert_error(send(kari, "get", contact_url(nw.case, zero, "observations/")), 404)
    assert_error(send(kari, "post", contact_url(nw.case, zero, "observations/"), {"ended": True}), 404)
    assert_error(send(kari, "get", f"{API}cases/{zero}/network/"), 404)
    assert_error(send(kari, "get", f"{API}cases/{nw.case.public_id}/network/contacts/nope/"), 404)


def test_the_api_makes_a_constant_number_of_queries(nw):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    kari = nw.world.api("kari")
    first = add(nw.world, nw.case, label="K0")

    def counts() -> list[int]:
        out = []
        for path in (
            "",
            "compare/",
            "contacts/",
            f"contacts/{first.public_id}/",
            f"contacts/{first.public_id}/observations/",
        ):
            with CaptureQueriesContext(connection) as ctx:
                assert send(kari, "get", base(nw.case) + path).status_code == 200
            out.append(len(ctx.captured_queries))
        return out

    one = counts()
    for i in range(1, 6):
        contact = add(nw.world, nw.case, label=f"K{i}")
        observe(nw.world, contact, on=10, valence="ambivalent", closeness=2)
        observe(nw.world, first, on=20 - i, valence="ambivalent", closeness=2)
    assert counts() == one


def test_the_schema_documents_the_network_paths(world):
    text = send(world.api("kari"), "get", "schema/?format=json", HTTP_ACCEPT="application/json").content.decode()
    for path in (
        "/api/v1/cases/{case_id}/network/",
        "/api/v1/cases/{case_id}/network/compare/",
        "/api/v1/cases/{case_id}/network/contacts/",
        "/api/v1/cases/{case_id}/network/contacts/{contact_id}/",
        "/api/v1/cases/{case_id}/network/contacts/{contact_id}/observations/",
    ):
        assert path in text, path


# ---- No input gives a 5xx ------------------------------------------------------------------------------


def _assert_4xx(r: Any) -> None:
    assert r.status_code < 500, (r.status_code, r.content[:300])
    if r.status_code >= 400:
        assert_error(r, r.status_code)


@pytest.fixture
def targets(nw):
    contact = add(nw.world, nw.case)
    return {
        "create": ("post", base(nw.case) + "contacts/", BODY),
        "patch": ("patch", contact_url(nw.case, contact), {"version": 1, "label": "X", "relation": "friend"}),
        "observe": (
            "post",
            contact_url(nw.case, contact, "observations/"),
            {"observed_on": "2025-01-01", "valence": "risk", "closeness": 2, "frequency": "weekly", "note": "x"},
        ),
    }


@pytest.mark.sampled(share=0.25)
@pytest.mark.parametrize("name", ["create", "patch", "observe"])
def test_bad_and_malformed_bodies(nw, targets, name):
    method, url, _base = targets[name]
    kari = nw.world.api("kari")
    for body in BAD_BODIES:
        cache.clear()
        r = send(kari, method, url, body, raw="null" if body is None else None)
        _assert_4xx(r)
        assert r.status_code >= 400, (body, r.content[:200])
    for raw in RAW_BODIES:
        cache.clear()
        r = send(kari, method, url, raw=raw)
        _assert_4xx(r)
        if raw:
            assert r.status_code == 400


@pytest.mark.sampled(share=0.25)
@pytest.mark.parametrize(
    ("name", "field"),
    [("create", f) for f in (*BODY, "formal", "organisation")]
    + [("create", f"observation.{f}") for f in BODY["observation"]]
    + [("patch", f) for f in ("version", "label", "relation", "formal", "organisation", "classification")]
    + [("observe", f) for f in ("observed_on", "valence", "closeness", "frequency", "ended", "note", "classification")],
)
def test_bad_values_in_every_field(nw, targets, name, field):
    method, url, body = targets[name]
    kari = nw.world.api("kari")
    for value in BAD_VALUES:
        cache.clear()
        if field.startswith("observation."):
            sent = {**body, "observation": {**body["observation"], field.split(".")[1]: value}}
        else:
            sent = {**body, field: value}
        _assert_4xx(send(kari, method, url, sent))
    assert Contact.objects.filter(case=nw.case).count() <= 2 + len(BAD_VALUES)  # nothing half-written
    for contact in Contact.objects.filter(case=nw.case):
        assert contact.observations.exists()  # every contact has its first observation
