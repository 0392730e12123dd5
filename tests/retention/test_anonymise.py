"""Anonymisation that keeps the evidence (retention/anonymise.py, docs/anonymisation.md).

The placement test walks every model that reaches a case or a person by foreign keys: each must be placed (kept
with an allowlist, or dropped), so that a model added later fails here until someone decides what happens to it.
The demo's cases — the story's and the invented historical cohort's — are then anonymised, and every row left of
them is searched for anything but the allowlist; the figures an analyst sees are computed before and after.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from utvei.access.evaluation import analytics_cases
from utvei.accounts.models import Membership, Notification, NotificationKind, Organisation, Reminder, User
from utvei.audit.models import Action, AuditEvent
from utvei.cases.models import (
    Attachment,
    AttachmentBlob,
    Case,
    CaseHeaderVersion,
    Concern,
    ConcernHandoff,
    ConcernQuestion,
    Entry,
    IdentityReader,
    ParallelInquiry,
    ParticipantAccount,
    Phase,
    ProtectionChange,
    TeamMember,
)
from utvei.core import anonymity
from utvei.core.crypto import EncryptedTextField
from utvei.core.errors import UtveiError
from utvei.core.vocabulary import DataCategory
from utvei.evaluation import analytics
from utvei.evaluation.models import FollowUp, FollowUpStatus, Measurement, OutcomeEvent
from utvei.evaluation.releases import research_extract
from utvei.people.models import Person, PersonToken, PersonVersion
from utvei.retention.anonymise import (
    REFERENCE_PREFIX,
    CaseStillOpen,
    FollowUpsAhead,
    anonymise_blockers,
    case_anonymise,
    region_of,
)
from utvei.retention.models import (
    LegalHold,
    RectificationRequest,
    RestrictedRead,
    RestrictionChange,
    RetentionStep,
    SubjectAccessRequest,
)
from utvei.retention.rules import load_rules
from utvei.retention.run import retention_run
from utvei.sharing.models import Consent, Disclosure, LegalBasis, Purpose, Referral

pytestmark = pytest.mark.django_db


def _reaching() -> set[str]:
    ours = [m for m in apps.get_models() if m.__module__.startswith("utvei.")]
    return anonymity.models_reaching([Case, Person], ours)


# ---- Every model is placed -------------------------------------------------------------------------------------


def test_every_model_that_reaches_a_case_or_a_person_is_placed() -> None:
    """A model added later that holds data about a case or a person fails here until it has a policy."""
    placed = {p.label for p in anonymity.policies()}
    unplaced = sorted(_reaching() - placed)
    assert not unplaced, (
        f"Place these models in an anonymisation policy (core/anonymity.py; retention/anonymise.py or the app's "
        f"anonymity.py): {unplaced}"
    )


def test_every_text_field_of_a_kept_model_is_decided_with_a_reason() -> None:
    """Each text, JSON, binary or file field of a kept model is on the allowlist (with its reason) or named as
    blanked: a field added later fails here until someone decides."""
    undecided = {}
    for policy in anonymity.policies():
        if policy.action != "keep":
            continue
        names = {f.name for f in policy.text_fields()}
        missing = names - set(policy.kept) - set(policy.blank)
        if missing:
            undecided[policy.label] = sorted(missing)
        assert all(reason.strip() for reason in policy.kept.values()), policy.label
        assert policy.reason.strip(), policy.label
    assert not undecided, f"Decide these fields (kept with a reason, or blank): {undecided}"


def test_nothing_kept_is_encrypted() -> None:
    """Everything encrypted is words or identity, and goes: so destroying the person's own key after anonymisation
    (crypto-shredding) loses nothing the evidence needs."""
    kept_encrypted = [
        f"{p.label}.{name}"
        for p in anonymity.policies()
        for name in p.kept
        if isinstance(p.model._meta.get_field(name), EncryptedTextField)
    ]
    assert not kept_encrypted


# ---- Helpers ----------------------------------------------------------------------------------------------------


def _rows(policy: anonymity.Policy, case_ids: list[int], person_ids: list[int]) -> models.QuerySet[Any]:
    ids = person_ids if policy.scope == "person" else case_ids
    return policy.model._default_manager.filter(**{f"{policy.path}__in": ids})


def _snapshot(case_ids: list[int], person_ids: list[int]) -> dict[str, list[int]]:
    """Model label -> the pks of its rows about these cases and persons."""
    return {p.label: sorted(_rows(p, case_ids, person_ids).values_list("pk", flat=True)) for p in anonymity.policies()}


def _texts(row: models.Model) -> dict[str, Any]:
    return {f.name: getattr(row, f.name) for f in row._meta.concrete_fields if anonymity.is_text(f)}


def _richest_open_case() -> Case:
    """The story's open case with the most on it, closed here by hand so that it can be anonymised."""
    case = (
        Case.objects.exclude(phase=Phase.CLOSED)
        .annotate(n=models.Count("entries", distinct=True) + models.Count("network_contacts", distinct=True))
        .order_by("-n", "pk")
        .first()
    )
    assert case is not None
    Case.objects.filter(pk=case.pk).update(
        phase=Phase.CLOSED, closed_at=timezone.now() - dt.timedelta(days=3), closure_reason="goals_met"
    )
    case.refresh_from_db()
    return case


def _fill_what_the_demo_lacks(case: Case) -> None:
    """Rows of every kind the demo may not have put on this case, so that the check below sees each model."""
    lead = case.lead
    entry = Entry.objects.filter(case=case).first()
    assert entry is not None and lead is not None
    member = TeamMember.objects.filter(case=case).first()
    assert member is not None
    if not Attachment.objects.filter(case=case).exists():
        attachment = Attachment.objects.create(
            case=case,
            entry=entry,
            filename=f"{case.person.full_name} - brev.pdf",
            content_type="application/pdf",
            size=4,
            sha256="0" * 64,
            classification=entry.classification,
            author=entry.author,
            author_org=entry.author_org,
        )
        AttachmentBlob.objects.create(attachment=attachment, data=b"%PDF")
    if not ProtectionChange.objects.filter(case=case).exists():
        ProtectionChange.objects.create(
            case=case,
            person=case.person,
            protected=True,
            reason="Truet av tidligere miljø",
            changed_by=lead,
            changed_by_org=case.owning_org,
        )
    if not IdentityReader.objects.filter(case=case).exists():
        IdentityReader.objects.create(case=case, member=member, named_by=lead)
    if not ParticipantAccount.objects.filter(case=case, user__isnull=False).exists():
        user = User.objects.create(
            username=f"deltaker-{case.pk}", first_name="Navn", email="deltaker@example.org", is_participant=True
        )
        ParticipantAccount.objects.create(
            case=case,
            user=user,
            given_as="person",
            token_expires_at=timezone.now(),
            invited_by=lead,
            invited_by_org=case.owning_org,
            accepted_at=timezone.now(),
        )
    if not Reminder.objects.filter(case=case).exists():
        note = Notification.objects.create(
            user=lead, organisation=case.owning_org, kind=NotificationKind.TASK_OVERDUE, case=case
        )
        Reminder.objects.create(
            kind=NotificationKind.TASK_OVERDUE,
            ref=case.public_id,
            due_on=timezone.localdate(),
            user=lead,
            organisation=case.owning_org,
            case=case,
            notification=note,
        )
    if not CaseHeaderVersion.objects.filter(case=case).exists():
        CaseHeaderVersion.objects.create(
            case=case,
            number=1,
            changed=["safety_plan"],
            earlier='{"safety_plan": "Bo hos tante"}',
            author=lead,
            author_org=case.owning_org,
        )
    if not PersonVersion.objects.filter(person=case.person).exists():
        PersonVersion.objects.create(
            person=case.person,
            number=1,
            changed=["full_name"],
            earlier='{"full_name": "Gammelt Navn"}',
            author=lead,
            author_org=case.owning_org,
        )
    other = Organisation.objects.exclude(pk=case.owning_org_id).order_by("pk").first()
    assert other is not None
    concern = Concern.objects.filter(case=case).first() or Concern.objects.create(
        reference=f"BEK-ANON-{case.pk}",
        reporter=lead,
        reporter_org=case.owning_org,
        receiving_org=case.owning_org,
        description=f"Bekymring for {case.person.full_name}",
        subject_name=case.person.full_name,
        status="triaged",
        outcome="open_case",
        triaged_at=timezone.now(),
        case=case,
    )
    if not ConcernQuestion.objects.filter(concern=concern).exists():
        ConcernQuestion.objects.create(
            concern=concern, asked_by=lead, asked_by_org=case.owning_org, question="Hvem er vennene?", answer="Ola"
        )
    if not ConcernHandoff.objects.filter(concern=concern).exists():
        ConcernHandoff.objects.create(
            concern=concern,
            to_kind="police",
            to_name="Lensmann Hansen",
            basis_key="fvl-13b-7",
            handed_at=timezone.now(),
            handed_by=lead,
            handed_by_org=case.owning_org,
        )
    if not ParallelInquiry.objects.filter(case=case).exists():
        ParallelInquiry.objects.create(case=case, asking_org=other, asked_by=lead)
    basis = LegalBasis.objects.order_by("pk").first()
    assert basis is not None
    if not Disclosure.objects.filter(case=case).exists():
        Disclosure.objects.create(
            case=case,
            from_org=case.owning_org,
            to_org=other,
            categories=["plan"],
            legal_basis=basis,
            basis_version=basis.version,
            justification=f"{case.person.full_name} trenger bolig",
            decided_by=lead,
        )
    if not Referral.objects.filter(case=case).exists():
        Referral.objects.create(
            case=case,
            from_org=case.owning_org,
            to_org=other,
            categories=["plan"],
            basis="consent",
            message="Han bor hos moren sin i Fjordvik",
            sent_by=lead,
        )


def _fill_retention_records(case: Case) -> None:
    """Retention's own records about the case and the person (a lifted hold, an art. 18 restriction lifted, an
    opening, a step taken, a rectification and a subject-access request)."""
    lead = case.lead
    assert lead is not None
    org = case.owning_org
    now = timezone.now()
    LegalHold.objects.create(
        case=case, reason="Erstatningssak", set_by=lead, set_by_org=org, lifted_by=lead, lifted_at=now
    )
    RestrictionChange.objects.create(case=case, restricted=True, code="art18", reason="Personen ba om det")
    RestrictedRead.objects.create(
        case=case, user=lead, organisation=org, reason_code="subject_request", reason="Innsyn", expires_at=now
    )
    RetentionStep.objects.create(
        case=case, step="restrict", rule_id="test", rules_version=1, due_on=timezone.localdate(), archive_file="x"
    )
    RectificationRequest.objects.create(
        case=case, received_on=timezone.localdate(), claim="Feil fødselsdato", registered_by=lead, registered_by_org=org
    )
    SubjectAccessRequest.objects.create(
        person=case.person,
        organisation=org,
        registered_by=lead,
        received_via="letter",
        received_on=timezone.localdate(),
        due_on=timezone.localdate(),
        refusal_reason="Ingen",
    )


# ---- Nothing but the allowlist is left -------------------------------------------------------------------------


def test_after_anonymisation_nothing_but_the_allowlist_is_left(demo: str) -> None:
    rich = _richest_open_case()
    _fill_what_the_demo_lacks(rich)
    _fill_retention_records(rich)
    # Follow-ups still to come would hold some cases back (test below): here every closed case goes.
    FollowUp.objects.filter(status=FollowUpStatus.PENDING, due_on__gte=timezone.localdate()).update(
        status=FollowUpStatus.MISSED, missed_reason="no_contact"
    )
    cases = [rich, *Case.objects.filter(phase=Phase.CLOSED).exclude(pk=rich.pk)]
    # A person whose every case is anonymised loses their identity; collect those to check.
    case_ids = [c.pk for c in cases]
    person_ids = sorted(
        pk
        for pk in {c.person_id for c in cases}
        if not Case.objects.filter(person_id=pk).exclude(pk__in=case_ids).exists()
    )
    assert rich.person_id in person_ids
    before = _snapshot(case_ids, person_ids)
    unseen = sorted(label for label, pks in before.items() if not pks)
    assert not unseen, f"the check would not see these models: give the test rows of them: {unseen}"
    canaries = {
        value for p in Person.objects.filter(pk__in=person_ids) for value in (p.full_name, p.national_id) if value
    } | {e.body for e in Entry.objects.filter(case=rich)}
    # The invented cohort's names repeat: a namesake who is not anonymised keeps theirs.
    canaries -= {p.full_name for p in Person.objects.exclude(pk__in=person_ids)}
    users = list(ParticipantAccount.objects.filter(case__in=case_ids).values_list("user_id", flat=True))
    opened = {c.pk: timezone.localdate(c.opened_at) for c in cases}

    for case in cases:
        report = case_anonymise(case)
        assert not report.already

    for policy in anonymity.policies():
        pks = before[policy.label]
        left = policy.model._default_manager.filter(pk__in=pks)
        if policy.action == "drop":
            assert not left.exists(), f"{policy.label}: rows left"
            continue
        assert left.count() == len(pks), f"{policy.label}: kept rows went missing"
        for row in left:
            for name, value in _texts(row).items():
                if name in policy.kept:
                    continue
                assert value in ("", None, [], {}, b""), f"{policy.label}.{name} still holds something"

    for person in Person.objects.filter(pk__in=person_ids):
        assert person.reference.startswith(REFERENCE_PREFIX)
        assert (person.full_name, person.national_id, person.birth_date, person.guardian_name) == ("", "", "", "")
        assert person.national_id_index is None and person.municipality == "" and person.gender == "unknown"
        assert person.region == region_of("Fjordvik") == "Fjordkyst"
    assert not PersonToken.objects.filter(person_id__in=person_ids).exists()
    for case in Case.objects.filter(pk__in=case_ids):
        assert case.reference.startswith(REFERENCE_PREFIX) and case.anonymised_at is not None
        assert timezone.localdate(case.opened_at) == opened[case.pk].replace(day=1)
        assert case.closure_summary == "" and case.safety_plan == ""
    for user in User.objects.filter(pk__in=users):
        assert (user.first_name, user.last_name, user.email, user.is_active) == ("", "", "", False)
        assert user.username.startswith("anon-") and not user.has_usable_password()

    # Nothing that named them is anywhere else in the database either (every text field of every model, decrypted).
    found = []
    for model in apps.get_models():
        fields = [f.name for f in model._meta.concrete_fields if anonymity.is_text(f) and not f.is_relation]
        if not fields or not model.__module__.startswith("utvei."):
            continue
        for row in model._default_manager.values_list(*fields):
            for value in row:
                text = str(value) if value not in (None, "") else ""
                found += [(model._meta.label, c[:20]) for c in canaries if text and c in text]
    assert not found

    # One audit event per case, by the system, naming the case by its public id and counting, never quoting.
    events = AuditEvent.objects.filter(action=Action.CASE_ANONYMISE)
    assert events.count() == len(cases)
    assert set(events.values_list("case_id", flat=True)) == {str(c.public_id) for c in cases}
    assert all(e.actor_id is None and e.reason.startswith("deleted=") for e in events)


# ---- The evidence is counted as before --------------------------------------------------------------------------


def _figures(today: dt.date) -> list[Any]:
    analyst = Membership.objects.get(user__username="analytiker")
    everyone = Case.objects.all()
    scopes = [everyone, analytics_cases(analyst)]
    scopes += [analytics.cohort_cases(everyone, analytics.Cohort(track=t)) for t in analytics.TRACK_KEYS]
    scopes += [analytics.cohort_cases(everyone, analytics.Cohort(age_band=b)) for b in ("15-17", "18-24", "25-34")]
    return [analytics.all_figures(s, today=today) for s in scopes]


def test_the_evaluation_figures_are_the_same_before_and_after(demo: str) -> None:
    today = timezone.localdate()
    closed = [c for c in Case.objects.filter(phase=Phase.CLOSED) if not anonymise_blockers(c)]
    assert len(closed) >= 100  # the historical cohort: figures with something in them
    before = _figures(today)
    assert before[0].overview.total and before[0].survival[0].n  # nothing hidden at the top: a real comparison
    measured = Measurement.objects.filter(case__in=closed).count()
    events = OutcomeEvent.objects.filter(case__in=closed).count()

    for case in closed:
        case_anonymise(case)

    assert Case.objects.filter(anonymised_at__isnull=False).count() == len(closed)
    assert Measurement.objects.filter(case__in=closed).count() == measured
    assert OutcomeEvent.objects.filter(case__in=closed).count() == events
    after = _figures(today)
    for one, other in zip(before, after, strict=True):
        for f in dataclasses.fields(one):
            assert getattr(one, f.name) == getattr(other, f.name), f.name
    assert before == after


# ---- Once, whole, and only when closed --------------------------------------------------------------------------


def _state(case: Case) -> tuple[Any, ...]:
    snap = _snapshot([case.pk], [case.person_id])
    rows = {
        p.label: [
            tuple(getattr(r, f.attname) for f in p.model._meta.concrete_fields)
            for r in p.model._default_manager.filter(pk__in=snap[p.label]).order_by("pk")
        ]
        for p in anonymity.policies()
    }
    return (rows, AuditEvent.objects.count())


def test_a_second_call_changes_nothing(demo: str) -> None:
    case = Case.objects.filter(phase=Phase.CLOSED).order_by("pk").first()
    assert case is not None
    first = case_anonymise(case)
    state = _state(case)
    again = case_anonymise(case)
    assert again.already and not again.deleted and not again.kept
    assert again.anonymised_at == first.anonymised_at
    assert _state(case) == state


def test_an_open_case_is_refused_and_left_as_it_was(demo: str) -> None:
    case = Case.objects.exclude(phase=Phase.CLOSED).order_by("pk").first()
    assert case is not None
    state = _state(case)
    with pytest.raises(CaseStillOpen) as refused:
        case_anonymise(case)
    assert isinstance(refused.value, UtveiError) and refused.value.status == 409
    assert _state(case) == state


def test_a_failure_halfway_leaves_the_case_whole(demo: str, monkeypatch: Any) -> None:
    case = Case.objects.filter(phase=Phase.CLOSED).order_by("pk").first()
    assert case is not None
    state = _state(case)

    def broken(**kw: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("utvei.retention.anonymise.audit_record", broken)
    with pytest.raises(RuntimeError):
        case_anonymise(case)
    case.refresh_from_db()
    assert case.anonymised_at is None
    assert _state(case) == state


def test_a_person_with_another_case_keeps_their_identity_until_the_last_is_anonymised(demo: str) -> None:
    reopened = Case.objects.filter(previous_case__isnull=False).select_related("previous_case", "person").first()
    assert reopened is not None and reopened.previous_case is not None
    earlier = reopened.previous_case
    FollowUp.objects.filter(case=earlier, status=FollowUpStatus.PENDING).update(status=FollowUpStatus.MISSED)
    name = reopened.person.full_name
    report = case_anonymise(earlier)
    assert not report.person_anonymised
    person = Person.objects.get(pk=reopened.person_id)
    assert person.full_name == name and not person.reference.startswith(REFERENCE_PREFIX)
    assert PersonToken.objects.filter(person=person).exists()
    # The open case is untouched.
    reopened.refresh_from_db()
    assert reopened.anonymised_at is None and not reopened.reference.startswith(REFERENCE_PREFIX)
    assert Entry.objects.filter(case=reopened).exists()


def test_a_case_with_a_follow_up_still_to_come_waits(demo: str) -> None:
    """Once the identity is gone nobody can hold the follow-up: the case waits until the follow-ups are due."""
    ahead = FollowUp.objects.filter(
        case__phase=Phase.CLOSED, status=FollowUpStatus.PENDING, due_on__gte=timezone.localdate()
    ).first()
    assert ahead is not None
    case = ahead.case
    assert anonymise_blockers(case) == ["follow_ups_ahead"]
    state = _state(case)
    with pytest.raises(FollowUpsAhead):
        case_anonymise(case)
    assert _state(case) == state
    # Once it is due (here: held), it can go.
    FollowUp.objects.filter(case=case, due_on__gte=timezone.localdate()).update(status=FollowUpStatus.MISSED)
    assert anonymise_blockers(case) == []
    assert not case_anonymise(case).already


def test_a_research_extract_still_holds_the_anonymised_persons(demo: str) -> None:
    """The pseudonymised extract reads age band, region, quarter and track, the consent's purposes and categories,
    the measures received and the indicator values: all kept. The region is the county instead of the
    municipality; every other column is the same."""
    analyst = Membership.objects.select_related("user", "organisation").get(user__username="analytiker")
    closed = [c for c in analytics_cases(analyst).filter(phase=Phase.CLOSED) if not anonymise_blockers(c)]
    for case in closed:
        Consent.objects.create(
            case=case,
            given_by="person",
            categories=list(DataCategory.values),
            purposes=[Purpose.EVALUATION_RESEARCH],
            evidence="signed_form",
            evidence_note=f"Signert av {case.person.full_name}",
            valid_from=case.opened_at,
            recorded_by=case.lead,
            recorded_by_org=case.owning_org,
        )

    def rows() -> list[tuple[Any, ...]]:
        result = research_extract(actor=analyst)
        return sorted(
            tuple(sorted((k, str(v)) for k, v in row.items() if k not in ("pseudonym", "region")))
            for row in result.rows
        )

    before = rows()
    assert len(before) >= 100
    for case in closed:
        case_anonymise(case)
    assert rows() == before
    regions = {row["region"] for row in research_extract(actor=analyst).rows}
    assert regions <= {"Fjordkyst", "unknown", "*"}


def _case_pages(prefix: str = "") -> list[str]:
    """Every web route whose only argument is the case's id (the case page and all its tabs and forms)."""
    return [r for r in _case_pages_of(get_resolver(), prefix) if not r.startswith(("api/", "accounts/", "i18n"))]


def _case_pages_of(resolver: URLResolver, prefix: str) -> list[str]:
    found: list[str] = []
    for entry in resolver.url_patterns:
        here = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _case_pages_of(entry, here)
        elif re.fullmatch(r"[^<>]*<uuid:case_id>[^<>]*", here):
            found.append(here)
    return found


def test_an_anonymised_case_breaks_no_page(demo: str, client: Any) -> None:
    """Its lead opens every page of the case and the case list: some answers, never a server error, and no trace of
    who the person was (what the lead may still see of an anonymised case is the retention states' business)."""
    case = _richest_open_case()
    _fill_what_the_demo_lacks(case)
    name = case.person.full_name
    FollowUp.objects.filter(case=case).delete()
    case_anonymise(case)
    assert case.lead is not None
    client.force_login(case.lead)
    routes = _case_pages()
    assert len(routes) > 20
    for route in [*routes, "cases/", ""]:
        url = "/" + route.replace("<uuid:case_id>", str(case.public_id)).lstrip("^").rstrip("$")
        response = client.get(url)
        assert response.status_code < 500, url
        assert name not in response.content.decode(errors="replace"), url


# ---- The acceptance through the run: restricted, then anonymised, the figures as before -------------------------


def test_the_retention_run_restricts_then_anonymises_and_the_figures_stay_the_same(
    demo: str, django_capture_on_commit_callbacks: Any
) -> None:
    """Issue 15's acceptance, end to end: with rules that end every closed case in anonymisation, a first run
    restricts the closed cases, a later one anonymises them; the legal hold's case and the one restricted on the
    person's request are left as they were; the
    evaluation figures are the same as before either run."""
    today = timezone.localdate()
    FollowUp.objects.filter(status=FollowUpStatus.PENDING, due_on__gte=today).update(
        status=FollowUpStatus.MISSED, missed_reason="no_contact"
    )
    held = set(LegalHold.objects.active().values_list("case_id", flat=True))
    held |= set(Case.objects.filter(restriction_code="art18").values_list("pk", flat=True))
    assert len(held) == 2  # the demo's legal hold (Kasper) and restriction on request (Elias)
    closed = list(Case.objects.filter(phase=Phase.CLOSED).exclude(pk__in=held))
    assert len(closed) >= 100
    before = _figures(today)
    assert before[0].overview.total and before[0].survival[0].n
    # Restricted at once; anonymised once the period after the earliest closure has passed the latest one.
    first, last = min(c.closed_at for c in closed), max(c.closed_at for c in closed)
    months = (last - first).days // 28 + 2
    rules = load_rules()
    every_one_anonymised = dataclasses.replace(
        rules,
        rules=tuple(
            dataclasses.replace(r, restrict_after_months=0, end_after_months=months, end="anonymise", archive_then="")
            for r in rules.rules
        ),
    )

    # The day after the last closure: every closed case is restricted, nothing is anonymised yet.
    first_run = retention_run(now=last + dt.timedelta(days=1), rules=every_one_anonymised)
    assert first_run.done["restrict"] == len(closed)
    assert not first_run.done.get("anonymise")
    assert _figures(today) == before  # restricted cases still count

    # Far later: each is anonymised, the held one is not.
    with django_capture_on_commit_callbacks(execute=True):
        second_run = retention_run(now=last + dt.timedelta(days=31 * months + 1), rules=every_one_anonymised)
    assert second_run.done["anonymise"] == len(closed)
    assert Case.objects.filter(pk__in=[c.pk for c in closed], retention_state="anonymised").count() == len(closed)
    assert not Case.objects.filter(pk__in=held, anonymised_at__isnull=False).exists()  # the hold, art. 18
    assert _figures(today) == before
