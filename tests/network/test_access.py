"""Who sees what of the network, on every surface alike (selectors, pages, API): team roles, the owner's
coordinator, other organisations with and without a consent or disclosure for `network`, mentors, another
municipality, emergency access, a consent withdrawn (on the next request), and forbidden looking like missing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.api_helpers import API, assert_error, send
from tests.network.helpers import NOTE, add, events_since, observe, seq
from utvei.audit.models import Action
from utvei.cases import services as case_services
from utvei.cases.models import TeamRole
from utvei.core.errors import NotFound
from utvei.core.vocabulary import DataCategory
from utvei.network import selectors
from utvei.sharing.consent import services as sharing
from utvei.sharing.emergency import services as emergency

LABELS = ("TEAM-K", "POLICE-K", "MENTOR-K", "OWN-K")


@pytest.fixture
def access_case(world):
    """kari's municipality owns it; ola, per (police), nils (NAV) and mona (mentor) on the team with the person's
    consent; siri (school) on the team without one. Four contacts in different compartments."""
    case = world.open_case(name="Tilgang Testesen")
    for username in ("ola", "per", "nils"):
        world.add(case, username)
    world.add(case, "mona", role=TeamRole.MENTOR)
    world.add(case, "siri", consent=False)
    contacts = {
        "TEAM-K": add(world, case, label="TEAM-K"),
        "POLICE-K": add(world, case, by="per", label="POLICE-K", classification="police"),
        "MENTOR-K": add(world, case, label="MENTOR-K", classification="mentor"),
        "OWN-K": add(world, case, by="nils", label="OWN-K", classification="own_org"),
    }
    return case, contacts


def seen(world: Any, client_for: Any, username: str, case: Any, contacts: dict[str, Any]) -> dict[str, Any]:
    """What one principal gets on each surface: a set of labels, "restricted" or "404"."""
    out: dict[str, Any] = {}
    try:
        network = selectors.network_get(actor=world.m[username], case_id=case.public_id, audit_action=None)
        out["selector"] = {cv.contact.label for cv in network.contacts} if network.open else "restricted"
    except NotFound:
        out["selector"] = "404"

    page = client_for(username).get(f"/cases/{case.public_id}/network/")
    body = page.content.decode()
    out["page"] = {
        200: lambda: {label for label in LABELS if label in body},
        403: lambda: "restricted",
        404: lambda: "404",
    }[page.status_code]()
    if page.status_code == 403:
        assert "The network is restricted" in body or "Nettverket er skjermet" in body
        assert not any(label in body for label in LABELS)

    api = world.api(username)
    r = send(api, "get", f"cases/{case.public_id}/network/")
    if r.status_code == 200:
        out["api"] = {t["label"] for t in r.json()["ties"] if t["contact"]}
        listed = send(api, "get", f"cases/{case.public_id}/network/contacts/").json()
        assert {c["label"] for c in listed["results"]} == out["api"]
    elif r.status_code == 403:
        assert_error(r, 403, "network_restricted")
        out["api"] = "restricted"
    else:
        assert_error(r, 404, "not_found")
        out["api"] = "404"

    # Each contact on its own: readable, or not found — the same answer as for an id that does not exist.
    readable = set()
    for label, contact in contacts.items():
        url = f"cases/{case.public_id}/network/contacts/{contact.public_id}/"
        r = send(api, "get", url)
        if r.status_code == 200:
            readable.add(label)
        else:
            assert_error(r, 404, "not_found")
    out["contact"] = readable
    return out


def everywhere(value: Any) -> dict[str, Any]:
    contact = value if isinstance(value, set) else set()
    return {"selector": value, "page": value, "api": value, "contact": contact}


EXPECTED = {
    "kari": {"TEAM-K", "MENTOR-K"},  # the owner's coordinator: not the police's, not NAV's own
    "kjell": {"TEAM-K", "MENTOR-K"},  # the owner's coordinator, not on the team
    "ola": {"TEAM-K", "MENTOR-K"},
    "per": {"TEAM-K", "MENTOR-K", "POLICE-K"},
    "nils": {"TEAM-K", "MENTOR-K", "OWN-K"},
    "mona": {"MENTOR-K"},  # a mentor: contacts classified for mentors only (the entry rule)
    "siri": "restricted",  # on the team, no basis for the network
    "atle": "404",  # another municipality
    "arne": "404",
    "dina": "404",  # data protection officer: no case content
    "anna": "404",
    "rolf": "404",
}


@pytest.mark.parametrize("username", list(EXPECTED))
def test_every_surface_shows_the_same_network(world, client_for, access_case, username):
    case, contacts = access_case
    assert seen(world, client_for, username, case, contacts) == everywhere(EXPECTED[username])


def test_a_consent_for_the_network_opens_it_and_its_withdrawal_closes_it_on_the_next_request(
    world, client_for, access_case
):
    case, contacts = access_case
    consent = world.consent(case, "skole", categories=[DataCategory.PLAN])  # not the network
    assert seen(world, client_for, "siri", case, contacts) == everywhere("restricted")
    consent = world.consent(case, "skole", categories=[DataCategory.NETWORK])
    assert seen(world, client_for, "siri", case, contacts) == everywhere({"TEAM-K", "MENTOR-K"})
    sharing.consent_withdraw(actor=world.m["kari"], consent=consent, note="Trakk samtykket")
    assert seen(world, client_for, "siri", case, contacts) == everywhere("restricted")


def test_without_a_basis_a_viewer_keeps_only_what_their_own_organisation_recorded(world, client_for, access_case):
    case, contacts = access_case
    consent = world.consent(case, "skole", categories=[DataCategory.NETWORK])
    own = add(world, case, by="siri", label="SIRI-K")
    sharing.consent_withdraw(actor=world.m["kari"], consent=consent, note="Trakk samtykket")
    network = selectors.network_get(actor=world.m["siri"], case_id=case.public_id, audit_action=None)
    assert network.open and [cv.contact.label for cv in network.contacts] == ["SIRI-K"]
    assert network.team == []  # not the team's organisations either: only their own record
    body = client_for("siri").get(f"/cases/{case.public_id}/network/").content.decode()
    assert "SIRI-K" in body and not any(label in body for label in LABELS)
    r = send(world.api("siri"), "get", f"cases/{case.public_id}/network/")
    assert r.status_code == 200 and [t["label"] for t in r.json()["ties"]] == ["SIRI-K"]
    r = send(world.api("siri"), "get", f"cases/{case.public_id}/network/contacts/{own.public_id}/")
    assert r.status_code == 200
    refused = send(
        world.api("siri"),
        "post",
        f"cases/{case.public_id}/network/contacts/{own.public_id}/observations/",
        {"observed_on": "2026-01-02", "valence": "risk", "closeness": 2},
    )
    assert refused.status_code == 403  # no basis: nothing new is recorded


def test_a_disclosure_of_the_network_opens_its_senders_contacts(world, client_for, access_case):
    case, contacts = access_case
    disclosure = sharing.disclosure_record(
        actor=world.m["kari"],
        case=case,
        to_org_slug="skole",
        categories=[DataCategory.NETWORK],
        legal_basis_key="fvl-13b-5",
        justification="Skolen trenger nettverket for å tilrettelegge.",
    )
    assert seen(world, client_for, "siri", case, contacts) == everywhere({"TEAM-K", "MENTOR-K"})
    network = selectors.network_get(actor=world.m["siri"], case_id=case.public_id, audit_action=None)
    assert network.gate.records["disclosure"] == [str(disclosure.public_id)]
    sharing.disclosure_revoke(actor=world.m["kari"], disclosure=disclosure)
    assert seen(world, client_for, "siri", case, contacts) == everywhere("restricted")


def test_a_restricted_viewer_learns_nothing_from_the_case_page(world, browse, access_case):
    case, _contacts = access_case
    body = browse("siri").get(f"/cases/{case.public_id}/").content.decode()
    section = body.split('id="network"')[1].split("</section>")[0]
    assert 'data-network-restricted="true"' in section and "data-count" not in section
    assert not any(label in section for label in LABELS) and "Add a contact" not in section
    assert "network is restricted for you" in section
    nils = browse("nils").get(f"/cases/{case.public_id}/").content.decode().split('id="network"')[1]
    assert 'data-count="total"' in nils.split("</section>")[0] and "Add a contact" in nils.split("</section>")[0]


def test_emergency_access_reads_within_the_compartments_and_writes_nothing(world, client_for, access_case):
    case, contacts = access_case
    emergency.emergency_open(
        actor=world.m["arne"], case_reference=case.reference, reason_code="missing", reason_text="Savnet, truet"
    )
    start = seq()
    assert seen(world, client_for, "arne", case, contacts) == everywhere({"TEAM-K", "MENTOR-K"})
    views = [e for e in events_since(start) if e.action == Action.NETWORK_VIEW]
    assert views and all(e.reason == "emergency" for e in views)
    api = world.api("arne")
    body = {
        "relation": "friend",
        "label": "X",
        "observation": {"observed_on": "2025-01-01", "valence": "risk", "closeness": 1},
    }
    assert_error(send(api, "post", f"cases/{case.public_id}/network/contacts/", body), 403)
    url = f"cases/{case.public_id}/network/contacts/{contacts['TEAM-K'].public_id}/observations/"
    assert_error(send(api, "post", url, {"observed_on": "2025-01-01", "ended": True}), 403)
    assert client_for("arne").get(f"/cases/{case.public_id}/network/contacts/new/").status_code == 403


def test_a_referral_recipient_reads_with_a_basis_and_writes_nothing(world, client_for, access_case):
    case, contacts = access_case
    case_services.team_add(
        actor=world.m["kari"],
        case=case,
        user=world.m["nora"].user,
        organisation=world.m["nora"].organisation,
        role=TeamRole.REFERRAL,
    )
    assert seen(world, client_for, "nora", case, contacts) == everywhere({"TEAM-K", "MENTOR-K", "OWN-K"})
    assert client_for("nora").get(f"/cases/{case.public_id}/network/contacts/new/").status_code == 403


@pytest.mark.parametrize("username,status", [("mona", 403), ("siri", 403), ("atle", 404), ("dina", 404)])
def test_writes_are_refused_on_the_page_and_in_the_api(world, client_for, access_case, username, status):
    case, contacts = access_case
    client = client_for(username)
    assert client.get(f"/cases/{case.public_id}/network/contacts/new/").status_code == status
    data = {"label": "X", "relation": "friend", "formal": "informal", "classification": "team"}
    assert client.post(f"/cases/{case.public_id}/network/contacts/new/", data).status_code == status
    contact = contacts["MENTOR-K"]
    page = client.post(
        f"/cases/{case.public_id}/network/contacts/{contact.public_id}/observations/", {"observation-ended": "on"}
    )
    # A mentor reads the contact but writes nothing; the others do not find it.
    assert page.status_code == (403 if username == "mona" else 404)
    api = world.api(username)
    body = {
        "relation": "friend",
        "label": "X",
        "observation": {"observed_on": "2025-01-01", "valence": "risk", "closeness": 1},
    }
    assert_error(send(api, "post", f"cases/{case.public_id}/network/contacts/", body), status)


def test_forbidden_looks_like_missing(world, access_case):
    case, contacts = access_case
    other = world.open_case(name="Annen Sak")
    missing = uuid.uuid4()
    for username in ("kari", "mona", "nils"):
        api = world.api(username)
        hidden = contacts["POLICE-K"] if username != "mona" else contacts["TEAM-K"]
        answers = [
            send(api, "get", f"cases/{case.public_id}/network/contacts/{hidden.public_id}/"),
            send(api, "get", f"cases/{case.public_id}/network/contacts/{missing}/"),
            send(api, "get", f"cases/{other.public_id}/network/contacts/{contacts['TEAM-K'].public_id}/"),
            send(api, "get", f"cases/{case.public_id}/network/contacts/{hidden.public_id}/observations/"),
        ]
        if username == "mona":  # mona is not on the other case
            answers[2] = send(api, "get", f"cases/{case.public_id}/network/contacts/{missing}/observations/")
        bodies = [assert_error(r, 404, "not_found") for r in answers]
        assert len({b["detail"] for b in bodies[:2]}) == 1, bodies


def test_a_note_in_a_compartment_is_left_out_but_the_tie_is_read(world, client_for, access_case):
    case, contacts = access_case
    observe(world, contacts["TEAM-K"], by="per", valence="risk", closeness=3, note=NOTE, classification="police")
    data = send(world.api("nils"), "get", f"cases/{case.public_id}/network/contacts/{contacts['TEAM-K'].public_id}/")
    latest = data.json()["observations"][0]
    assert latest["valence"] == "risk" and latest["note_restricted"] is True and "note" not in latest
    assert data.json()["current"]["valence"] == "risk"
    page = client_for("nils").get(f"/cases/{case.public_id}/network/contacts/{contacts['TEAM-K'].public_id}/")
    assert NOTE not in page.content.decode() and "Skjermet merknad" in page.content.decode()  # bokmål by default
    per = send(world.api("per"), "get", f"cases/{case.public_id}/network/contacts/{contacts['TEAM-K'].public_id}/")
    assert per.json()["observations"][0]["note"] == NOTE


def test_every_read_is_audited_and_refusals_too(world, client_for, access_case):
    case, contacts = access_case
    nils, siri, atle = client_for("nils"), client_for("siri"), client_for("atle")
    start = seq()
    nils.get(f"/cases/{case.public_id}/network/")
    nils.get(f"/cases/{case.public_id}/network/compare/")
    nils.get(f"/cases/{case.public_id}/network/contacts/{contacts['TEAM-K'].public_id}/")
    siri.get(f"/cases/{case.public_id}/network/")
    atle.get(f"/cases/{case.public_id}/network/")
    nils.get(f"/cases/{case.public_id}/network/contacts/{contacts['POLICE-K'].public_id}/")
    events = events_since(start)
    assert [e.action for e in events] == [
        Action.NETWORK_VIEW,
        Action.NETWORK_COMPARE,
        Action.CONTACT_VIEW,
        Action.NETWORK_VIEW,
        Action.CASE_DENIED,
        Action.CASE_DENIED,
    ]
    assert events[3].reason == "restricted" and events[0].reason == ""
    assert events[2].object_id == str(contacts["TEAM-K"].public_id)
    assert events[5].object_type == "contact"
    for e in events:
        assert not any(label in f"{e.object_id} {e.reason}" for label in LABELS)


def test_api_lists_are_audited(world, access_case):
    case, contacts = access_case
    api = world.api("kari")
    start = seq()
    send(api, "get", f"{API}cases/{case.public_id}/network/?on=2025-01-01")
    send(api, "get", f"{API}cases/{case.public_id}/network/compare/")
    send(api, "get", f"{API}cases/{case.public_id}/network/contacts/")
    send(api, "get", f"{API}cases/{case.public_id}/network/contacts/{contacts['TEAM-K'].public_id}/")
    send(api, "get", f"{API}cases/{case.public_id}/network/contacts/{contacts['TEAM-K'].public_id}/observations/")
    assert [e.action for e in events_since(start)] == [
        Action.NETWORK_VIEW,
        Action.NETWORK_COMPARE,
        Action.NETWORK_LIST,
        Action.CONTACT_VIEW,
        Action.CONTACT_VIEW,
    ]
