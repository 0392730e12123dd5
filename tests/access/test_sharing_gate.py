"""The sharing gate (DESIGN §1 principle 2): content crosses organisations only under a consent or disclosure.

Each test looks at the policy, the case page and the API, and at the request right after a change.
"""

from __future__ import annotations

import pytest

from utvei.access import policy
from utvei.audit.models import Action, AuditEvent
from utvei.cases import selectors, services
from utvei.cases.models import EntryKind
from utvei.core.errors import UtveiError
from utvei.core.vocabulary import Classification, DataCategory
from utvei.sharing.consent import services as sharing
from utvei.sharing.models import Disclosure, LegalBasis, ReferralBasis
from utvei.sharing.referrals import services as referrals

API = "/api/v1"


@pytest.fixture
def gate(world):
    """A case where the school (siri) is on the team with no consent, and kari has written two entries."""
    case = world.open_case(name="Gate Person")
    world.add(case, "siri", consent=False)
    world.add(case, "per")  # police: consented

    def write(by, category, body):
        return services.entry_create(
            actor=world.m[by],
            case=case,
            kind=EntryKind.NOTE,
            classification=Classification.TEAM,
            category=category,
            body=body,
        )

    entries = {
        "plan": write("kari", DataCategory.PLAN, "PLAN-SECRET"),
        "family": write("kari", DataCategory.FAMILY, "FAMILY-SECRET"),
        "police_plan": write("per", DataCategory.PLAN, "POLICE-PLAN-SECRET"),
        "own": write("siri", DataCategory.PLAN, "SIRIS-OWN-NOTE"),
    }
    return case, entries


def readable(world, username, case):
    ca = selectors.case_get(actor=world.m[username], case_id=case.public_id, audit=False)
    return {i.entry.body for i in selectors.timeline(ca) if i.readable}


def seen(world, client_for, username, case):
    """What the case page and the API timeline show the user, as the set of secrets present."""
    html = client_for(username).get(f"/cases/{case.public_id}/").content.decode()
    raw = world.api(username).get(f"{API}/cases/{case.public_id}/entries/").content.decode()
    secrets = {"PLAN-SECRET", "FAMILY-SECRET", "POLICE-PLAN-SECRET", "SIRIS-OWN-NOTE"}
    in_html = {s for s in secrets if s in html}
    in_api = {s for s in secrets if s in raw}
    assert in_html == in_api
    return in_html


def test_without_a_basis_a_team_member_sees_markers_only_but_keeps_their_own(world, client_for, gate):
    case, entries = gate
    assert readable(world, "siri", case) == {"SIRIS-OWN-NOTE"}
    assert seen(world, client_for, "siri", case) == {"SIRIS-OWN-NOTE"}
    html = client_for("siri").get(f"/cases/{case.public_id}/").content.decode()
    assert html.count('class="entry entry-restricted"') == 3
    assert html.count('class="team-restricted"') == 1  # the police on the team: their membership is kept too


def test_a_consent_opens_exactly_its_categories(world, client_for, gate):
    case, _ = gate
    world.consent(case, "skole", categories=[DataCategory.PLAN])
    assert seen(world, client_for, "siri", case) == {"PLAN-SECRET", "POLICE-PLAN-SECRET", "SIRIS-OWN-NOTE"}


def test_a_consent_by_organisation_kind_counts(world, gate):
    case, _ = gate
    sharing.consent_record(
        actor=world.m["kari"],
        case=case,
        given_by="person",
        scope_kinds=["school"],
        categories=[DataCategory.FAMILY],
        purposes=["coordination"],
        evidence="oral",
    )
    assert readable(world, "siri", case) == {"FAMILY-SECRET", "SIRIS-OWN-NOTE"}


def test_a_consent_for_research_only_opens_nothing_to_the_team(world, gate):
    case, _ = gate
    sharing.consent_record(
        actor=world.m["kari"],
        case=case,
        given_by="person",
        scope_org_slugs=["skole"],
        categories=DataCategory.values,
        purposes=["evaluation_research"],
        evidence="digital",
    )
    assert readable(world, "siri", case) == {"SIRIS-OWN-NOTE"}


def test_withdrawal_works_on_the_very_next_request_and_is_audited(world, client_for, gate):
    case, _ = gate
    consent = world.consent(case, "skole")
    assert seen(world, client_for, "siri", case) == {
        "PLAN-SECRET",
        "FAMILY-SECRET",
        "POLICE-PLAN-SECRET",
        "SIRIS-OWN-NOTE",
    }
    sharing.consent_withdraw(actor=world.m["kari"], consent=consent, note="Trakk samtykket muntlig")
    assert seen(world, client_for, "siri", case) == {"SIRIS-OWN-NOTE"}
    assert AuditEvent.objects.filter(action=Action.CONSENT_WITHDRAW, case_id=str(case.public_id)).count() == 1


def test_a_disclosure_opens_its_categories_from_its_sender_only(world, client_for, gate):
    case, _ = gate
    sharing.disclosure_record(
        actor=world.m["kari"],
        case=case,
        to_org_slug="skole",
        categories=[DataCategory.PLAN],
        legal_basis_key="fvl-13b-5",
        justification="Skolen skal tilrettelegge etter planen.",
    )
    # The municipality's plan entry, not its family entry, and not the police's plan entry.
    assert seen(world, client_for, "siri", case) == {"PLAN-SECRET", "SIRIS-OWN-NOTE"}


def test_why_can_i_see_this_names_the_consent(world, gate):
    case, entries = gate
    consent = world.consent(case, "skole", categories=[DataCategory.PLAN])
    decision = policy.explain(world.m["siri"], entries["plan"])
    assert decision.allowed and decision.records["consent"] == [str(consent.public_id)]
    assert not policy.explain(world.m["siri"], entries["family"]).allowed


def test_the_gate_costs_a_fixed_number_of_queries(world, gate, django_assert_max_num_queries):
    case, _ = gate
    world.consent(case, "skole")
    for _ in range(20):
        services.entry_create(
            actor=world.m["kari"], case=case, kind=EntryKind.NOTE, classification=Classification.TEAM, body="fyll"
        )
    ca = selectors.case_get(actor=world.m["siri"], case_id=case.public_id, audit=False)
    with django_assert_max_num_queries(4):
        items = selectors.timeline(ca)
    assert all(i.readable for i in items)


def test_the_case_page_names_the_consent_behind_each_readable_entry(world, client_for, gate):
    case, _ = gate
    consent = world.consent(case, "skole", categories=[DataCategory.PLAN])
    html = client_for("siri").get(f"/cases/{case.public_id}/").content.decode()
    assert html.count(str(consent.public_id)) == 2  # kari's and per's plan entries; siri's own needs no consent


def header_seen(world, client_for, username, case):
    """The header fields of the owner's that the case page and the API show the user."""
    html = client_for(username).get(f"/cases/{case.public_id}/").content.decode()
    body = world.api(username).get(f"{API}/cases/{case.public_id}/").json()
    in_html = {"person"} if "Gate Person" in html else set()
    in_api = {"person"} if (body.get("person") or {}).get("name") == "Gate Person" else set()
    assert in_html == in_api, (in_html, in_api)
    ca = selectors.case_get(actor=world.m[username], case_id=case.public_id, audit=False)
    scope = policy.header_scope(ca)
    return in_html | (scope & {"ideologies", "motivation_stage"})


def test_the_header_follows_the_gate_for_another_organisation(world, client_for, gate):
    case, _ = gate
    # The owner's own people see who the person is; the school, on the team without a basis, does not.
    assert header_seen(world, client_for, "kari", case) == {"person", "ideologies", "motivation_stage"}
    assert header_seen(world, client_for, "siri", case) == set()
    consent = world.consent(case, "skole", categories=[DataCategory.IDENTITY, DataCategory.IDEOLOGY])
    assert header_seen(world, client_for, "siri", case) == {"person", "ideologies"}
    sharing.consent_withdraw(actor=world.m["kari"], consent=consent, note="Trakk samtykket")
    assert header_seen(world, client_for, "siri", case) == set()


# ---- A basis for sharing without identity carries no identity (issue 12, side door) ---------------------


def test_an_anonymised_basis_is_refused_for_identity(world, gate):
    case, _ = gate
    with pytest.raises(UtveiError) as exc:
        sharing.disclosure_record(
            actor=world.m["kari"],
            case=case,
            to_org_slug="skole",
            categories=[DataCategory.PLAN, DataCategory.IDENTITY],
            legal_basis_key="fvl-13a-2",
        )
    assert exc.value.code == "basis_anonymised"
    assert not Disclosure.objects.filter(case=case).exists()
    with pytest.raises(UtveiError) as exc:
        referrals.referral_send(
            actor=world.m["kari"],
            case=case,
            to_org_slug="skole",
            categories=[DataCategory.IDENTITY],
            basis=ReferralBasis.LEGAL_BASIS,
            legal_basis_key="fvl-13a-2",
        )
    assert exc.value.code == "basis_anonymised"
    # Without identity it is a valid disclosure.
    sharing.disclosure_record(
        actor=world.m["kari"],
        case=case,
        to_org_slug="skole",
        categories=[DataCategory.PLAN],
        legal_basis_key="fvl-13a-2",
    )


def test_an_anonymised_disclosure_recorded_with_identity_before_the_rule_still_carries_none(world, client_for, gate):
    case, _ = gate
    basis = LegalBasis.objects.get(key="fvl-13a-2")
    Disclosure.objects.create(
        case=case,
        from_org=world.orgs["kommune"],
        to_org=world.orgs["skole"],
        categories=[DataCategory.IDENTITY, DataCategory.PLAN],
        legal_basis=basis,
        basis_version=basis.version,
        decided_by=world.m["kari"].user,
    )
    ca = selectors.case_get(actor=world.m["siri"], case_id=case.public_id, audit=False)
    scope = policy.header_scope(ca)
    assert "person" not in scope  # who the person is stays with the municipality
    page = client_for("siri").get(f"/cases/{case.public_id}/").content.decode()
    assert case.person.full_name not in page
    api = world.api("siri").get(f"/api/v1/cases/{case.public_id}/").json()
    assert case.person.full_name not in str(api)
