"""Consent: who may record it, the guardian rule, validation, withdrawal at once, `covers` and `active_bases`."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import override

from utvei.audit.models import Action
from utvei.cases.models import TeamRole
from utvei.core.errors import Conflict, Forbidden, NotFound, UtveiError
from utvei.people.models import AgeBand
from utvei.sharing.consent import selectors, services
from utvei.sharing.models import Consent

from .helpers import assert_no_content, consent_kw, events_since, seq, set_age


@pytest.fixture
def case(world):
    case = world.open_case(consent=False)
    world.add(case, "siri", consent=False)
    world.add(case, "per", consent=False)
    world.add(case, "mona", role=TeamRole.MENTOR, consent=False)
    return case


def test_a_coordinator_records_consent_audited_once_without_content(world, case):
    before = seq()
    consent = services.consent_record(
        actor=world.m["kari"], case=case, guardian_name="", **consent_kw(evidence_note="Hemmelig notat")
    )
    events = events_since(before)
    assert [e.action for e in events] == [Action.CONSENT_RECORD]
    e = events[0]
    assert e.actor_id == world.m["kari"].user.pk and e.actor_org_id == world.orgs["kommune"].pk
    assert e.case_id == str(case.public_id) and e.object_id == str(consent.public_id)
    assert_no_content(events, "Hemmelig notat", "skole", "plan")
    assert consent.recorded_by_org == world.orgs["kommune"] and consent.text_version == "samtykke-v1"
    assert consent.is_active()


def test_a_team_caseworker_may_record_but_not_a_mentor_nor_an_outsider(world, case):
    services.consent_record(actor=world.m["siri"], case=case, **consent_kw())
    with pytest.raises(Forbidden):
        services.consent_record(actor=world.m["mona"], case=case, **consent_kw())
    with pytest.raises(NotFound):
        services.consent_record(actor=world.m["atle"], case=case, **consent_kw())
    with pytest.raises(NotFound):
        services.consent_record(actor=world.m["hanne"], case=case, **consent_kw())  # not on the team
    assert Consent.objects.filter(case=case).count() == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"scope_org_slugs": [], "scope_kinds": []}, "empty_scope"),
        ({"scope_org_slugs": ["no-such-org"]}, "unknown_organisation"),
        ({"scope_kinds": ["spaceship"]}, "invalid_choice"),
        ({"categories": ["dreams"]}, "invalid_choice"),
        ({"categories": []}, "required"),
        ({"purposes": ["marketing"]}, "invalid_choice"),
        ({"purposes": []}, "required"),
        ({"evidence": "rumour"}, "invalid_choice"),
        ({"given_by": "neighbour"}, "invalid_choice"),
        ({"valid_until": timezone.now() - dt.timedelta(days=1)}, "in_the_past"),
        ({"given_by": "guardian", "guardian_name": ""}, "guardian_required"),
        ({"text_version": "x" * 41}, "too_long"),
    ],
)
def test_validation_refuses_with_a_clear_message(world, case, change, code):
    with pytest.raises(UtveiError) as exc:
        services.consent_record(actor=world.m["kari"], case=case, **consent_kw(**change))
    assert exc.value.code == code and str(exc.value.message)
    assert not Consent.objects.exists()


def test_the_empty_scope_message_in_both_languages(world, case):
    for lang, text in (("en", "at least one organisation"), ("nb", "minst én organisasjon")):
        with override(lang):
            with pytest.raises(UtveiError) as exc:
                services.consent_record(actor=world.m["kari"], case=case, **consent_kw(scope_org_slugs=[]))
            assert text in str(exc.value.message)


def test_under_15_needs_a_guardian(world, case):
    set_age(case, AgeBand.UNDER_15)
    for lang, text in (("en", "guardian"), ("nb", "verge")):
        with override(lang), pytest.raises(UtveiError) as exc:
            services.consent_record(actor=world.m["kari"], case=case, **consent_kw())
        assert exc.value.code == "guardian_required" and text in str(exc.value.message)
    c = services.consent_record(
        actor=world.m["kari"], case=case, **consent_kw(given_by="guardian", guardian_name="Mor Testesen")
    )
    assert Consent.objects.get(pk=c.pk).guardian_name == "Mor Testesen"


def test_15_to_17_may_consent_themselves_unless_the_setting_says_otherwise(world, case, settings):
    set_age(case, AgeBand.AGE_15_17)
    services.consent_record(actor=world.m["kari"], case=case, **consent_kw())
    settings.UTVEI_CONSENT_OWN_AGE = 18
    with pytest.raises(UtveiError, match="18"):
        services.consent_record(actor=world.m["kari"], case=case, **consent_kw())


def test_a_guardian_does_not_consent_for_an_adult(world, case):
    set_age(case, AgeBand.AGE_25_34)
    with pytest.raises(UtveiError) as exc:
        services.consent_record(
            actor=world.m["kari"], case=case, **consent_kw(given_by="guardian", guardian_name="Noen")
        )
    assert exc.value.code == "guardian_not_allowed"


def test_withdrawal_takes_effect_at_once_is_audited_and_refused_twice(world, case):
    consent = services.consent_record(actor=world.m["kari"], case=case, **consent_kw())
    skole = world.orgs["skole"]
    assert selectors.active_bases(case, skole, "plan", "coordination").consents == (consent.public_id,)
    before = seq()
    services.consent_withdraw(actor=world.m["siri"], consent=consent, note="Trakk tilbake muntlig")
    events = events_since(before)
    assert [e.action for e in events] == [Action.CONSENT_WITHDRAW]
    assert_no_content(events, "Trakk tilbake muntlig")
    assert not selectors.active_bases(case, skole, "plan", "coordination")
    saved = Consent.objects.get(pk=consent.pk)
    assert saved.withdrawn_by == world.m["siri"].user and saved.withdrawal_note == "Trakk tilbake muntlig"
    with pytest.raises(Conflict):
        services.consent_withdraw(actor=world.m["kari"], consent=saved)
    assert len(events_since(before)) == 1
    with pytest.raises(Forbidden):
        services.consent_withdraw(actor=world.m["mona"], consent=consent)


def test_expiry(world, case):
    consent = services.consent_record(
        actor=world.m["kari"], case=case, **consent_kw(valid_until=timezone.now() + dt.timedelta(days=10))
    )
    skole = world.orgs["skole"]
    assert consent.covers(skole, "plan", "coordination", timezone.now() + dt.timedelta(days=9))
    assert not consent.covers(skole, "plan", "coordination", timezone.now() + dt.timedelta(days=10, seconds=1))
    assert not consent.covers(skole, "plan", "coordination", consent.valid_from - dt.timedelta(seconds=1))


def test_covers_is_query_free_with_the_scope_prefetched(world, case):
    services.consent_record(actor=world.m["kari"], case=case, **consent_kw(scope_kinds=["police"]))
    consents = list(selectors.consents_of(case))
    with CaptureQueriesContext(connection) as ctx:
        for org in world.orgs.values():
            for c in consents:
                c.covers(org, "plan", "coordination")
    assert len(ctx.captured_queries) == 0


def test_the_lists_make_a_constant_number_of_queries(world, case):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            _ca, qs = selectors.case_consents(actor=world.m["kari"], case_id=case.public_id)
            rows = list(qs)
            [c.covers(world.orgs["skole"], "plan", "coordination") for c in rows]
        return len(ctx.captured_queries)

    services.consent_record(actor=world.m["kari"], case=case, **consent_kw())
    one = count()
    for _ in range(4):
        services.consent_record(actor=world.m["kari"], case=case, **consent_kw(scope_org_slugs=["skole", "politi"]))
    assert count() == one


def test_reading_consents_is_audited_once_and_hidden_from_outsiders_and_mentors(world, case):
    before = seq()
    _ca, qs = selectors.case_consents(actor=world.m["per"], case_id=case.public_id)
    list(qs)
    assert [e.action for e in events_since(before)] == [Action.CONSENT_VIEW]
    with pytest.raises(NotFound):
        selectors.case_consents(actor=world.m["atle"], case_id=case.public_id)
    with pytest.raises(Forbidden):
        selectors.case_consents(actor=world.m["mona"], case_id=case.public_id)
