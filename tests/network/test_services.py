"""Writes to the network: contacts with their first observation, later observations (append-only; ending a tie is
one), contact edits under a version with revisions kept; a label or initials only for third parties; who may
write; every write audited without content."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.network.helpers import LABEL, NOTE, add, ago, assert_no_content, events_since, fresh, observe, seq, today
from utvei.audit.models import Action
from utvei.cases import services as case_services
from utvei.cases.models import TeamRole
from utvei.core.errors import Conflict, Forbidden, NotFound, UtveiError
from utvei.network import services
from utvei.network.models import Contact, ContactRevision, Observation
from utvei.sharing.emergency import services as emergency


def test_a_contact_is_added_with_its_first_observation_and_audited_without_content(nw):
    start = seq()
    contact = add(nw.world, nw.case, relation="milieu_peer", valence="risk", closeness=3, frequency="daily", note=NOTE)
    contact = fresh(contact)
    assert (contact.relation, contact.formal, contact.label, contact.classification) == (
        "milieu_peer",
        False,
        LABEL,
        "team",
    )
    assert contact.category == "network" and contact.author_org.slug == "kommune" and contact.version == 1
    obs = contact.observations.get()
    assert (obs.valence, obs.closeness, obs.frequency, obs.ended, obs.note) == ("risk", 3, "daily", False, NOTE)
    assert obs.observed_on == ago(300) and obs.classification == "team"
    assert [(r.version, r.label) for r in ContactRevision.objects.filter(contact=contact)] == [(1, LABEL)]
    events = events_since(start)
    assert [e.action for e in events] == [Action.CONTACT_CREATE, Action.OBSERVATION_CREATE]
    assert events[0].object_id == str(contact.public_id) and events[0].case_id == str(nw.case.public_id)
    assert events[1].object_id == str(obs.public_id)
    assert_no_content(events)


def test_the_label_is_stored_encrypted(nw):
    from django.db import connection

    contact = add(nw.world, nw.case, label="Onkel Per")
    with connection.cursor() as cur:
        cur.execute("SELECT label FROM network_contact WHERE id = %s", [contact.pk])
        raw = cur.fetchone()[0]
    assert "Onkel" not in raw


@pytest.mark.parametrize(
    "label",
    [
        "12345678901",
        "123456 78901",
        "120305 12345",
        "1203 0512 345",
        "Mor 01017012345",
        "12.03.2005",
        "12/3/05",
        "2005-03-12",
        "Venn 120305",
        "12. mars 2005",
        "3 March 2006",
        "født 2005",
        "b. 1999",
        "Tlf 91234567",
    ],
)
def test_a_label_that_looks_like_an_identity_number_or_a_date_of_birth_is_refused(nw, label):
    with pytest.raises(UtveiError) as exc:
        add(nw.world, nw.case, label=label)
    assert exc.value.code == "label_identifying"
    assert not Contact.objects.filter(case=nw.case).exists()


@pytest.mark.parametrize("label", ["Mor", "J.K.", "A. (kollega)", "Trener i klubben", "Venn siden 2019", "Onkel 2"])
def test_labels_and_initials_are_accepted(nw, label):
    assert fresh(add(nw.world, nw.case, label=label)).label == label


@pytest.mark.parametrize("label,code", [("", "required"), ("   ", "required"), ("x" * 41, "too_long")])
def test_a_label_is_required_and_short(nw, label, code):
    with pytest.raises(UtveiError) as exc:
        add(nw.world, nw.case, label=label)
    assert exc.value.code == code


def test_formal_follows_the_relation_unless_given_and_an_organisation_makes_it_formal(nw):
    assert fresh(add(nw.world, nw.case, relation="teacher")).formal is True
    assert fresh(add(nw.world, nw.case, relation="professional", formal=False)).formal is False
    assert fresh(add(nw.world, nw.case, relation="friend", formal=True)).formal is True
    linked = fresh(add(nw.world, nw.case, relation="professional", formal=False, organisation=nw.world.orgs["nav"]))
    assert linked.formal is True and linked.organisation.slug == "nav"
    with pytest.raises(UtveiError) as exc:
        add(nw.world, nw.case, relation="professional", organisation=nw.world.orgs["skole"])  # not on the team
    assert exc.value.code == "organisation_not_on_team"


@pytest.mark.parametrize(
    "kw,code",
    [
        ({"relation": "enemy"}, "invalid_choice"),
        ({"valence": "great"}, "invalid_choice"),
        ({"closeness": 4}, "invalid_closeness"),
        ({"closeness": 0}, "invalid_closeness"),
        ({"closeness": True}, "invalid_closeness"),
        ({"closeness": "3"}, "invalid_closeness"),
        ({"frequency": "hourly"}, "invalid_choice"),
        ({"classification": "secret"}, "invalid_choice"),
        ({"on": -1}, "future_date"),
        ({"note": "x" * 4001}, "too_long"),
    ],
)
def test_bad_values_are_refused_with_a_code(nw, kw, code):
    with pytest.raises(UtveiError) as exc:
        add(nw.world, nw.case, **kw)
    assert exc.value.code == code
    assert not Contact.objects.filter(case=nw.case).exists()


def test_nobody_classifies_into_a_compartment_their_organisation_cannot_read(nw):
    with pytest.raises(UtveiError) as exc:
        add(nw.world, nw.case, by="nils", classification="police")
    assert exc.value.code == "classification_not_allowed"
    assert fresh(add(nw.world, nw.case, by="per", classification="police")).classification == "police"


# ---- Observations --------------------------------------------------------------------------------------


def test_observations_are_appended_and_ending_a_tie_carries_the_last_values(nw):
    contact = add(nw.world, nw.case, valence="risk", closeness=3, frequency="daily")
    observe(nw.world, contact, on=200, valence="ambivalent", closeness=2, frequency="weekly")
    start = seq()
    ended = observe(nw.world, contact, on=100, ended=True, note=NOTE)
    assert (ended.ended, ended.valence, ended.closeness, ended.frequency) == (True, "ambivalent", 2, "")
    assert ended.classification == "team"  # the contact's
    assert [e.action for e in events_since(start)] == [Action.OBSERVATION_CREATE]
    assert events_since(start)[0].reason == "ended"
    assert_no_content(events_since(start))
    assert list(Observation.objects.filter(contact=contact).values_list("observed_on", flat=True)) == [
        ago(300),
        ago(200),
        ago(100),
    ]


def test_an_observation_needs_valence_and_closeness_unless_it_ends_the_tie(nw):
    contact = add(nw.world, nw.case)
    with pytest.raises(UtveiError) as exc:
        observe(nw.world, contact, closeness=2)
    assert exc.value.code == "valence_required"
    with pytest.raises(UtveiError) as exc:
        observe(nw.world, contact, valence="risk")
    assert exc.value.code == "invalid_closeness"


@pytest.mark.parametrize(
    "observed_on,code",
    [
        (None, "date_required"),
        ("2024-01-01", "date_required"),
        (dt.datetime(2024, 1, 1, 12, 0), "date_required"),
        (dt.date(1899, 12, 31), "date_out_of_range"),
    ],
)
def test_an_observation_needs_a_plausible_date(nw, observed_on, code):
    contact = add(nw.world, nw.case)
    with pytest.raises(UtveiError) as exc:
        services.observation_add(
            actor=nw.m["kari"], contact=fresh(contact), observed_on=observed_on, valence="risk", closeness=2
        )
    assert exc.value.code == code
    with pytest.raises(UtveiError) as exc:
        services.observation_add(
            actor=nw.m["kari"],
            contact=fresh(contact),
            observed_on=today() + dt.timedelta(days=1),
            valence="risk",
            closeness=2,
        )
    assert exc.value.code == "future_date"


def test_the_note_has_its_own_classification(nw):
    contact = add(nw.world, nw.case, by="per")
    obs = observe(nw.world, contact, by="per", valence="risk", closeness=1, note=NOTE, classification="police")
    assert obs.classification == "police" and obs.author_org.slug == "politi"
    with pytest.raises(UtveiError):
        observe(nw.world, contact, by="nils", valence="risk", closeness=1, classification="police")


def test_another_organisation_that_reads_the_contact_adds_observations(nw):
    contact = add(nw.world, nw.case)
    obs = observe(nw.world, contact, by="nils", valence="supportive", closeness=3)
    assert obs.author_org.slug == "nav"


# ---- Editing a contact ---------------------------------------------------------------------------------


def test_a_contact_is_changed_under_its_version_and_every_version_is_kept(nw):
    contact = add(nw.world, nw.case)
    start = seq()
    changed = services.contact_update(
        actor=nw.m["ola"], contact=fresh(contact), expected_version=1, label="K.J.", relation="former_member"
    )
    assert (changed.version, changed.label, changed.relation) == (2, "K.J.", "former_member")
    assert [r.label for r in ContactRevision.objects.filter(contact=contact).order_by("version")] == [LABEL, "K.J."]
    same = services.contact_update(actor=nw.m["ola"], contact=fresh(contact), expected_version=2, label="K.J.")
    assert same.version == 2  # nothing changed, nothing saved
    with pytest.raises(Conflict) as exc:
        services.contact_update(actor=nw.m["kari"], contact=fresh(contact), expected_version=1, label="Gammel")
    assert exc.value.current.version == 2
    assert [e.action for e in events_since(start)] == [Action.CONTACT_UPDATE, Action.CONTACT_CONFLICT]
    assert_no_content(events_since(start), "K.J.", "Gammel")
    assert fresh(contact).label == "K.J."


def test_linking_and_unlinking_an_organisation(nw):
    contact = add(nw.world, nw.case, relation="professional")
    linked = services.contact_update(
        actor=nw.m["kari"], contact=fresh(contact), expected_version=1, organisation=nw.world.orgs["nav"]
    )
    assert linked.organisation.slug == "nav" and linked.formal
    with pytest.raises(UtveiError) as exc:
        services.contact_update(actor=nw.m["kari"], contact=fresh(contact), expected_version=2, formal=False)
    assert exc.value.code == "formal_required"
    unlinked = services.contact_update(
        actor=nw.m["kari"], contact=fresh(contact), expected_version=2, organisation=None, formal=False
    )
    assert unlinked.organisation is None and not unlinked.formal and unlinked.version == 3


def test_only_the_organisation_that_added_a_contact_changes_it(nw):
    contact = add(nw.world, nw.case)
    with pytest.raises(Forbidden):
        services.contact_update(actor=nw.m["nils"], contact=fresh(contact), expected_version=1, label="NAV")
    with pytest.raises(UtveiError) as exc:
        services.contact_update(actor=nw.m["kari"], contact=fresh(contact), expected_version=1, label="01017012345")
    assert exc.value.code == "label_identifying"


# ---- Who may write -------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["kari", "ola", "per", "nils", "kjell"])
def test_coordinators_and_caseworkers_with_a_full_relation_and_a_basis_write(nw, username):
    contact = add(nw.world, nw.case, by=username)
    assert observe(nw.world, contact, by=username, valence="risk", closeness=1).pk


def test_a_mentor_writes_nothing_here(nw):
    with pytest.raises(Forbidden):
        add(nw.world, nw.case, by="mona")
    contact = add(nw.world, nw.case, classification="mentor")
    with pytest.raises(Forbidden):
        observe(nw.world, contact, by="mona", valence="risk", closeness=1)


@pytest.mark.parametrize("username", ["atle", "dina", "rolf", "anna"])
def test_no_relation_is_not_found(nw, username):
    with pytest.raises(NotFound):
        add(nw.world, nw.case, by=username)
    contact = add(nw.world, nw.case)
    with pytest.raises(NotFound):
        observe(nw.world, contact, by=username, valence="risk", closeness=1)


def test_without_a_basis_for_the_network_nobody_writes(world):
    case = world.open_case()
    world.add(case, "siri", consent=False)
    world.consent(case, "skole", categories=["concern", "plan"])
    with pytest.raises(Forbidden) as exc:
        add(world, case, by="siri")
    assert "restricted" in str(exc.value.message)


def test_emergency_access_and_referral_recipients_read_only(nw):
    contact = add(nw.world, nw.case)
    emergency.emergency_open(
        actor=nw.m["arne"], case_reference=nw.case.reference, reason_code="missing", reason_text="Savnet, truet"
    )
    with pytest.raises(Forbidden):
        add(nw.world, nw.case, by="arne")
    with pytest.raises(Forbidden):
        observe(nw.world, contact, by="arne", valence="risk", closeness=1)
    case_services.team_add(
        actor=nw.m["kari"],
        case=nw.case,
        user=nw.m["nora"].user,
        organisation=nw.m["nora"].organisation,
        role=TeamRole.REFERRAL,
    )
    with pytest.raises(Forbidden):
        add(nw.world, nw.case, by="nora")


def test_a_closed_case_takes_no_new_observations(nw):
    contact = add(nw.world, nw.case)
    case_services.case_close(actor=nw.m["kari"], case=nw.case, reason="other", summary="Avsluttet")
    with pytest.raises(Forbidden):
        observe(nw.world, contact, valence="risk", closeness=1)
