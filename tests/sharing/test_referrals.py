"""Referrals and transfers: the services, and what they change in the access policy."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils.translation import override

from utvei.access import policy
from utvei.access.policy import Act, Relation
from utvei.accounts.models import Notification, NotificationKind
from utvei.audit.models import Action, AuditEvent
from utvei.cases import selectors as case_selectors
from utvei.cases import services as case_services
from utvei.cases.models import EntryKind, TeamMember, TeamRole
from utvei.core.errors import Conflict, Forbidden, NotFound, UtveiError
from utvei.core.vocabulary import Classification, DataCategory
from utvei.sharing.consent import services
from utvei.sharing.models import Disclosure, Referral, ReferralStatus
from utvei.sharing.referrals import services as referrals

from .helpers import assert_no_content, events_since, seq

MESSAGE = "Trenger arbeidstrening, snakk med Petter først"
CATEGORIES = ("plan", "concern", "ideology", "health")


def write(world: Any, case: Any, by: str, category: str, body: str) -> Any:
    return case_services.entry_create(
        actor=world.m[by],
        case=case,
        kind=EntryKind.NOTE,
        classification=Classification.TEAM,
        category=category,
        body=body,
    )


@pytest.fixture
def case(world, catalogue):
    """Kari's case: ola on the team, one entry per category written by kari; the person consents to NAV
    receiving plan and concern only."""
    case = world.open_case(name="Referert Person")
    world.add(case, "ola")
    for category in CATEGORIES:
        write(world, case, "kari", category, f"SECRET-{category}")
    world.consent(case, "nav", categories=["plan", "concern"])
    case.refresh_from_db()
    return case


def send(world: Any, case: Any, by: str = "kari", **kw: Any) -> Referral:
    args: dict[str, Any] = {
        "to_org_slug": "nav",
        "categories": ["plan", "concern"],
        "basis": "consent",
        "message": MESSAGE,
    }
    return referrals.referral_send(actor=world.m[by], case=case, **{**args, **kw})


def readable(world: Any, username: str, case: Any) -> set[str]:
    ca = policy.case_access(world.m[username], case)
    assert ca is not None
    return {i.entry.body for i in case_selectors.timeline(ca) if i.readable}


def restricted(world: Any, username: str, case: Any) -> list[str]:
    ca = policy.case_access(world.m[username], case)
    assert ca is not None
    return sorted(i.entry.category for i in case_selectors.timeline(ca) if not i.readable)


def notes(world: Any, username: str, kind: str) -> list[Notification]:
    m = world.m[username]
    return list(Notification.objects.filter(user=m.user, organisation=m.organisation, kind=kind))


# ---- A referral under consent: municipality → NAV -------------------------------------------------------


def test_a_referral_under_consent_from_send_to_acceptance(world, case):
    before = seq()
    r = send(world, case)
    assert r.status == ReferralStatus.SENT and r.from_org == world.orgs["kommune"] and r.sent_by == world.m["kari"].user
    # NAV's coordinator is told; nobody there can see the case yet, only the referral.
    assert len(notes(world, "nora", NotificationKind.REFERRAL_RECEIVED)) == 1
    assert notes(world, "nils", NotificationKind.REFERRAL_RECEIVED) == []
    assert policy.case_access(world.m["nora"], case) is None and policy.case_access(world.m["nils"], case) is None
    view = referrals.referral_get(actor=world.m["nora"], referral_id=r.public_id)
    assert view.may_decide and not view.may_withdraw and not view.shows_team and view.direction == "incoming"
    with pytest.raises(NotFound):
        referrals.referral_get(actor=world.m["nils"], referral_id=r.public_id)

    done = referrals.referral_accept(actor=world.m["nora"], referral=r, member_username="nils", note="Tar den")
    assert done.status == ReferralStatus.ACCEPTED and done.decided_by == world.m["nora"].user
    member = TeamMember.objects.get(pk=done.team_member_id)
    assert member.user == world.m["nils"].user and member.role == TeamRole.REFERRAL and member.ended_at is None
    assert done.disclosure is None  # the consent is the basis; the gate reads it on every request
    assert len(notes(world, "kari", NotificationKind.REFERRAL_DECIDED)) == 1

    # nils reads exactly the covered categories; the rest are restricted markers.
    rel, _records = policy.relation(world.m["nils"], case)
    assert rel == Relation.REFERRAL
    assert readable(world, "nils", case) == {"SECRET-plan", "SECRET-concern"}
    assert restricted(world, "nils", case) == ["health", "ideology"]
    ca = policy.case_access(world.m["nils"], case)
    assert "person" not in policy.header_scope(ca) and "ideologies" not in policy.header_scope(ca)
    # A limited role: no phase, team, sharing records or onward referral; nora, who named him, has no relation herself.
    for act in (Act.CASE_MANAGE, Act.TEAM_MANAGE, Act.REFERRAL_SEND, Act.TRANSFER_SEND, Act.SHARING_RECORD):
        assert not policy.can(world.m["nils"], act, case)
    assert policy.case_access(world.m["nora"], case) is None
    with pytest.raises(Forbidden):
        case_services.team_add(
            actor=world.m["nils"],
            case=case,
            user=world.m["per"].user,
            organisation=world.orgs["politi"],
            role="caseworker",
        )
    # nils may read the referral that named him.
    assert referrals.referral_get(actor=world.m["nils"], referral_id=r.public_id).referral == done

    events = events_since(before)
    actions = [e.action for e in events]
    assert actions[0] == Action.REFERRAL_SEND and events[0].reason == "referral consent"
    assert Action.TEAM_ADD in actions and Action.REFERRAL_ACCEPT in actions
    assert_no_content(events, MESSAGE, "Tar den", "Referert", "SECRET")
    for e in AuditEvent.objects.filter(action__startswith="referral."):
        assert e.object_id == str(r.public_id) or e.object_type == "case" or e.object_type == "referral"


def test_a_coordinator_who_names_herself_joins_in_the_limited_role(world, case):
    r = send(world, case)
    referrals.referral_accept(actor=world.m["nora"], referral=r)
    nora = world.m["nora"]
    assert policy.relation(nora, case)[0] == Relation.REFERRAL
    for act in (Act.CASE_MANAGE, Act.TEAM_MANAGE):
        decision = policy.can(nora, act, case)
        assert not decision and "limited" in str(decision.reason)
    with pytest.raises(Forbidden):
        case_services.case_transition(actor=nora, case=case, to_phase="assessment", expected_version=case.version)


def test_only_a_coordinator_of_the_recipient_accepts_and_only_members_of_it_join(world, case):
    r = send(world, case)
    for name in ("nils", "atle", "per"):  # nils: NAV but no coordinator; the others: no standing at all
        with pytest.raises((NotFound, Forbidden)):
            referrals.referral_accept(actor=world.m[name], referral=r)
    with pytest.raises(Forbidden):
        referrals.referral_accept(actor=world.m["kari"], referral=r)  # the sender sees it, cannot accept it
    with pytest.raises(UtveiError) as exc:
        referrals.referral_accept(actor=world.m["nora"], referral=r, member_username="ola")
    assert exc.value.code == "unknown_member"
    r.refresh_from_db()
    assert r.status == ReferralStatus.SENT and not TeamMember.objects.filter(case=case, role=TeamRole.REFERRAL).exists()


def test_accepting_twice_is_a_conflict(world, case):
    r = send(world, case)
    referrals.referral_accept(actor=world.m["nora"], referral=r, member_username="nils")
    with pytest.raises(Conflict):
        referrals.referral_accept(actor=world.m["nora"], referral=r, member_username="nora")
    with pytest.raises(Conflict):
        referrals.referral_decline(actor=world.m["nora"], referral=r, note="For sent")
    assert TeamMember.objects.filter(case=case, role=TeamRole.REFERRAL).count() == 1


def test_a_consent_withdrawn_between_send_and_accept_is_refused_at_acceptance(world, case):
    r = send(world, case)
    consent = case.consents.get(scope_orgs__slug="nav")
    services.consent_withdraw(actor=world.m["kari"], consent=consent, note="Trakk tilbake")
    for lang, text in (("en", "no longer covers"), ("nb", "")):
        with override(lang), pytest.raises(UtveiError) as exc:
            referrals.referral_accept(actor=world.m["nora"], referral=r, member_username="nils")
        assert exc.value.code == "consent_missing" and text in str(exc.value.message)
    r.refresh_from_db()
    assert r.status == ReferralStatus.SENT and r.team_member is None
    assert policy.case_access(world.m["nils"], case) is None
    # It can still be declined.
    referrals.referral_decline(actor=world.m["nora"], referral=r, note="Samtykket er trukket")


def test_sending_needs_a_consent_covering_every_category(world, case):
    with override("en"), pytest.raises(UtveiError) as exc:
        send(world, case, categories=["plan", "ideology", "health"])
    assert exc.value.code == "consent_missing"
    message = str(exc.value.message)
    assert "ideology" in message and "health" in message and "NAV Testby" in message and "plan" not in message
    assert not Referral.objects.exists()


def test_decline_needs_a_note_and_tells_the_sender(world, case):
    r = send(world, case)
    with pytest.raises(UtveiError) as exc:
        referrals.referral_decline(actor=world.m["nora"], referral=r, note="  ")
    assert exc.value.code == "required"
    before = seq()
    done = referrals.referral_decline(actor=world.m["nora"], referral=r, note="Ikke vår oppgave nå")
    assert done.status == ReferralStatus.DECLINED and done.decision_note == "Ikke vår oppgave nå"
    assert len(notes(world, "kari", NotificationKind.REFERRAL_DECIDED)) == 1
    events = events_since(before)
    assert [e.action for e in events] == [Action.REFERRAL_DECLINE]
    assert_no_content(events, "Ikke vår oppgave")
    with pytest.raises(Conflict):
        referrals.referral_accept(actor=world.m["nora"], referral=r)
    # Declined, a new referral to the same organisation may be sent.
    assert send(world, case).status == ReferralStatus.SENT


def test_withdraw_by_the_sending_side_while_open(world, case):
    r = send(world, case, by="ola")  # a caseworker on the team refers
    with pytest.raises(Forbidden):
        referrals.referral_withdraw(actor=world.m["nora"], referral=r)
    with pytest.raises(NotFound):
        referrals.referral_withdraw(actor=world.m["atle"], referral=r)
    done = referrals.referral_withdraw(actor=world.m["kari"], referral=r)  # a coordinator of the sender
    assert done.status == ReferralStatus.WITHDRAWN
    with pytest.raises(Conflict):
        referrals.referral_withdraw(actor=world.m["ola"], referral=r)
    with pytest.raises(Conflict):
        referrals.referral_accept(actor=world.m["nora"], referral=r)
    assert AuditEvent.objects.filter(action=Action.REFERRAL_WITHDRAW).count() == 1


# ---- A referral under a legal basis --------------------------------------------------------------------


@pytest.mark.parametrize("justification", ["", "   "])
def test_a_legal_basis_that_needs_a_justification_given_none_is_refused(world, case, justification):
    for lang, text in (("en", "requires a justification"), ("nb", "krever en begrunnelse")):
        with override(lang), pytest.raises(UtveiError) as exc:
            send(world, case, basis="legal_basis", legal_basis_key="fvl-13b-5", justification=justification)
        assert exc.value.code == "justification_required" and text in str(exc.value.message)
    assert not Referral.objects.exists()


def test_a_legal_basis_referral_records_a_disclosure_on_acceptance(world, case):
    world.consent(case, "politi")  # irrelevant consents do not matter
    r = send(
        world,
        case,
        categories=["plan", "health"],
        basis="legal_basis",
        legal_basis_key="fvl-13b-5",
        justification="Nødvendig for arbeidstrening",
    )
    assert r.legal_basis.key == "fvl-13b-5" and r.basis_version == r.legal_basis.version
    assert not Disclosure.objects.filter(case=case).exists()  # nothing is shared before acceptance
    before = seq()
    done = referrals.referral_accept(actor=world.m["nora"], referral=r, member_username="nils")
    d = done.disclosure
    assert d is not None and d.from_org == world.orgs["kommune"] and d.to_org == world.orgs["nav"]
    assert sorted(d.categories) == ["health", "plan"] and d.decided_by == world.m["kari"].user
    assert d.justification == "Nødvendig for arbeidstrening" and d.expires_at is not None
    assert readable(world, "nils", case) == {"SECRET-plan", "SECRET-concern", "SECRET-health"}
    events = events_since(before)
    assert Action.DISCLOSURE_RECORD in [e.action for e in events]
    assert_no_content(events, "Nødvendig for arbeidstrening")


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"basis": "legal_basis"}, "basis_required"),
        ({"basis": "legal_basis", "legal_basis_key": "fvl-13a-1"}, "basis_is_consent"),
        ({"basis": "legal_basis", "legal_basis_key": "fvl-13"}, "basis_not_usable"),
        ({"basis": "legal_basis", "legal_basis_key": "prl-kap-6", "justification": "x"}, "basis_not_allowed"),
        ({"basis": "nothing"}, "invalid_choice"),
        ({"kind": "gift"}, "invalid_choice"),
        ({"to_org_slug": "kommune"}, "same_organisation"),
        ({"to_org_slug": "no-such-org"}, "unknown_organisation"),
        ({"categories": []}, "required"),
        ({"categories": ["secrets"]}, "invalid_choice"),
        ({"message": "x" * 5001}, "too_long"),
        ({"keep_team_member_ids": [1]}, "keep_only_for_transfer"),
    ],
)
def test_refusals_when_sending(world, case, kw, code):
    with pytest.raises(UtveiError) as exc:
        send(world, case, **kw)
    assert exc.value.code == code
    assert not Referral.objects.exists()


def test_who_may_send(world, case):
    world.add(case, "per")
    world.add(case, "mona", role=TeamRole.MENTOR)
    with pytest.raises(NotFound):
        send(world, case, by="atle")
    with pytest.raises(Forbidden):
        send(world, case, by="mona")
    with pytest.raises(Forbidden):
        send(world, case, by="ola", kind="transfer", to_org_slug="annen")  # transfers: the owner's coordinators
    with pytest.raises(Forbidden):
        send(world, case, by="per", kind="transfer", to_org_slug="annen")
    with pytest.raises(UtveiError) as exc:
        send(world, case, by="per", to_org_slug="kommune")
    assert exc.value.code == "already_owner"
    world.consent(case, "nav")
    assert send(world, case, by="per").from_org == world.orgs["politi"]  # police on the team refers to NAV


def test_one_open_referral_per_organisation_and_kind(world, case):
    send(world, case)
    with pytest.raises(Conflict):
        send(world, case, by="ola")
    world.consent(case, "annen", "politi")
    send(world, case, kind="transfer", to_org_slug="annen")
    with pytest.raises(Conflict):
        send(world, case, kind="transfer", to_org_slug="politi")  # one open transfer at a time
    assert send(world, case, to_org_slug="politi").status == ReferralStatus.SENT  # a referral may go alongside


def test_an_organisation_without_coordinators_cannot_receive(world, case):
    world.consent(case, "skole")
    with pytest.raises(UtveiError) as exc:
        send(world, case, to_org_slug="skole")
    assert exc.value.code == "no_recipient"


def test_a_closed_case_cannot_be_referred_nor_accepted(world, case):
    r = send(world, case)
    case_services.case_close(
        actor=world.m["kari"], case=case, reason="other", summary="Avsluttet", expected_version=case.version
    )
    case.refresh_from_db()
    with pytest.raises(Forbidden):
        send(world, case, to_org_slug="politi")
    with pytest.raises(UtveiError) as exc:
        referrals.referral_accept(actor=world.m["nora"], referral=r)
    assert exc.value.status == 409


# ---- Transfer: kommune → annen -------------------------------------------------------------------------


@pytest.fixture
def transfer(world, case):
    world.consent(case, "annen", categories=["plan", "concern"])
    ola = TeamMember.objects.current().get(case=case, user=world.m["ola"].user)
    r = send(world, case, kind="transfer", to_org_slug="annen", keep_team_member_ids=[ola.pk], message=MESSAGE)
    return r, ola


def test_a_transfer_moves_ownership_and_the_old_team_leaves(world, case, transfer):
    r, ola = transfer
    assert len(notes(world, "atle", NotificationKind.REFERRAL_RECEIVED)) == 1
    # Before acceptance: atle sees the transfer, not the case; kjell (kommune) still sees it.
    assert policy.case_access(world.m["atle"], case) is None
    assert policy.case_access(world.m["kjell"], case) is not None
    version = case.version
    before = seq()
    done = referrals.referral_accept(actor=world.m["atle"], referral=r)
    case.refresh_from_db()
    assert done.status == ReferralStatus.COMPLETED
    assert case.owning_org == world.orgs["annen"] and case.lead == world.m["atle"].user and case.version == version + 1
    current = {(t.user.username, t.role) for t in TeamMember.objects.current().filter(case=case)}
    assert current == {("atle", TeamRole.LEAD), ("ola", TeamRole.CASEWORKER)}  # kari left, ola was kept
    kari_row = TeamMember.objects.get(case=case, user=world.m["kari"].user, role=TeamRole.LEAD)
    assert kari_row.ended_at is not None
    # The old owner: kari and kjell lose the case; ola stays on the team, reading only what the rules allow.
    for name in ("kari", "kjell"):
        assert policy.case_access(world.m[name], case) is None
    assert policy.relation(world.m["ola"], case)[0] == Relation.TEAM
    assert not policy.can(world.m["ola"], Act.TRANSFER_SEND, case)
    # The new owner: atle leads and manages; he reads kommune's content only as far as the consent covers annen.
    assert policy.relation(world.m["atle"], case)[0] == Relation.TEAM
    assert policy.can(world.m["atle"], Act.CASE_MANAGE, case) and policy.can(world.m["atle"], Act.TEAM_MANAGE, case)
    assert readable(world, "atle", case) == {"SECRET-plan", "SECRET-concern"}
    assert policy.case_access(world.m["arne"], case) is None  # annen's caseworker: not on the team
    # The sender keeps the record of the transfer (metadata), and is told.
    assert referrals.referral_get(actor=world.m["kari"], referral_id=r.public_id).referral.status == "completed"
    assert len(notes(world, "kari", NotificationKind.REFERRAL_DECIDED)) == 1
    events = events_since(before)
    actions = [e.action for e in events]
    assert Action.TRANSFER_COMPLETE in actions and Action.TEAM_END in actions and Action.TEAM_ADD in actions
    assert_no_content(events, MESSAGE, "Referert")


def test_a_transfer_can_name_another_lead_and_keep_the_old_lead_in_another_role(world, case):
    kari = TeamMember.objects.current().get(case=case, user=world.m["kari"].user)
    world.consent(case, "annen")
    r = send(world, case, kind="transfer", to_org_slug="annen", keep_team_member_ids=[kari.pk])
    referrals.referral_accept(actor=world.m["atle"], referral=r, member_username="arne")
    case.refresh_from_db()
    assert case.lead == world.m["arne"].user
    current = {(t.user.username, t.role) for t in TeamMember.objects.current().filter(case=case)}
    assert current == {("arne", TeamRole.LEAD), ("kari", TeamRole.COORDINATOR)}
    assert policy.relation(world.m["kari"], case)[0] == Relation.TEAM
    assert policy.relation(world.m["atle"], case)[0] == Relation.OWNER_COORDINATOR


def test_a_transfer_to_an_organisation_with_a_referral_recipient_lifts_the_limit(world, case):
    r = send(world, case)
    referrals.referral_accept(actor=world.m["nora"], referral=r, member_username="nils")
    world.consent(case, "nav")
    t = send(world, case, kind="transfer", to_org_slug="nav")
    referrals.referral_accept(actor=world.m["nora"], referral=t)
    current = {(x.user.username, x.role) for x in TeamMember.objects.current().filter(case=case)}
    assert current == {("nora", TeamRole.LEAD), ("nils", TeamRole.CASEWORKER)}
    assert policy.relation(world.m["nils"], case)[0] == Relation.TEAM
    assert policy.can(world.m["nora"], Act.TEAM_MANAGE, case)


def test_a_transfer_under_a_legal_basis_records_a_disclosure_from_the_old_owner(world, case):
    r = send(
        world,
        case,
        kind="transfer",
        to_org_slug="annen",
        categories=["plan", "ideology"],
        basis="legal_basis",
        legal_basis_key="fvl-13b-5",
        justification="Personen flytter",
    )
    done = referrals.referral_accept(actor=world.m["atle"], referral=r)
    assert done.disclosure.from_org == world.orgs["kommune"] and done.disclosure.to_org == world.orgs["annen"]
    assert readable(world, "atle", case) == {"SECRET-plan", "SECRET-ideology"}


def test_transfer_keep_list_must_be_the_owners_current_team(world, case):
    world.add(case, "per")
    per = TeamMember.objects.current().get(case=case, user=world.m["per"].user)
    world.consent(case, "annen")
    for ids in ([per.pk], [999999], ["x"]):
        with pytest.raises(UtveiError) as exc:
            send(world, case, kind="transfer", to_org_slug="annen", keep_team_member_ids=ids)
        assert exc.value.code == "unknown_member"
    assert referrals.keep_ids_for(case, ["ola"]) == [TeamMember.objects.get(case=case, user__username="ola").pk]
    with pytest.raises(UtveiError):
        referrals.keep_ids_for(case, ["per"])


# ---- Reading -------------------------------------------------------------------------------------------


def test_reading_the_referrals_of_a_case(world, case):
    world.add(case, "mona", role=TeamRole.MENTOR)
    r = send(world, case)
    before = seq()
    _ca, rows = referrals.referrals_of_case(actor=world.m["ola"], case_id=case.public_id)
    assert [v.referral for v in rows] == [r] and rows[0].on_case
    assert [e.action for e in events_since(before)] == [Action.REFERRAL_VIEW]
    with pytest.raises(Forbidden):
        referrals.referrals_of_case(actor=world.m["mona"], case_id=case.public_id)
    with pytest.raises(NotFound):
        referrals.referrals_of_case(actor=world.m["atle"], case_id=case.public_id)
    referrals.referral_accept(actor=world.m["nora"], referral=r, member_username="nils")
    with pytest.raises(Forbidden):  # a referral recipient: limited, no view of the case's referrals
        referrals.referrals_of_case(actor=world.m["nils"], case_id=case.public_id)


def test_the_inbox_shows_open_ones_first_to_the_recipients_coordinators(world, case):
    other = world.open_case(name="Annen Person")
    world.consent(other, "nav")
    first = send(world, case)
    referrals.referral_decline(actor=world.m["nora"], referral=first, note="Nei")
    second = send(world, other)
    assert list(referrals.referral_inbox(actor=world.m["nora"])) == [second, first]
    assert list(referrals.referral_inbox(actor=world.m["nils"])) == []
    assert list(referrals.referral_inbox(actor=world.m["atle"])) == []
    assert list(referrals.referrals_sent(actor=world.m["kari"])) == [second, first]
    assert list(referrals.referrals_sent(actor=world.m["ola"])) == []  # caseworkers: what they sent
    assert list(referrals.referrals_sent(actor=world.m["nora"])) == []


def test_an_unrelated_user_gets_not_found_and_it_is_audited(world, case):
    r = send(world, case)
    for name in ("atle", "arne", "per", "mona", "dina"):
        before = seq()
        with pytest.raises(NotFound):
            referrals.referral_get(actor=world.m[name], referral_id=r.public_id)
        assert [e.action for e in events_since(before)] == [Action.CASE_DENIED]
    with pytest.raises(NotFound):
        referrals.referral_get(actor=world.m["nora"], referral_id="not-a-uuid")


def test_a_category_label_appears_in_bokmal(world, case):
    with override("nb"), pytest.raises(UtveiError) as exc:
        send(world, case, categories=[DataCategory.HEALTH])
    assert exc.value.code == "consent_missing"


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_accepting_at_once_one_wins(world, catalogue):
    import threading

    from django.db import connection, connections

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("SQLite's shared-cache in-memory test database does not wait for a second writer")
    from utvei.accounts.services import user_create

    second = user_create(username="nina", password="x" * 20, org_slug="nav", role="coordinator", validate=False)
    case = world.open_case()
    world.consent(case, "nav", categories=["plan"])
    r = send(world, case, categories=["plan"])
    results: list[Any] = []
    start = threading.Barrier(2)

    def accept(m: Any, member: str) -> None:
        try:
            start.wait()
            results.append(referrals.referral_accept(actor=m, referral=r, member_username=member).status)
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            results.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=accept, args=(world.m["nora"], "nils")),
        threading.Thread(target=accept, args=(second, "nina")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcomes = sorted(type(x).__name__ if isinstance(x, BaseException) else str(x) for x in results)
    assert outcomes == ["Conflict", "accepted"], results
    assert TeamMember.objects.filter(case=case, role=TeamRole.REFERRAL).count() == 1
