"""people.services.person_update: the one place a person's identity is edited keeps the earlier version, checks the
version, validates as registration does and rewrites the search index (issue 14, deliverable 6)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from utvei.core.errors import Conflict, UtveiError
from utvei.people import services
from utvei.people.models import Person, PersonToken, PersonVersion


@pytest.fixture
def person(world):
    person, _ = services.person_find_or_create(actor=world.m["kari"], full_name="Petter Personsen")
    return person


def update(world, person, **changes):
    person.refresh_from_db()
    return services.person_update(actor=world.m["kari"], person=person, expected_version=person.version, **changes)


def test_each_edit_keeps_the_values_before_it(world, person):
    update(world, person, full_name="Petter Nyman", birth_date=dt.date(timezone.localdate().year - 16, 1, 1))
    update(world, person, municipality="Testby", gender="male")
    first, second = PersonVersion.objects.filter(person=person).order_by("number")
    assert (first.number, second.number) == (1, 2)
    assert first.changed == ["full_name", "birth_date"]
    assert json.loads(first.earlier) == {
        "full_name": "Petter Personsen",
        "national_id": "",
        "birth_date": "",
        "gender": "unknown",
        "municipality": "",
        "guardian_name": "",
    }
    assert second.changed == ["gender", "municipality"]
    assert json.loads(second.earlier)["full_name"] == "Petter Nyman"
    person.refresh_from_db()
    born = f"{timezone.localdate().year - 16}-01-01"
    assert (person.version, person.age_band, person.birth_date) == (3, "15-17", born)


def test_an_edit_that_changes_nothing_writes_nothing(world, person):
    same = update(world, person, full_name=" Petter Personsen ", gender="unknown")
    assert same.version == 1
    assert not PersonVersion.objects.exists()


def test_a_stale_version_is_a_conflict_and_changes_nothing(world, person):
    update(world, person, full_name="Først Lagret")
    with pytest.raises(Conflict) as caught:
        services.person_update(actor=world.m["kari"], person=person, expected_version=1, full_name="Overskrevet")
    assert caught.value.current.full_name == "Først Lagret"
    assert Person.objects.get(pk=person.pk).full_name == "Først Lagret"
    assert PersonVersion.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"full_name": "  "}, "name_required"),
        ({"national_id": "123"}, "invalid_nin"),
        ({"gender": "robot"}, "invalid_choice"),
        ({"birth_date": dt.date.today() + dt.timedelta(days=2)}, "date_out_of_range"),
        ({"municipality": "x" * 101}, "too_long"),
    ],
)
def test_it_validates_as_registration_does(world, person, changes, code):
    with pytest.raises(UtveiError) as caught:
        update(world, person, **changes)
    assert caught.value.code == code
    assert not PersonVersion.objects.exists()


def test_an_identity_number_of_another_person_is_refused(world, person):
    services.person_find_or_create(actor=world.m["kari"], full_name="Annen Person", national_id="01020312345")
    with pytest.raises(UtveiError) as caught:
        update(world, person, national_id="01020312345")
    assert caught.value.code == "nin_taken"
    update(world, person, national_id="01020354321")
    person.refresh_from_db()
    found = services.person_find_by_nin(actor=world.m["kari"], national_id="01020354321")
    assert found == person


def test_the_search_tokens_follow_the_new_name(world, person):
    before = set(PersonToken.objects.filter(person=person).values_list("token", flat=True))
    update(world, person, full_name="Helt Annerledes")
    after = set(PersonToken.objects.filter(person=person).values_list("token", flat=True))
    assert after and after != before
    assert not after & (before - set(services.index.person_tokens("Helt Annerledes", "")))
