"""Adding people to a case by finding them by name (issue 14, deliverable 3): only organisations whose people may
work on cases, only current members of active accounts in such roles, never someone already on the team."""

from __future__ import annotations

import re

import pytest

from utvei.accounts.models import Membership
from utvei.cases.models import TeamMember


@pytest.fixture
def case(world):
    c = world.open_case()
    world.add(c, "ola")
    for username, first, last in (("hanne", "Hanne", "Helsesøster"), ("nils", "Nils", "Navesen")):
        user = world.m[username].user
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    return c


def find(client, case, **data):
    return client.post(f"/cases/{case.public_id}/team/", {"find": "1", "role": "caseworker", **data})


def offered(response) -> set[str]:
    return set(re.findall(r'type="radio" name="username" value="([^"]+)"', response.content.decode()))


def test_find_by_part_of_the_name_and_add(world, browse, case):
    kari = browse("kari")
    found = find(kari, case, organisation="helse", name="helse")
    assert found.status_code == 200
    body = found.content.decode()
    assert offered(found) == {"hanne"} and "Hanne Helsesøster" in body and "Add to the team" in body
    assert not TeamMember.objects.current().filter(case=case, user=world.m["hanne"].user).exists()  # not yet
    added = kari.post(
        f"/cases/{case.public_id}/team/", {"organisation": "helse", "username": "hanne", "role": "caseworker"}
    )
    assert added.status_code == 302
    assert TeamMember.objects.current().filter(case=case, user=world.m["hanne"].user).exists()
    # Now on the team: no longer offered.
    assert "hanne" not in offered(find(kari, case, organisation="helse", name=""))


def test_only_people_who_may_join_are_found(world, browse, case):
    kari = browse("kari")
    everyone = offered(find(kari, case, organisation="kommune", name=""))
    # kari leads the case and ola is on the team; dina, anna and adam (DPO, analyst, org admin) do not work on cases.
    assert everyone == {"kjell"}
    kjell = world.m["kjell"].user
    kjell.is_active = False
    kjell.save(update_fields=["is_active"])
    assert offered(find(kari, case, organisation="kommune", name="")) == set()
    Membership.objects.filter(user=world.m["nils"].user).update(is_active=False)
    response = find(kari, case, organisation="nav", name="nils")
    assert offered(response) == set() and "Nobody there who may join the team matches" in response.content.decode()


def test_an_organisation_without_people_who_work_on_cases_is_not_offered(world, browse, case):
    from utvei.accounts.models import Organisation, OrgKind

    Organisation.objects.create(slug="tom", name="Tom forening", kind=OrgKind.NGO)
    page = browse("kari").get(f"/cases/{case.public_id}/").content.decode()
    assert 'value="helse"' in page and 'value="tom"' not in page
    assert find(browse("kari"), case, organisation="tom", name="").status_code == 400


def test_only_who_may_change_the_team_may_search(world, browse, case):
    assert find(browse("ola"), case, organisation="helse", name="h").status_code == 403
    assert find(browse("atle"), case, organisation="helse", name="h").status_code == 404


def test_adding_without_choosing_says_so(world, browse, case):
    response = browse("kari").post(
        f"/cases/{case.public_id}/team/", {"organisation": "helse", "role": "caseworker"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400 and "Find the person and choose them." in response.content.decode()


def test_the_api_finds_the_same_people(world, case):
    api = f"/api/v1/cases/{case.public_id}/team/candidates/"
    kari = world.api("kari")
    found = kari.get(api, {"organisation": "helse", "q": "helse"})
    assert found.status_code == 200
    assert found.json() == {
        "results": [{"username": "hanne", "name": "Hanne Helsesøster", "organisation": "helse", "role": "caseworker"}]
    }
    assert {r["username"] for r in kari.get(api, {"organisation": "kommune"}).json()["results"]} == {"kjell"}
    assert kari.get(api, {"organisation": "nowhere"}).status_code == 422
    assert kari.get(api).status_code == 400
    assert world.api("ola").get(api, {"organisation": "helse"}).status_code == 403
    assert world.api("atle").get(api, {"organisation": "helse"}).status_code == 404
