"""active_bases: which consents and disclosures cover (organisation, category, purpose, time). The future gate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from utvei.sharing.consent import selectors, services

from .helpers import consent_kw

DAY = dt.timedelta(days=1)


@pytest.fixture
def setup(world, catalogue):
    case = world.open_case(consent=False)
    world.add(case, "siri", consent=False)
    world.add(case, "hanne", consent=False)
    kari = world.m["kari"]
    # c1: the school by name, plan + family, coordination, for 30 days
    c1 = services.consent_record(
        actor=kari,
        case=case,
        **consent_kw(
            scope_org_slugs=["skole"],
            categories=["plan", "family"],
            purposes=["coordination"],
            valid_until=timezone.now() + 30 * DAY,
        ),
    )
    # c2: every police organisation by kind, ideology, measures; no end
    c2 = services.consent_record(
        actor=kari,
        case=case,
        **consent_kw(scope_org_slugs=[], scope_kinds=["police"], categories=["ideology"], purposes=["measures"]),
    )
    # c3: withdrawn — covers nothing
    c3 = services.consent_record(
        actor=kari, case=case, **consent_kw(scope_org_slugs=["nav"], categories=["plan"], purposes=["coordination"])
    )
    services.consent_withdraw(actor=kari, consent=c3)
    # d1: the municipality discloses health to NAV under sotjl § 44 for 365 days
    d1 = services.disclosure_record(
        actor=kari,
        case=case,
        to_org_slug="nav",
        categories=["health", "plan"],
        legal_basis_key="sotjl-44",
        justification="Nødvendig for tiltak",
    )
    # d2: health discloses to the police under hpl § 31 (7 days), then revoked
    d2 = services.disclosure_record(
        actor=world.m["hanne"],
        case=case,
        to_org_slug="politi",
        categories=["criminal"],
        legal_basis_key="hpl-31",
        justification="Fare for liv",
    )
    services.disclosure_revoke(actor=world.m["hanne"], disclosure=d2)
    # d3: health discloses assessment to the school under hpl § 23 nr. 4 for 10 days
    d3 = services.disclosure_record(
        actor=world.m["hanne"],
        case=case,
        to_org_slug="skole",
        categories=["assessment"],
        legal_basis_key="hpl-23-4",
        justification="Avverge skade",
        expires_at=timezone.now() + 10 * DAY,
    )
    return world, case, {"c1": c1, "c2": c2, "c3": c3, "d1": d1, "d2": d2, "d3": d3}


# (organisation, category, purpose, days from now) -> the records that cover it
TABLE = [
    ("skole", "plan", "coordination", 0, {"c1"}),
    ("skole", "family", "coordination", 0, {"c1"}),
    ("skole", "plan", "measures", 0, set()),  # wrong purpose
    ("skole", "health", "coordination", 0, set()),  # wrong category
    ("skole", "plan", "coordination", 31, set()),  # the consent has expired
    ("skole", "plan", "coordination", -1, set()),  # not yet valid
    ("skole", "assessment", "coordination", 0, {"d3"}),  # a disclosure covers any purpose
    ("skole", "assessment", "evaluation_research", 9, {"d3"}),
    ("skole", "assessment", "coordination", 11, set()),  # the disclosure has expired
    ("politi", "ideology", "measures", 0, {"c2"}),  # by kind
    ("politi", "ideology", "measures", 3650, {"c2"}),  # no end date
    ("politi", "ideology", "coordination", 0, set()),
    ("politi", "criminal", "coordination", 0, set()),  # revoked
    ("nav", "plan", "coordination", 0, {"d1"}),  # c3 is withdrawn; d1 covers plan
    ("nav", "health", "measures", 0, {"d1"}),
    ("nav", "health", "measures", 366, set()),  # beyond the basis's maximum duration
    ("nav", "family", "coordination", 0, set()),
    ("helse", "plan", "coordination", 0, set()),  # nothing to the health service
    ("annen", "ideology", "measures", 0, set()),  # a municipality: not police
]


@pytest.mark.parametrize(("org", "category", "purpose", "days", "expected"), TABLE)
def test_active_bases_table(setup, org, category, purpose, days, expected):
    world, case, rec = setup
    at = timezone.now() + days * DAY + dt.timedelta(seconds=5 if days >= 0 else 0)
    got = selectors.active_bases(case, world.orgs[org], category, purpose, at)
    want_c = {rec[k].public_id for k in expected if k.startswith("c")}
    want_d = {rec[k].public_id for k in expected if k.startswith("d")}
    assert set(got.consents) == want_c and set(got.disclosures) == want_d
    assert bool(got) == bool(expected)


def test_active_bases_is_pure_with_loaded_records(setup):
    world, case, rec = setup
    consents = list(selectors.consents_of(case))
    disclosures = list(selectors.disclosures_of(case))
    with CaptureQueriesContext(connection) as ctx:
        for org, category, purpose, _days, _expected in TABLE:
            selectors.active_bases(case, world.orgs[org], category, purpose, consents=consents, disclosures=disclosures)
    assert len(ctx.captured_queries) == 0


def test_withdrawal_and_revocation_show_on_the_next_call(setup):
    world, case, rec = setup
    skole = world.orgs["skole"]
    assert selectors.active_bases(case, skole, "plan", "coordination").consents == (rec["c1"].public_id,)
    services.consent_withdraw(actor=world.m["siri"], consent=rec["c1"])
    assert not selectors.active_bases(case, skole, "plan", "coordination")
    nav = world.orgs["nav"]
    assert selectors.active_bases(case, nav, "health", "measures")
    services.disclosure_revoke(actor=world.m["kari"], disclosure=rec["d1"])
    assert not selectors.active_bases(case, nav, "health", "measures")
