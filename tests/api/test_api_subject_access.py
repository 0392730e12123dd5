"""subject-access/: the DPO's register and export through the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.api.api_helpers import assert_error, send
from tests.retention.helpers import SECRET_POLICE, TEAM_TEXT, person_with_everything
from tests.retention.test_subject_access_services import NIN, _person
from utvei.retention.models import SubjectAccessRequest

TODAY = dt.date.today().isoformat()


def test_the_dpo_registers_lists_extends_exports_and_answers(world: Any) -> None:
    person = _person(world)
    api = world.api("dina")
    made = send(api, "POST", "subject-access/", {"national_id": NIN, "received_via": "email", "received_on": TODAY})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["person_reference"] == person.reference and body["status"] == "pending"
    assert "Ida" not in made.content.decode()
    rid = body["id"]
    listed = send(api, "GET", "subject-access/?open=true").json()
    assert [r["id"] for r in listed["results"]] == [rid]
    extended = send(api, "POST", f"subject-access/{rid}/extend/", {"reason": "Mye å gå gjennom"})
    assert extended.status_code == 200 and extended.json()["status"] == "extended"
    assert_error(send(api, "POST", f"subject-access/{rid}/extend/", {"reason": "Igjen"}), 409)
    assert_error(send(api, "POST", f"subject-access/{rid}/answer/"), 409)  # the export first
    export = send(api, "GET", f"subject-access/{rid}/export/?lang=en")
    assert export.status_code == 200 and export.json()["format"] == "utvei-subject-access"
    answered = send(api, "POST", f"subject-access/{rid}/answer/")
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    assert_error(send(api, "POST", f"subject-access/{rid}/refuse/", {"reason": "x"}), 409)


def test_the_export_through_the_api_withholds_by_rule(world: Any) -> None:
    sara = person_with_everything(world)
    made = SubjectAccessRequest.objects.get(person=sara.person)
    data = send(world.api("dina"), "GET", f"subject-access/{made.public_id}/export/").json()
    text = str(data)
    assert TEAM_TEXT in text and SECRET_POLICE not in text
    assert {w["rule"] for w in data["withheld"]} == {"police", "health", "third_party"}


def test_other_roles_are_refused_and_other_organisations_find_nothing(world: Any) -> None:
    _person(world)
    for username in ("kari", "anna", "adam"):
        assert_error(send(world.api(username), "GET", "subject-access/"), 403)
        assert_error(
            send(world.api(username), "POST", "subject-access/", {"national_id": NIN, "received_via": "email"}), 403
        )
    assert_error(
        send(
            world.api("dora"),
            "POST",
            "subject-access/",
            {"national_id": NIN, "received_via": "email", "received_on": TODAY},
        ),
        404,
    )
    made = send(
        world.api("dina"),
        "POST",
        "subject-access/",
        {"national_id": NIN, "received_via": "email", "received_on": TODAY},
    ).json()
    for path in ("", "export/"):
        assert_error(send(world.api("dora"), "GET", f"subject-access/{made['id']}/{path}"), 404)
    assert_error(send(world.api("dora"), "POST", f"subject-access/{made['id']}/answer/"), 404)


def test_bad_input_is_a_4xx(world: Any) -> None:
    _person(world)
    api = world.api("dina")
    # No identity: a rule of the service (422, as the API answers every rule), not a malformed body.
    assert_error(send(api, "POST", "subject-access/", {"received_via": "email", "received_on": TODAY}), 422)
    assert_error(
        send(api, "POST", "subject-access/", {"national_id": NIN, "received_via": "fax", "received_on": TODAY}), 400
    )
    assert_error(
        send(api, "POST", "subject-access/", {"national_id": 5, "received_via": "email", "received_on": "x"}), 400
    )
    assert_error(send(api, "GET", "subject-access/?open=maybe"), 400)
    made = send(api, "POST", "subject-access/", {"national_id": NIN, "received_via": "email", "received_on": TODAY})
    rid = made.json()["id"]
    assert_error(send(api, "POST", f"subject-access/{rid}/extend/", {"reason": ""}), 400)
    assert_error(send(api, "GET", f"subject-access/{rid}/export/?lang=de"), 400)
