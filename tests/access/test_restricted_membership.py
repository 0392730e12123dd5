"""Taking part is itself data (issue 12, a side door closed): that the mental health service is on the team says
the person is in care. The team list, the timeline's markers and the network's automatic ties show a health,
police or correctional organisation only to those with a basis for that category; the others see that "a service
with restricted membership" takes part. Pages, API and export alike."""

from __future__ import annotations

import pytest

from utvei.access import policy
from utvei.cases import selectors
from utvei.cases.models import EntryKind, TeamRole
from utvei.cases.services import entry_create
from utvei.core.vocabulary import Classification, DataCategory
from utvei.network import selectors as network

DPS = "Testby DPS"


@pytest.fixture
def case(world):
    case = world.open_case(name="Ida Omsorg")
    world.add(case, "hanne")  # the mental health service, consented for itself
    world.add(case, "siri", consent=False)  # the school: a consent for plans only
    world.consent(case, "skole", categories=[DataCategory.PLAN])
    world.add(case, "mona", role=TeamRole.MENTOR, consent=False)
    world.consent(case, "ngo", categories=[DataCategory.PLAN, DataCategory.NETWORK])
    entry_create(
        actor=world.m["hanne"],
        case=case,
        kind=EntryKind.NOTE,
        classification=Classification.TEAM,
        category=DataCategory.HEALTH,
        body="Samtale ved poliklinikken",
    )
    return case


def team_of(world, username, case):
    ca = selectors.case_get(actor=world.m[username], case_id=case.public_id, audit=False)
    return ca, selectors.team_list(ca)


def test_the_school_and_the_mentor_do_not_learn_that_the_health_service_takes_part(world, browse, case):
    for username in ("siri", "mona"):
        ca, team = team_of(world, username, case)
        assert world.orgs["helse"].pk not in {t.organisation_id for t in team} and team.restricted, username
        page = browse(username).get(f"/cases/{case.public_id}/").content.decode()
        assert DPS not in page and "hanne" not in page, username
        assert "A service with restricted membership" in page, username
        api = world.api(username)
        listed = api.get(f"/api/v1/cases/{case.public_id}/team/").json()
        members = listed["results"]
        assert "helse" not in str(members) and "hanne" not in str(members), username
        assert listed["restricted_membership"] is True, username  # as the page's row says
    # The school sees a marker for the health note, without its author organisation — on the page, on the entry's
    # own page and in the API — while a marker of the municipality's own note still names the municipality.
    own = world.entry(case, "kari", Classification.OWN_ORG, body="Kommunens egen merknad")
    health = case.entries.get(category=DataCategory.HEALTH)
    page = browse("siri").get(f"/cases/{case.public_id}/").content.decode()
    marker = page[page.index(f'id="entry-{health.public_id}"') :][:1500]
    assert "who wrote it" in marker and DPS not in marker
    own_marker = page[page.index(f'id="entry-{own.public_id}"') :][:1500]
    assert "Testby kommune" in own_marker
    detail = browse("siri").get(f"/cases/{case.public_id}/entries/{health.public_id}/").content.decode()
    assert DPS not in detail and "who wrote it" in detail
    items = world.api("siri").get(f"/api/v1/cases/{case.public_id}/entries/").json()["results"]
    by_id = {i["id"]: i for i in items}
    assert by_id[str(health.public_id)]["author_organisation"] is None
    assert by_id[str(own.public_id)]["author_organisation"] == "kommune"


def test_the_network_has_no_tie_to_the_health_service_for_them(world, case):
    ca, _ = team_of(world, "mona", case)
    keys = {t.key for t in network.snapshot(ca).formal}
    assert "org:helse" not in keys and "org:kommune" in keys


def test_the_owner_the_service_itself_and_those_with_a_basis_see_it(world, browse, case):
    for username in ("kari", "hanne"):
        _, team = team_of(world, username, case)
        assert world.orgs["helse"].pk in {t.organisation_id for t in team} and not team.restricted, username
        listed = world.api(username).get(f"/api/v1/cases/{case.public_id}/team/").json()
        assert "helse" in str(listed["results"]) and listed["restricted_membership"] is False, username
    world.consent(case, "skole", categories=[DataCategory.HEALTH])  # a basis for health: on the next request
    page = browse("siri").get(f"/cases/{case.public_id}/").content.decode()
    assert DPS in page and "A service with restricted membership" not in page


def test_the_police_are_kept_the_same_way(world, case):
    world.add(case, "per")  # police, consented for itself
    ca, team = team_of(world, "siri", case)
    assert not policy.membership_visible(ca, world.orgs["politi"]) and world.orgs["politi"].pk not in {
        t.organisation_id for t in team
    }
    assert policy.membership_visible(ca, world.orgs["nav"])  # most organisations say nothing by taking part
