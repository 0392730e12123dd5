"""`utvei demo`: the fictional municipality, loaded through the services, readable by the right people only."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from tests.retention.completeness import unaccounted
from utvei.access.policy import Act, Relation, can, case_access, entry_decision, visible_cases
from utvei.accounts.models import (
    HEALTH_KINDS,
    POLICE_KINDS,
    Membership,
    Notification,
    NotificationKind,
    Organisation,
    OrgKind,
)
from utvei.accounts.roles import Role
from utvei.assessments.display import compare
from utvei.assessments.models import Assessment, AssessmentSkip, AssessmentStatus
from utvei.audit.models import Action, AuditEvent
from utvei.audit.services import audit_verify
from utvei.cases.models import (
    Case,
    Concern,
    ConcernStatus,
    Entry,
    ParticipantAccount,
    Phase,
    ProtectionChange,
    Task,
    TaskStatus,
    TeamMember,
    TeamRole,
    Track,
    TriageOutcome,
    Urgency,
)
from utvei.core.vocabulary import Classification
from utvei.meetings.models import Meeting, MeetingDecision, MeetingStatus
from utvei.oversight.alerts import alert_queue
from utvei.oversight.detector import alerts_scan
from utvei.oversight.models import AccessAlert, AlertStatus
from utvei.people.models import Person
from utvei.retention.models import RequestStatus
from utvei.retention.subject_access import services as subject_access_services
from utvei.retention.subject_access.export import person_export
from utvei.sharing.emergency.services import case_emergency_accesses, review_queue
from utvei.sharing.models import EmergencyAccess, Referral, ReferralBasis, ReferralStatus, ReviewStatus
from utvei.sharing.referrals.services import referral_inbox
from utvei.tools.management.commands.demo import DEFAULT_PASSWORD, load_story


def _load(**opts: Any) -> str:
    out = StringIO()
    call_command("demo", stdout=out, **opts)
    return out.getvalue()


@pytest.fixture(scope="module")
def _demo_once(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """The demo is loaded once for this module (it takes seconds) inside an outer transaction; each test runs in
    a savepoint on top of it, and the module's end rolls the whole load back."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        with override_settings(DEMO=True, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            out = _load()
    try:
        yield out
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(_demo_once: str, db: Any, settings: Any) -> str:
    settings.DEMO = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return _demo_once


def _m(username: str) -> Membership:
    return Membership.objects.select_related("user", "organisation").get(user__username=username)


def test_it_creates_the_organisations_and_one_account_per_role(demo: str) -> None:
    kinds = set(Organisation.objects.values_list("kind", flat=True))
    assert {
        OrgKind.POLICE,
        OrgKind.SECURITY_SERVICE,
        OrgKind.MUNICIPALITY,
        OrgKind.SCHOOL,
        OrgKind.CHILD_WELFARE,
        OrgKind.MENTAL_HEALTH,
        OrgKind.WELFARE_EMPLOYMENT,
        OrgKind.NGO,
        OrgKind.MENTOR_SERVICE,
    } <= kinds
    assert Organisation.objects.filter(kind=OrgKind.MUNICIPALITY).count() == 2
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)
    assert _m("koordinator").user.check_password(DEFAULT_PASSWORD)


def test_it_prints_every_account_with_the_password(demo: str) -> None:
    for username in load_story()["accounts"]:
        assert username in demo
    assert DEFAULT_PASSWORD in demo


def test_it_tells_about_a_dozen_invented_people_with_synthetic_identity_numbers(demo: str) -> None:
    everyone = list(Person.objects.all())
    people = [p for p in everyone if not p.full_name.endswith("(syntetisk)")]  # the historical cohort aside
    assert 10 <= len(people) <= 16
    for p in everyone:
        assert len(p.national_id) == 11 and int(p.national_id[2:4]) > 80  # month + 80: synthetic
    assert Person.objects.filter(protected_identity=True).exists()


def test_the_historical_cohort_is_fjordviks_led_by_its_own_account_and_mostly_closed(demo: str) -> None:
    """The invented past that gives the analyst cohorts (tools/demo/evaluation.py): owned by Fjordvik kommune, led by
    `historikk`, named as synthetic, and mostly out of koordinator's default case list."""
    cohort = Case.objects.filter(lead__username="historikk").select_related("person", "owning_org")
    assert 120 <= cohort.count() <= 180
    assert {c.owning_org.slug for c in cohort} == {"fjordvik-kommune"}
    assert all(c.person.full_name.endswith("(syntetisk)") for c in cohort)
    assert cohort.filter(phase=Phase.CLOSED).count() >= 0.8 * cohort.count()
    story = Case.objects.exclude(lead__username="historikk")
    assert not story.filter(person__in=cohort.values("person")).exists()
    assert "invented historical cohort" in demo


def test_cases_cover_every_phase_and_track_with_a_reopened_case(demo: str) -> None:
    assert set(Case.objects.values_list("phase", flat=True)) == set(Phase.values)
    assert set(Case.objects.values_list("track", flat=True)) == set(Track.values)
    reopened = Case.objects.get(previous_case__isnull=False)
    assert reopened.previous_case is not None and reopened.previous_case.phase == Phase.CLOSED
    assert reopened.person_id == reopened.previous_case.person_id


def test_the_timeline_spreads_over_the_last_year_and_a_half(demo: str) -> None:
    oldest = Entry.objects.order_by("occurred_at").first()
    assert oldest is not None and (timezone.now() - oldest.occurred_at).days > 365
    assert Case.objects.filter(phase=Phase.CLOSED, closed_at__isnull=False).count() >= 2


def test_the_intake_queue_holds_an_acute_and_an_anonymous_concern(demo: str) -> None:
    queue = Concern.objects.filter(status=ConcernStatus.RECEIVED)
    assert queue.filter(urgency=Urgency.ACUTE).exists()
    anonymous = queue.get(anonymous=True)
    assert anonymous.subject_name == ""
    outcomes = set(Concern.objects.exclude(status=ConcernStatus.RECEIVED).values_list("outcome", flat=True))
    assert outcomes == set(TriageOutcome.values)
    # One waits for the reporter's answer; the hand-offs say to whom, on which basis (issue 13).
    waiting = Concern.objects.get(status=ConcernStatus.AWAITING_INFO)
    assert waiting.questions.get().question and waiting.outcome == TriageOutcome.MORE_INFO
    handed = Concern.objects.filter(outcome__in=["police_pst", "ordinary_services"])
    assert all(c.handoff.basis_key and c.handoff.to_name for c in handed) and handed.count() == 2


def test_tasks_include_overdue_and_done_ones(demo: str) -> None:
    tasks = list(Task.objects.all())
    assert any(t.is_overdue for t in tasks)
    assert any(t.status == TaskStatus.DONE and t.completed_at for t in tasks)


def test_the_other_municipality_sees_none_of_fjordviks_cases(demo: str) -> None:
    fjordvik = set(Case.objects.filter(owning_org__slug="fjordvik-kommune").values_list("pk", flat=True))
    other = set(visible_cases(_m("tindvik-koordinator")).values_list("pk", flat=True))
    fjordvik -= set(Case.objects.exclude(retention_state="active").values_list("pk", flat=True))  # in no list
    assert fjordvik and not (fjordvik & other)
    assert fjordvik <= set(visible_cases(_m("koordinator")).values_list("pk", flat=True))


def test_every_case_is_visible_to_its_team_and_to_nobody_without_a_relation(demo: str) -> None:
    for case in Case.objects.select_related("owning_org"):
        for member in case.team.filter(ended_at__isnull=True).select_related("user", "organisation"):
            m = Membership.objects.select_related("user", "organisation").get(
                user=member.user, organisation=member.organisation
            )
            # A restricted case (sperret) is read by nobody on the team until the lead opens it for a reason.
            restricted = case.retention_state != "active"
            assert bool(can(m, Act.CASE_VIEW, case)) is not restricted, (case.reference, member.user.username)
    for username in ("melder", "personvern", "analytiker", "orgadmin"):
        assert not visible_cases(_m(username)).exists()


def test_police_and_health_entries_are_written_in_their_compartments(demo: str) -> None:
    police = Entry.objects.filter(classification=Classification.POLICE).select_related("author", "author_org")
    assert police.exists()
    assert all(e.author_org.kind in POLICE_KINDS and e.author.username == "politi" for e in police)
    health = Entry.objects.filter(classification=Classification.HEALTH).select_related("author_org")
    assert health.exists() and all(e.author_org.kind in HEALTH_KINDS for e in health)
    mentor_notes = Entry.objects.filter(classification=Classification.MENTOR).select_related("author")
    assert {e.author.username for e in mentor_notes} <= {"mentor", "frivillig"}
    assert set(Entry.objects.values_list("classification", flat=True)) == set(Classification.values)


def test_a_school_caseworker_sees_police_entries_only_as_markers(demo: str) -> None:
    skole = _m("skole")
    entry = Entry.objects.filter(classification=Classification.POLICE, case__team__user=skole.user).first()
    assert entry is not None
    ca = case_access(skole, entry.case)
    assert ca is not None
    decision = entry_decision(ca, entry)
    assert not decision and decision.restricted_marker


def test_everything_was_written_through_the_audited_services(demo: str) -> None:
    assert audit_verify().ok
    entry_events = set(AuditEvent.objects.filter(action=Action.ENTRY_CREATE).values_list("object_id", flat=True))
    assert entry_events == {str(pk) for pk in Entry.objects.values_list("public_id", flat=True)}
    assert AuditEvent.objects.filter(action=Action.CASE_CREATE).count() == Case.objects.count()


def test_if_empty_does_nothing_but_list_the_accounts_the_second_time(demo: str) -> None:
    counts = (Case.objects.count(), Entry.objects.count(), AuditEvent.objects.count())
    out = _load(if_empty=True)
    assert "not loaded again" in out and "koordinator" in out
    assert (Case.objects.count(), Entry.objects.count(), AuditEvent.objects.count()) == counts


def test_without_if_empty_it_refuses_a_database_that_has_organisations(demo: str) -> None:
    with pytest.raises(CommandError, match="--if-empty"):
        _load()


# ---- Referrals, emergency access and assessments --------------------------------------------------------


def test_a_referral_to_nav_was_accepted_with_the_nav_caseworker_on_the_team(demo: str) -> None:
    accepted = Referral.objects.select_related("case", "team_member__user").get(status=ReferralStatus.ACCEPTED)
    assert (accepted.from_org.slug, accepted.to_org.slug) == ("fjordvik-kommune", "nav-fjordvik")
    assert accepted.basis == ReferralBasis.CONSENT and accepted.decided_by == _m("nav-koordinator").user
    member = accepted.team_member
    assert member is not None and member.user.username == "nav" and member.role == TeamRole.REFERRAL
    ca = case_access(_m("nav"), accepted.case)
    assert ca is not None and ca.relation == Relation.REFERRAL
    assert accepted.decided_at is not None and accepted.sent_at < accepted.decided_at == member.started_at


def test_a_referral_to_nav_waits_for_the_nav_coordinator(demo: str) -> None:
    waiting = Referral.objects.get(status=ReferralStatus.SENT)
    nav = _m("nav-koordinator")
    assert waiting.to_org_id == nav.organisation_id and waiting.case.phase != Phase.CLOSED
    assert waiting in referral_inbox(actor=nav, audit=False)
    assert Notification.objects.filter(
        user=nav.user, kind=NotificationKind.REFERRAL_RECEIVED, ref=waiting.public_id, read_at__isnull=True
    ).exists()
    assert case_access(nav, waiting.case) is None  # the case itself stays hidden until NAV accepts
    assert "1 referral waiting" in demo


def test_an_emergency_access_by_someone_outside_the_case_waits_for_the_dpos_review(demo: str) -> None:
    dpo = _m("personvern")
    pending = list(review_queue(actor=dpo, status=ReviewStatus.PENDING, audit=False))
    assert len(pending) == 1
    access = pending[0]
    assert access.expires_at < timezone.now() and not access.is_active()  # the window is over
    assert not TeamMember.objects.filter(case=access.case, user=access.user).exists()
    user = Membership.objects.select_related("user", "organisation").get(
        user=access.user, organisation=access.organisation
    )
    assert case_access(user, access.case) is None  # no relation any more
    assert access in case_emergency_accesses(actor=dpo, case_ids=[str(access.case.public_id)])
    assert Notification.objects.filter(
        user=dpo.user, kind=NotificationKind.EMERGENCY_ACCESS, ref=access.public_id, read_at__isnull=True
    ).exists()
    approved = EmergencyAccess.objects.get(review_status=ReviewStatus.APPROVED)
    assert approved.reviewed_by == dpo.user and approved.reviewed_at and approved.reviewed_at >= approved.expires_at
    assert "1 emergency access to review" in demo


def test_the_dpo_has_unusual_access_queued_for_review(demo: str) -> None:
    dpo = _m("personvern")
    queued = list(alert_queue(actor=dpo, status="pending", audit=False))
    assert queued and {a.rule for a in queued} <= {"emergency_access", "repeated_emergency"}
    alert = next(a for a in queued if a.rule == "emergency_access")
    access = EmergencyAccess.objects.get(public_id=alert.ref)
    assert alert.user_id == access.user_id and alert.case_public_id == str(access.case.public_id)
    assert alert.review_status == AlertStatus.PENDING
    assert f"{len(queued)} unusual-access alert" in demo
    assert AccessAlert.objects.filter(rule="emergency_access").count() == EmergencyAccess.objects.count()
    assert alerts_scan().created == 0  # the worker's next scan starts after the loading: nothing twice


def test_cases_have_final_assessments_a_reassessment_with_changes_and_a_draft(demo: str) -> None:
    finals = Assessment.objects.filter(status=AssessmentStatus.FINAL).select_related("case")
    assert finals.count() >= 4
    phases = {a.case.phase for a in finals}
    assert len({a.case_id for a in finals}) >= 3 and phases & {Phase.PLANNING, Phase.ACTIVE}
    for a in finals:
        items = list(a.items.all())
        assert items and all(i.rating and i.evidence.strip() for i in items), a.case.reference
        assert all(i.confidence for i in items if i.rating != "unknown"), a.case.reference
        assert a.summary_level and a.summary_judgement and a.formulation and a.management
        assert a.finalised_at is not None and (timezone.now() - a.finalised_at).days > 7  # dated in the story
        assert not AssessmentSkip.objects.filter(case=a.case).exists()  # planning rests on the assessment
    again = finals.get(previous__isnull=False)
    before = again.previous
    assert before is not None and before.case_id == again.case_id and before.is_final
    assert before.finalised_at is not None and again.finalised_at is not None
    assert before.finalised_at < again.created_at and again.changes_since_last
    changes = compare(
        again.instrument_version, list(again.items.all()), before.instrument_version, list(before.items.all())
    )
    assert sum(c.changed for c in changes) >= 5
    draft = Assessment.objects.get(status=AssessmentStatus.DRAFT)
    assert draft.case.phase == Phase.ASSESSMENT
    assert draft.items.exclude(rating="").exists() and draft.items.filter(rating="").exists()


def test_meetings_are_held_with_decisions_that_became_tasks_and_one_is_planned(demo: str) -> None:
    held = Meeting.objects.filter(status=MeetingStatus.HELD)
    assert held.count() >= 3 and held.filter(person_present=True).exists()
    decisions = MeetingDecision.objects.filter(meeting__in=held).select_related("task")
    assert decisions.count() >= 8 and all(d.task is not None for d in decisions)
    tasks = [d.task for d in decisions if d.task is not None]
    today = timezone.localdate()
    assert {t.status for t in tasks} >= {TaskStatus.DONE, TaskStatus.OPEN}
    assert any(t.status == TaskStatus.OPEN and t.due_on and t.due_on < today for t in tasks)  # one is overdue
    planned = Meeting.objects.get(status=MeetingStatus.DRAFT)
    assert planned.starts_at.date() > today and not planned.decisions.exists()


def test_the_demo_lead_gets_one_reminder_and_one_email_per_overdue_item_however_often_it_runs(demo: str) -> None:
    from django.core import mail

    from utvei.desk.reminders import reminders_run

    first = reminders_run()
    assert first.recorded >= 5 and first.emailed == first.recorded and first.email_failed == 0
    assert {m.to[0] for m in mail.outbox} >= {"koordinator@demo.utvei.example"}
    sent = len(mail.outbox)
    again = reminders_run()
    assert (again.recorded, again.emailed) == (0, 0) and again.already == first.recorded
    assert len(mail.outbox) == sent


def test_networks_change_over_a_year_in_several_cases_and_the_gate_holds(demo: str) -> None:
    """The network map: at least three cases whose network changed in the last year (ties ended, new ones, changed
    valence or closeness), two of them told over more than a year; a mentor sees only what is classified for
    mentors; the other municipality finds nothing."""
    import datetime as dt

    from utvei.network import selectors as network
    from utvei.network.models import Observation

    today = timezone.localdate()
    koordinator = _m("koordinator")
    changed, long_stories = [], []
    for case in Case.objects.filter(network_contacts__isnull=False).distinct():
        ca = case_access(koordinator, case)
        assert ca is not None
        comparison = network.load(ca).compare(today - dt.timedelta(days=365), today)
        kinds = {c.kind for c in comparison.changes if c.tie.contact is not None}
        if "ended" in kinds and kinds & {"valence", "closeness"}:
            changed.append(case.reference)
        dates = list(Observation.objects.filter(contact__case=case).values_list("observed_on", flat=True))
        if max(dates) - min(dates) >= dt.timedelta(days=365):
            long_stories.append(case.reference)
    assert len(changed) >= 3 and len(long_stories) >= 2, (changed, long_stories)
    henrik = Case.objects.get(person__protected_identity=True)
    mentor = case_access(_m("mentor"), henrik)
    assert mentor is not None
    seen = network.load(mentor)
    assert seen.open and seen.contacts and all(cv.contact.classification == "mentor" for cv in seen.contacts)
    assert case_access(_m("tindvik-koordinator"), henrik) is None


def test_eline_has_taken_up_her_own_page(demo: str) -> None:
    """Issue 14: the demo's invited participant, listed with the accounts, her page showing her goals."""
    account = ParticipantAccount.objects.current().select_related("user", "case__person").get()
    assert account.user is not None and account.user.username == "eline"
    assert account.case.person.full_name.startswith("Eline")
    assert account.user.check_password(DEFAULT_PASSWORD) and account.user.is_participant
    assert "eline" in demo and "participant" in demo


def test_a_colleague_who_left_handed_her_work_over_in_one_step(demo: str) -> None:
    """Issue 14: the organisation administrator handed Hanne Solberg's case and tasks to Jørgen Aune and deactivated
    her; Jørgen is told on his start page."""
    left, new = _m("sluttet"), _m("saksbehandler")
    assert not left.is_current
    assert not Case.objects.filter(lead=left.user).exists()
    assert not Task.objects.filter(assignee=left.user, status=TaskStatus.OPEN).exists()
    told = Notification.objects.filter(user=new.user, kind=NotificationKind.HANDOVER).values_list("case", flat=True)
    handed = Case.objects.get(pk__in=told)
    assert handed.lead_id == new.user_id and handed.team.filter(user=new.user, role=TeamRole.LEAD).exists()
    assert AuditEvent.objects.filter(action=Action.HANDOVER).exists()
    assert "sluttet" in demo and "deactivated" in demo


def test_the_protected_identity_was_set_with_a_reason_on_the_record(demo: str) -> None:
    change = ProtectionChange.objects.select_related("person").get()
    assert change.protected and change.person.protected_identity and change.reason


def test_a_case_is_restricted_on_request_and_another_is_under_a_legal_hold(demo: str) -> None:
    from utvei.access.retention import restricted_open_decision
    from utvei.cases.models import RestrictionCode, RetentionState
    from utvei.retention.models import LegalHold
    from utvei.retention.run import retention_plan

    restricted = Case.objects.get(retention_state=RetentionState.RESTRICTED)
    assert restricted.restriction_code == RestrictionCode.ART18 and restricted.restriction_reason
    assert restricted.person.full_name.startswith("Elias")
    dpo = _m("personvern")
    assert restricted_open_decision(dpo, restricted)  # the DPO may open it for a reason
    assert not visible_cases(_m("koordinator")).filter(pk=restricted.pk).exists()  # in no list
    hold = LegalHold.objects.active().get()
    assert hold.set_by_id == dpo.user_id and hold.case.person.full_name.startswith("Kasper")
    # Without the hold, the rules would archive and delete Kasper's unsubstantiated concern: the run leaves it.
    blocked = [p for p in retention_plan() if p.case_pk == hold.case_id]
    assert blocked and all(p.blocked == "hold" for p in blocked)


def test_the_dpo_has_an_answered_and_a_pending_subject_access_request(demo: str) -> None:
    dpo = _m("personvern")
    rows = list(subject_access_services.request_list(actor=dpo, audit=False))
    assert [r.status for r in rows] == [RequestStatus.PENDING, RequestStatus.ANSWERED]  # open first
    pending, answered = rows
    assert not pending.is_overdue() and pending.answered_at is None
    assert answered.answered_at is not None and answered.last_export_at is not None
    assert answered.answered_at.date() <= answered.due_on  # answered in time
    assert "1 subject-access request to answer" in demo


def test_the_subject_access_export_of_the_richest_demo_persons_is_complete(demo: str) -> None:
    """The acceptance's search on the demo: the persons with a participant account, a protected identity, an
    emergency access and a network."""
    persons = {a.case.person for a in ParticipantAccount.objects.select_related("case__person")}
    persons |= {c.person for c in Case.objects.filter(person__protected_identity=True).select_related("person")}
    persons |= {a.case.person for a in EmergencyAccess.objects.select_related("case__person")}
    assert len(persons) >= 3
    for person in persons:
        assert unaccounted(person, person_export(person=person)) == {}, person.reference
