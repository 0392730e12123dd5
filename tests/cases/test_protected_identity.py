"""Protected identities (issue 14, deliverable 5): who may set, lift and name; the history and the audit; the triage
question (page and API); the emergency-access review raised for such a case; and lists that stay at a constant
number of queries. What each role then reads over every surface: tests/access/test_protected_identity.py."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.api_helpers import send
from utvei.access import policy
from utvei.audit.models import Action, AuditEvent
from utvei.cases import protection, selectors, services
from utvei.cases.models import Case, IdentityReader, ProtectionChange, TeamMember, TriageOutcome
from utvei.core.errors import Conflict, Forbidden, NotFound, UtveiError
from utvei.sharing.emergency.services import emergency_open, review_queue
from utvei.sharing.models import EmergencyAccess

NAME = "Henrikke Skjerm"
REASON = "Vedtak om strengt fortrolig adresse 2026"


@pytest.fixture
def case(world):
    case = world.open_case(name=NAME)  # kari leads it
    world.add(case, "ola")
    world.add(case, "per")
    return case


def _member(world, case, username):
    return TeamMember.objects.current().get(case=case, user=world.m[username].user)


def test_the_lead_sets_it_with_a_reason_kept_in_the_history_not_in_the_log(world, case):
    change = protection.protection_set(actor=world.m["kari"], case=case, protected=True, reason=REASON)
    case.person.refresh_from_db()
    assert case.person.protected_identity and change.reason == REASON and change.changed_by == world.m["kari"].user
    event = AuditEvent.objects.filter(action=Action.IDENTITY_PROTECT).get()
    assert event.case_id == str(case.public_id) and event.reason == ""
    assert not AuditEvent.objects.filter(reason__icontains="fortrolig").exists()
    with pytest.raises(Conflict):  # set twice: someone got there first
        protection.protection_set(actor=world.m["kari"], case=case, protected=True, reason=REASON)
    protection.protection_set(actor=world.m["kari"], case=case, protected=False, reason="Opphevet")
    assert [c.protected for c in ProtectionChange.objects.filter(case=case)] == [True, False]
    assert AuditEvent.objects.filter(action=Action.IDENTITY_UNPROTECT).count() == 1


def test_a_reason_is_required(world, case):
    with pytest.raises(UtveiError) as exc:
        protection.protection_set(actor=world.m["kari"], case=case, protected=True, reason="  ")
    assert exc.value.code == "required"
    case.person.refresh_from_db()
    assert not case.person.protected_identity


@pytest.mark.parametrize("username", ["ola", "per"])
def test_other_team_members_cannot_set_it(world, case, username):
    with pytest.raises(Forbidden):
        protection.protection_set(actor=world.m[username], case=case, protected=True, reason=REASON)


def test_the_owning_organisations_coordinator_may_set_it_and_then_does_not_read_it(world, case, client_for):
    protection.protection_set(actor=world.m["kjell"], case=case, protected=True, reason=REASON)
    ca = policy.case_access(world.m["kjell"], case)
    assert ca is not None and "person" not in policy.header_scope(ca)
    assert NAME not in client_for("kjell").get(f"/cases/{case.public_id}/").content.decode()
    assert NAME in client_for("kari").get(f"/cases/{case.public_id}/").content.decode()


def test_outsiders_get_not_found(world, case):
    with pytest.raises(NotFound):
        protection.protection_set(actor=world.m["atle"], case=case, protected=True, reason=REASON)


def test_naming_readers_is_audited_and_kept(world, case):
    protection.protection_set(actor=world.m["kari"], case=case, protected=True, reason=REASON)
    ola = _member(world, case, "ola")
    protection.identity_reader_name(actor=world.m["kari"], case=case, member_id=ola.pk)
    with pytest.raises(Conflict):
        protection.identity_reader_name(actor=world.m["kari"], case=case, member_id=ola.pk)
    with pytest.raises(UtveiError) as lead:
        protection.identity_reader_name(actor=world.m["kari"], case=case, member_id=_member(world, case, "kari").pk)
    assert lead.value.code == "lead"
    with pytest.raises(UtveiError) as other:
        protection.identity_reader_name(actor=world.m["kari"], case=case, member_id=999999)
    assert other.value.code == "not_on_team"
    with pytest.raises(Forbidden):
        protection.identity_reader_name(actor=world.m["ola"], case=case, member_id=_member(world, case, "per").pk)
    protection.identity_reader_remove(actor=world.m["kari"], case=case, member_id=ola.pk)
    (row,) = IdentityReader.objects.filter(case=case)
    assert row.removed_at is not None and row.removed_by == world.m["kari"].user
    actions = list(AuditEvent.objects.filter(action__startswith="identity.reader").values_list("action", flat=True))
    assert actions == [Action.IDENTITY_READER_NAME, Action.IDENTITY_READER_REMOVE]


def test_a_reader_who_leaves_the_team_no_longer_reads_it(world, case):
    protection.protection_set(actor=world.m["kari"], case=case, protected=True, reason=REASON)
    ola = _member(world, case, "ola")
    protection.identity_reader_name(actor=world.m["kari"], case=case, member_id=ola.pk)
    assert policy.identity_readable(world.m["ola"], [case]) == {case.pk}
    services.team_end(actor=world.m["kari"], member=ola)
    world.add(case, "ola")  # back on the team: a new row, not named
    assert policy.identity_readable(world.m["ola"], [case]) == set()


def test_the_protection_page(world, case, browse):
    kari = browse("kari")
    url = f"/cases/{case.public_id}/protection/"
    assert f'href="{url}"' in kari.get(f"/cases/{case.public_id}/").content.decode()
    assert kari.post(url, {"protected": "yes", "reason": ""}).status_code == 400
    assert kari.post(url, {"protected": "yes", "reason": REASON}).status_code == 302
    ola = _member(world, case, "ola")
    assert kari.post(f"{url}readers/", {"member": str(ola.pk)}).status_code == 302
    page = kari.get(url).content.decode()
    assert "The person has a protected identity." in page and REASON in page and "named by" in page
    assert kari.post(f"{url}readers/{ola.pk}/remove/").status_code == 302
    assert kari.post(url, {"protected": "yes", "reason": REASON}).status_code == 409  # already set
    # The rest of the team neither sees the link nor reaches the page.
    per = browse("per")
    assert f'href="{url}"' not in per.get(f"/cases/{case.public_id}/").content.decode()
    assert per.get(url).status_code == 403
    assert per.post(url, {"protected": "no", "reason": "x"}).status_code == 403
    assert browse("atle").get(url).status_code == 404


def test_lists_stay_at_a_constant_number_of_queries(world, case):
    others = [world.open_case(name=f"Person {i}") for i in range(4)]
    protection.protection_set(actor=world.m["kari"], case=case, protected=True, reason=REASON)
    protection.protection_set(actor=world.m["kari"], case=others[0], protected=True, reason=REASON)
    protection.identity_reader_name(actor=world.m["kari"], case=case, member_id=_member(world, case, "ola").pk)

    def count(actor, cases):
        fresh = list(Case.objects.filter(pk__in=[c.pk for c in cases]).only("pk", "person_id", "owning_org_id"))
        with CaptureQueriesContext(connection) as ctx:
            selectors.label_people(actor, fresh)
        return len(ctx.captured_queries), {c.pk: c.person_label for c in fresh}

    few, labels = count(world.m["kari"], [case, others[1]])
    many, labels_many = count(world.m["kari"], [case, *others])
    assert few == many
    assert labels[case.pk] == "" and labels_many[others[1].pk] == "Person 1" and labels_many[others[0].pk] == ""


# ---- Triage ---------------------------------------------------------------------------------------------


def _concern(world):
    return services.concern_submit(
        actor=world.m["rolf"], receiving_org=world.orgs["kommune"], description="Bekymring", subject_name=NAME
    )


def test_triage_asks_and_sets_it_at_opening(world, browse):
    concern = _concern(world)
    client = browse("kari")
    form = client.get(f"/intake/{concern.public_id}/").content.decode()
    assert 'name="protected_identity"' in form and 'name="protected_reason"' in form
    data = {"outcome": "open_case", "rationale": "Oppfølging", "track": "prevention", "full_name": NAME}
    missing = client.post(f"/intake/{concern.public_id}/", {**data, "protected_identity": "yes"})
    assert missing.status_code == 400 and "Give the reason for the protected identity." in missing.content.decode()
    ok = client.post(f"/intake/{concern.public_id}/", {**data, "protected_identity": "yes", "protected_reason": REASON})
    assert ok.status_code == 302
    case = Case.objects.get()
    assert case.person.protected_identity
    assert ProtectionChange.objects.get(case=case).reason == REASON
    assert AuditEvent.objects.filter(action=Action.IDENTITY_PROTECT, case_id=str(case.public_id)).exists()
    # The concern's intake page is no way round it: the other coordinators no longer see who it was about.
    assert NAME in client.get(f"/intake/{concern.public_id}/").content.decode()
    assert NAME not in browse("kjell").get(f"/intake/{concern.public_id}/").content.decode()


@pytest.mark.parametrize("answer", ["no", "unknown"])
def test_triage_without_yes_leaves_it_unset(world, answer):
    concern = services.concern_triage(
        actor=world.m["kari"],
        concern=_concern(world),
        outcome=TriageOutcome.OPEN_CASE,
        rationale="r",
        protected_identity=answer,
    )
    assert not concern.case.person.protected_identity and not ProtectionChange.objects.exists()


def test_the_apis_triage_sets_it_too(world):
    concern = _concern(world)
    url = f"concerns/{concern.public_id}/triage/"
    body = {"outcome": "open_case", "rationale": "Oppfølging", "protected_identity": "yes"}
    refused = send(world.api("kari"), "post", url, body)
    assert refused.status_code == 422 and refused.json()["error"] == "protected_reason_required"
    assert send(world.api("kari"), "post", url, {**body, "protected_identity": "maybe"}).status_code == 400
    ok = send(world.api("kari"), "post", url, {**body, "protected_reason": REASON})
    assert ok.status_code == 200, ok.content
    assert Case.objects.get().person.protected_identity
    assert ok.json()["subject_name"] == NAME  # the lead reads it
    other = world.api("kjell").get(f"/api/v1/concerns/{concern.public_id}/").json()
    assert other["subject_name"] == "" and NAME not in str(other)


# ---- Emergency access -----------------------------------------------------------------------------------


def _open(world, case, by="arne"):
    return emergency_open(
        actor=world.m[by], case_reference=case.reference, reason_code="missing", reason_text="Savnet"
    ).access


def test_emergency_access_to_a_protected_case_is_reviewed_first_and_reads_no_identity(world, case, browse):
    plain = world.open_case(name="Vanlig Person")
    protection.protection_set(actor=world.m["kari"], case=case, protected=True, reason=REASON)
    urgent = _open(world, case, by="atle")
    later = _open(world, plain)
    assert urgent.priority and not later.priority
    ordered = list(review_queue(actor=world.m["dina"], status="pending", audit=False))
    assert [a.pk for a in ordered] == [urgent.pk, later.pk]  # older, but the protected one first
    html = browse("dina").get("/audit/emergency/").content.decode()
    assert html.count("Priority: protected identity") == 1
    assert html.index("Priority: protected identity") < html.index(plain.reference)
    # The emergency reader sees the reference, not the person.
    assert NAME not in browse("atle").get(f"/cases/{case.public_id}/").content.decode()
    api = world.api("dina").get("/api/v1/emergency-access/", {"status": "pending"}).json()["results"]
    assert [row["priority"] for row in api] == [True, False]


def test_a_case_protected_after_the_access_is_still_shown_first(world, case):
    access = _open(world, case, by="atle")
    newer = _open(world, world.open_case(name="Annen Person"))
    assert not access.priority
    protection.protection_set(actor=world.m["kari"], case=case, protected=True, reason=REASON)
    ordered = list(review_queue(actor=world.m["dina"], status="pending", audit=False))
    assert [a.pk for a in ordered] == [access.pk, newer.pk] and ordered[0].urgent and not ordered[1].urgent
    assert EmergencyAccess.objects.get(pk=access.pk).priority is False  # what was known when it was opened
