"""Protected identities in the access table (issue 14, deliverable 5): the scenario's case with its person under a
protected identity, set by the lead (kari), who names ola. For every viewer of table.py and an emergency reader,
what each surface shows of who the person is — the case page, the API's case header, lists (page and API), the
search by name (page and API), the exports (CSV and JSON), the prints (plan and minutes) — against the rows of
tests/access/table.py; and the e-mails the case sends, which never carry the identity.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from tests.meetings.helpers import plan as meeting_plan
from tests.plans.helpers import draft_plan
from utvei.accounts.notifications import deliver_emails
from utvei.cases import protection
from utvei.cases.models import TeamMember
from utvei.desk.reminders import reminders_run
from utvei.sharing.emergency.services import emergency_open

from .scenario import build
from .table import (
    EMERGENCY_VIEWER,
    IDENTITY_NAMED,
    IDENTITY_VIEWERS,
    NAME_IN_COPIES,
    finds_by_name,
    opens_case,
    reads_identity,
)

API = "/api/v1"
NAME = "Scenario Person"


def _tells(text: str) -> bool:
    """Would this give the person away: the name, a part of it, the initials lists once showed?"""
    return NAME in text or "S. P." in text or bool(re.search(r"\bScenario\b", text))


def protect(world, case, *, named=IDENTITY_NAMED):  # type: ignore[no-untyped-def]
    protection.protection_set(actor=world.m["kari"], case=case, protected=True, reason="Vedtak om sperret adresse")
    for username in named:
        member = TeamMember.objects.current().get(case=case, user=world.m[username].user)
        protection.identity_reader_name(actor=world.m["kari"], case=case, member_id=member.pk)


@pytest.fixture
def sc(world):
    sc = build(world)
    sc.plan = draft_plan(world, sc.case)  # type: ignore[attr-defined]
    sc.meeting = meeting_plan(world, sc.case, attendees=("kari", "ola"))  # type: ignore[attr-defined]
    return sc


def _emergency(world, case):  # type: ignore[no-untyped-def]
    emergency_open(
        actor=world.m[EMERGENCY_VIEWER],
        case_reference=case.reference,
        reason_code="missing",
        reason_text="Savnet i natt",
    )


@pytest.mark.parametrize("viewer", IDENTITY_VIEWERS)
def test_every_surface_follows_the_table_under_a_protected_identity(world, client_for, sc, viewer):
    protect(world, sc.case)
    if viewer == EMERGENCY_VIEWER:
        _emergency(world, sc.case)
    reads = reads_identity(viewer, protected=True)
    client, api = client_for(viewer), world.api(viewer)
    case_url = f"/cases/{sc.case.public_id}/"

    page = client.get(case_url)
    header = api.get(f"{API}/cases/{sc.case.public_id}/")
    if not opens_case(viewer):
        assert page.status_code == 404 and header.status_code == 404
        return
    assert page.status_code == 200 and header.status_code == 200
    html = page.content.decode()
    assert (NAME in html) is reads, viewer
    assert "badge-warning protected-identity" in html  # everyone on the case is told why they see the reference only
    assert ("person" in header.json()) is reads and (NAME in header.content.decode()) is reads, viewer
    assert header.json()["protected_identity"] is True

    # Lists: references only, for everyone (the lead and the named readers too).
    for url in ("/cases/", "/"):
        listed = client.get(url, {"ref": sc.case.reference} if url == "/cases/" else None).content.decode()
        assert not _tells(listed), (viewer, url)
    rows = api.get(f"{API}/cases/", {"ref": sc.case.reference}).json()["results"]
    assert [r["person_name"] for r in rows if r["reference"] == sc.case.reference] in ([None], []), viewer

    # The search by name finds the case exactly where the identity may be read, and shows the reference only.
    found = client.post("/cases/", {"q": NAME}).content.decode()
    assert (str(sc.case.public_id) in found) is finds_by_name(viewer, protected=True), viewer
    assert not _tells(found.replace(f'value="{NAME}"', "")), viewer  # the query itself is echoed in its field
    searched = api.post(f"{API}/cases/search/", {"q": NAME}, content_type="application/json")
    assert searched.status_code == 200
    assert (str(sc.case.public_id) in searched.content.decode()) is finds_by_name(viewer, protected=True)
    assert all(r["person_name"] is None for r in searched.json()["results"])

    # Exports and prints: references only.
    csv = client.get(f"{case_url}export/")
    assert csv.status_code == 200 and sc.case.reference in csv.content.decode()
    assert _tells(csv.content.decode()) is NAME_IN_COPIES, viewer
    as_json = api.get(f"{API}/cases/{sc.case.public_id}/export/")
    assert as_json.status_code == 200 and _tells(as_json.content.decode()) is NAME_IN_COPIES, viewer
    prints = [
        client.get(f"{case_url}plans/{sc.plan.public_id}/print/", {"lang": "en"}),
        client.get(f"{case_url}meetings/{sc.meeting.public_id}/print/"),
    ]
    for printed in prints:
        assert printed.status_code in (200, 404)
        assert _tells(printed.content.decode()) is NAME_IN_COPIES, viewer
    if viewer == "kari":  # the lead prints both, and reads the name on the page: the prints leave it out
        assert [p.status_code for p in prints] == [200, 200]


@pytest.mark.parametrize("viewer", ["kari", "ola", "per", "mona", "kjell", EMERGENCY_VIEWER])
def test_without_protection_the_same_viewers_read_the_name(world, client_for, sc, viewer):
    """The baseline the rows above differ from: unprotected, every viewer with a relation reads the name on the page,
    in the header and in lists, and finds the case by name."""
    if viewer == EMERGENCY_VIEWER:
        _emergency(world, sc.case)
    client = client_for(viewer)
    html = client.get(f"/cases/{sc.case.public_id}/").content.decode()
    assert (NAME in html) is reads_identity(viewer, protected=False)
    header = world.api(viewer).get(f"{API}/cases/{sc.case.public_id}/").json()
    assert header["person"]["name"] == NAME and header["protected_identity"] is False
    if viewer != EMERGENCY_VIEWER:
        assert NAME in client.get("/cases/", {"ref": sc.case.reference}).content.decode()
        assert str(sc.case.public_id) in client.post("/cases/", {"q": NAME}).content.decode()


def test_naming_and_removing_a_reader_changes_what_they_see(world, client_for, sc):
    protect(world, sc.case, named=())
    per = client_for("per")
    url = f"/cases/{sc.case.public_id}/"
    assert NAME not in per.get(url).content.decode()
    member = TeamMember.objects.current().get(case=sc.case, user=world.m["per"].user)
    protection.identity_reader_name(actor=world.m["kari"], case=sc.case, member_id=member.pk)
    assert NAME in per.get(url).content.decode()
    protection.identity_reader_remove(actor=world.m["kari"], case=sc.case, member_id=member.pk)
    assert NAME not in per.get(url).content.decode()
    # Lifting the protection gives the team the name back.
    protection.protection_set(actor=world.m["kjell"], case=sc.case, protected=False, reason="Sperren er opphevet")
    assert NAME in per.get(url).content.decode()


def test_emails_never_carry_the_identity(world, sc, settings):
    """Reminders to the lead and the DPOs' priority e-mail about an emergency access: no name, no initials, no
    reference even — whatever the protection."""
    protect(world, sc.case)
    for username in ("kari", "dina", "dora"):
        user = world.m[username].user
        user.email = f"{username}@example.org"
        user.save(update_fields=["email"])
    from utvei.cases import services as case_services

    case_services.task_create(
        actor=world.m["kari"],
        case=sc.case,
        title="Ring skolen",
        assignee=world.m["kari"].user,
        due_on=timezone.localdate() - dt.timedelta(days=3),
    )
    reminders_run()
    _emergency(world, sc.case)
    deliver_emails()
    assert {m.to[0] for m in mail.outbox} >= {"kari@example.org", "dina@example.org", "dora@example.org"}
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}"
        assert not _tells(text) and sc.case.reference not in text, message.subject
