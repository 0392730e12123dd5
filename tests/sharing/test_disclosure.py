"""Disclosures: the refusals the issue names (no justification, sender kind), basis rules, expiry, revocation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.translation import override

from utvei.audit.models import Action
from utvei.cases.models import TeamRole
from utvei.core.errors import Conflict, Forbidden, NotFound, UtveiError
from utvei.sharing.consent import services
from utvei.sharing.models import Disclosure, LegalBasis

from .helpers import assert_no_content, events_since, seq

DAY = dt.timedelta(days=1)


@pytest.fixture
def case(world, catalogue):
    case = world.open_case(consent=False)
    for name in ("siri", "per", "hanne", "nils"):
        world.add(case, name, consent=False)
    world.add(case, "mona", role=TeamRole.MENTOR, consent=False)
    return case


def record(world, case, by="kari", **kw):
    args = {
        "to_org_slug": "nav",
        "categories": ["plan"],
        "legal_basis_key": "fvl-13b-5",
        "justification": "Nødvendig for å samordne tiltak",
    }
    return services.disclosure_record(actor=world.m[by], case=case, **{**args, **kw})


@pytest.mark.parametrize("justification", ["", "   ", "\n\t"])
def test_a_basis_that_needs_a_justification_given_none_is_refused_clearly(world, case, justification):
    before = seq()
    for lang, text in (("en", "requires a justification"), ("nb", "krever en begrunnelse")):
        with override(lang), pytest.raises(UtveiError) as exc:
            record(world, case, justification=justification)
        assert exc.value.code == "justification_required"
        assert text in str(exc.value.message) and "forvaltningsloven" in str(exc.value.message)
    assert not Disclosure.objects.exists() and events_since(before) == []


def test_a_basis_without_that_requirement_needs_none(world, case):
    d = record(world, case, legal_basis_key="fvl-13a-2", justification="")
    assert d.justification == "" and d.expires_at is None  # anonymised: no maximum duration


@pytest.mark.parametrize(
    ("by", "key"),
    [
        ("mona", "fvl-13b-5"),  # (mentor: refused earlier, by role)
        ("per", "hpl-23-4"),  # police using the Health Personnel Act
        ("per", "fvl-13b-5"),  # police share under their own act
        ("hanne", "navl-7"),  # health using the NAV Act
        ("siri", "prl-kap-6"),  # a school using the Police Databases Act
    ],
)
def test_a_sender_kind_that_may_not_use_the_basis_is_refused(world, case, by, key):
    for lang, text in (("en", "cannot be used by"), ("nb", "kan ikke brukes av")):
        with override(lang), pytest.raises((UtveiError, Forbidden)) as exc:
            record(world, case, by=by, legal_basis_key=key, to_org_slug="kommune")
        if by != "mona":
            assert exc.value.code == "basis_not_allowed" and text in str(exc.value.message)
    assert not Disclosure.objects.exists()


def test_an_ngo_may_not_use_fvl_13b_5(world, catalogue):
    # An NGO caseworker on the team: give mona's organisation a caseworker membership for this test.
    from utvei.accounts.services import user_create

    m = user_create(username="nora", password="x" * 20, org_slug="ngo", role="caseworker", validate=False)
    case = world.open_case(consent=False)
    world.m["nora"] = m
    world.add(case, "nora", consent=False)
    with pytest.raises(UtveiError) as exc:
        services.disclosure_record(
            actor=m,
            case=case,
            to_org_slug="kommune",
            categories=["plan"],
            legal_basis_key="fvl-13b-5",
            justification="x",
        )
    assert exc.value.code == "basis_not_allowed"


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"legal_basis_key": "fvl-13a-1"}, "basis_is_consent"),
        ({"legal_basis_key": "fvl-13"}, "basis_not_usable"),
        ({"legal_basis_key": "no-such-basis"}, "unknown_basis"),
        ({"to_org_slug": "kommune"}, "same_organisation"),
        ({"to_org_slug": "no-such-org"}, "unknown_organisation"),
        ({"categories": []}, "required"),
        ({"categories": ["secrets"]}, "invalid_choice"),
        ({"expires_at": timezone.now() - DAY}, "in_the_past"),
        ({"expires_at": timezone.now() + 366 * DAY}, "expiry_too_late"),
        ({"justification": "x" * 5001}, "too_long"),
    ],
)
def test_other_refusals(world, case, kw, code):
    with pytest.raises(UtveiError) as exc:
        record(world, case, **kw)
    assert exc.value.code == code
    assert not Disclosure.objects.exists()


def test_an_inactive_basis_is_refused(world, case):
    LegalBasis.objects.filter(key="fvl-13b-5").update(active=False)
    with pytest.raises(UtveiError) as exc:
        record(world, case)
    assert exc.value.code == "basis_inactive"


def test_a_recorded_disclosure_keeps_the_basis_version_and_defaults_its_expiry(world, case):
    LegalBasis.objects.filter(key="fvl-13b-5").update(version=3)
    before = seq()
    d = record(world, case, justification="Hemmelig begrunnelse")
    assert d.basis_version == 3 and d.from_org == world.orgs["kommune"] and d.to_org == world.orgs["nav"]
    assert abs((d.expires_at - (d.decided_at + 365 * DAY)).total_seconds()) < 1
    assert Disclosure.objects.get(pk=d.pk).justification == "Hemmelig begrunnelse"
    events = events_since(before)
    assert [e.action for e in events] == [Action.DISCLOSURE_RECORD]
    assert events[0].case_id == str(case.public_id) and events[0].object_id == str(d.public_id)
    assert events[0].reason == "fvl-13b-5 v3"
    assert_no_content(events, "Hemmelig begrunnelse", "nav")
    d2 = record(world, case, expires_at=timezone.now() + 10 * DAY)
    assert d2.expires_at < timezone.now() + 11 * DAY


def test_who_may_record(world, case):
    record(world, case, by="siri", to_org_slug="nav")  # a school caseworker on the team, fvl
    with pytest.raises(Forbidden):
        record(world, case, by="mona")
    with pytest.raises(NotFound):
        record(world, case, by="atle")


def test_revocation_is_audited_once_and_refused_twice(world, case):
    d = record(world, case, by="siri")
    with pytest.raises(Forbidden):
        services.disclosure_revoke(actor=world.m["per"], disclosure=d)  # another organisation, not coordinator
    before = seq()
    services.disclosure_revoke(actor=world.m["siri"], disclosure=d)
    assert [e.action for e in events_since(before)] == [Action.DISCLOSURE_REVOKE]
    saved = Disclosure.objects.get(pk=d.pk)
    assert saved.revoked_by == world.m["siri"].user and not saved.is_active()
    with pytest.raises(Conflict):
        services.disclosure_revoke(actor=world.m["kari"], disclosure=saved)


def test_an_expired_disclosure_is_not_active_and_cannot_be_revoked(world, case):
    d = record(world, case)
    Disclosure.objects.filter(pk=d.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    d.refresh_from_db()
    assert not d.is_active()
    with pytest.raises(Conflict):
        services.disclosure_revoke(actor=world.m["kari"], disclosure=d)
