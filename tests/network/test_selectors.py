"""Reads of the network: the snapshot rule at any date, the team's organisations as the formal network, the typed
changes between two dates, the descriptive counts, the ties for the renderer, and a constant number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.network.helpers import add, ago, observe, today
from utvei.cases import selectors as case_selectors
from utvei.cases.models import TeamMember
from utvei.network import selectors
from utvei.network.ecomap import Tie, render_ecomap
from utvei.network.selectors import ChangeKind, Indicators


def ca_of(world, username, case):
    return case_selectors.case_get(actor=world.m[username], case_id=case.public_id, audit=False)


def contact_ties(snapshot):
    return {t.key: t for t in snapshot.ties if t.contact is not None}


def test_the_snapshot_is_the_latest_observation_up_to_the_date(nw):
    w, case = nw.world, nw.case
    peer = add(w, case, label="P.", relation="milieu_peer", on=300, valence="risk", closeness=3, frequency="daily")
    observe(w, peer, on=200, valence="risk", closeness=2, frequency="weekly")
    observe(w, peer, on=100, ended=True)
    mother = add(w, case, label="Mor", relation="parent", on=250, valence="ambivalent", closeness=2)
    observe(w, mother, on=50, valence="supportive", closeness=3)
    ca = ca_of(w, "kari", case)
    key_p, key_m = str(peer.public_id), str(mother.public_id)

    assert contact_ties(selectors.snapshot(ca, ago(301))) == {}  # before anything was observed
    on_300 = contact_ties(selectors.snapshot(ca, ago(300)))  # the day itself counts
    assert set(on_300) == {key_p} and (on_300[key_p].valence, on_300[key_p].closeness) == ("risk", 3)
    on_150 = contact_ties(selectors.snapshot(ca, ago(150)))
    assert (on_150[key_p].closeness, on_150[key_p].frequency, on_150[key_p].observed_on) == (2, "weekly", ago(200))
    assert on_150[key_m].valence == "ambivalent"
    on_100 = contact_ties(selectors.snapshot(ca, ago(100)))
    assert set(on_100) == {key_m}  # ending a tie is an observation: it is out from that day
    now = contact_ties(selectors.snapshot(ca))
    assert (now[key_m].valence, now[key_m].closeness, now[key_m].relation_label) == ("supportive", 3, "Parent")


def test_a_later_observation_opens_an_ended_tie_again(nw):
    peer = add(nw.world, nw.case, on=300)
    observe(nw.world, peer, on=200, ended=True)
    observe(nw.world, peer, on=100, valence="ambivalent", closeness=1)
    ca = ca_of(nw.world, "kari", nw.case)
    assert str(peer.public_id) not in contact_ties(selectors.snapshot(ca, ago(150)))
    assert contact_ties(selectors.snapshot(ca, ago(100)))[str(peer.public_id)].valence == "ambivalent"
    changes = selectors.compare(ca, ago(150), ago(50)).changes
    assert [(c.kind, c.key) for c in changes] == [(ChangeKind.NEW, str(peer.public_id))]


def test_on_one_day_the_observation_recorded_last_counts(nw):
    contact = add(nw.world, nw.case, on=10, valence="risk", closeness=1)
    observe(nw.world, contact, on=10, valence="supportive", closeness=3)
    tie = contact_ties(selectors.snapshot(ca_of(nw.world, "kari", nw.case)))[str(contact.public_id)]
    assert (tie.valence, tie.closeness) == ("supportive", 3)


def test_the_teams_organisations_are_the_formal_network_on_each_date(nw):
    w, case = nw.world, nw.case
    nils_row = TeamMember.objects.get(case=case, user=w.m["nils"].user)
    TeamMember.objects.filter(case=case).update(started_at=timezone.now() - dt.timedelta(days=400))
    TeamMember.objects.filter(pk=nils_row.pk).update(
        started_at=timezone.now() - dt.timedelta(days=200), ended_at=timezone.now() - dt.timedelta(days=50)
    )
    ca = ca_of(w, "kari", case)
    orgs = {t.key: t for t in selectors.snapshot(ca, ago(300)).ties if t.contact is None}
    assert set(orgs) == {"org:kommune", "org:politi", "org:ngo"}  # NAV was not on the team yet
    assert all(t.formal and t.valence == "unknown" and t.closeness == 1 and not t.observed for t in orgs.values())
    assert orgs["org:politi"].label == "Testby politidistrikt" and orgs["org:politi"].relation_label == "Police"
    assert "org:nav" in {t.key for t in selectors.snapshot(ca, ago(100)).ties}
    assert "org:nav" not in {t.key for t in selectors.snapshot(ca, ago(10)).ties}  # NAV left the team
    changes = selectors.compare(ca, ago(300), ago(100)).changes
    assert [(c.kind, c.key) for c in changes] == [(ChangeKind.NEW, "org:nav")]


def test_a_contact_linked_to_a_team_organisation_stands_for_it(nw):
    w, case = nw.world, nw.case
    TeamMember.objects.filter(case=case).update(started_at=timezone.now() - dt.timedelta(days=400))
    ca = ca_of(w, "kari", case)
    adviser = add(w, case, label="Veileder", relation="professional", organisation=w.orgs["nav"], on=100)
    before, after = selectors.snapshot(ca, ago(200)), selectors.snapshot(ca, ago(50))
    assert "org:nav" in before.by_key() and "org:nav" not in after.by_key()
    tie = after.by_key()[str(adviser.public_id)]
    assert tie.formal and tie.valence == "supportive" and tie.organisation.slug == "nav"
    changes = selectors.compare(ca, ago(200), ago(50)).changes
    assert [(c.kind, c.key) for c in changes] == [(ChangeKind.NEW, str(adviser.public_id))]  # NAV has not "ended"
    observe(w, adviser, on=20, ended=True)
    assert "org:nav" not in selectors.snapshot(ca).by_key()  # observed through its contact, even when that ended


def test_compare_lists_new_and_ended_ties_and_changed_valence_and_closeness(nw):
    w, case = nw.world, nw.case
    TeamMember.objects.filter(case=case).update(started_at=timezone.now() - dt.timedelta(days=400))
    peer = add(w, case, label="P.", relation="milieu_peer", on=300, valence="risk", closeness=3)
    observe(w, peer, on=100, ended=True)
    mother = add(w, case, label="Mor", relation="parent", on=300, valence="ambivalent", closeness=2)
    observe(w, mother, on=100, valence="supportive", closeness=2)
    father = add(w, case, label="Far", relation="parent", on=300, valence="unknown", closeness=1)
    observe(w, father, on=100, valence="risk", closeness=2)
    coach = add(w, case, label="Trener", relation="coach", on=300, valence="supportive", closeness=1)
    observe(w, coach, on=100, valence="supportive", closeness=3, frequency="weekly")
    mentor = add(w, case, label="Mentor", relation="mentor", on=150)
    comparison = selectors.compare(ca_of(w, "kari", case), ago(200), ago(50))
    got = [(c.kind, c.tie.label) for c in comparison.changes]
    assert got == [
        ("new", "Mentor"),
        ("ended", "P."),
        ("valence", "Far"),
        ("valence", "Mor"),
        ("closeness", "Far"),
        ("closeness", "Trener"),
    ]
    far = comparison.of_kind("valence")[0]
    assert (far.before.valence, far.after.valence) == ("unknown", "risk")
    assert comparison.of_kind("ended")[0].after is None and comparison.of_kind("new")[0].before is None
    assert comparison.of_kind("new")[0].key == str(mentor.public_id)
    assert str(comparison.changes[0].label) == "New tie"
    assert comparison.before.on == ago(200) and comparison.after.on == ago(50)


def test_indicators_are_descriptive_counts_of_the_ties(nw):
    w, case = nw.world, nw.case
    TeamMember.objects.filter(case=case).update(started_at=timezone.now() - dt.timedelta(days=400))
    add(w, case, on=100, valence="supportive", relation="parent")
    add(w, case, on=100, valence="risk", relation="milieu_peer")
    add(w, case, on=100, valence="risk", relation="online")
    add(w, case, on=100, valence="ambivalent", relation="teacher")
    add(w, case, by="per", on=100, valence="risk", relation="milieu_peer", classification="police")
    ended = add(w, case, on=100, valence="supportive", relation="friend")
    observe(w, ended, on=50, ended=True)
    counts = selectors.indicators(ca_of(w, "kari", case))  # the police contact is not kari's to see
    # 4 organisations on the team (kommune, politi, nav, ngo): formal, unknown
    assert counts.as_dict() == {
        "supportive": 1,
        "risk": 2,
        "ambivalent": 1,
        "unknown": 4,
        "informal": 3,
        "formal": 5,
        "total": 8,
    }
    assert selectors.indicators(ca_of(w, "per", case)).risk == 3
    assert selectors.indicators(case).risk == 3  # the evidence engine's count: every contact
    before = selectors.indicators(case, ago(101))  # before any contact was observed: the team alone
    assert (before.informal, before.formal, before.unknown, before.total) == (0, 4, 4, 4)
    assert selectors.indicators(case, ago(75)).supportive == 2  # the friend's tie had not ended yet
    assert Indicators.NAMES == ("supportive", "risk", "ambivalent", "unknown", "informal", "formal", "total")


def test_the_ties_for_the_renderer_and_the_same_drawing_for_the_same_data(nw):
    w, case = nw.world, nw.case
    add(w, case, label="Mor", relation="parent", on=100, valence="supportive", closeness=3, frequency="daily")
    add(w, case, label="J.K.", relation="milieu_peer", on=100, valence="risk", closeness=2)
    ca = ca_of(w, "kari", case)
    ties = selectors.snapshot(ca).for_ecomap()
    assert all(isinstance(t, Tie) for t in ties)
    mor = next(t for t in ties if t.label == "Mor")
    assert (mor.relation_label, mor.formal, mor.valence, mor.closeness, mor.frequency_label) == (
        "Parent",
        False,
        "supportive",
        3,
        "Daily",
    )
    org = next(t for t in ties if t.key == "org:kommune")
    assert org.formal and org.valence == "unknown"
    first = render_ecomap(ties, person_label="P", title="T")
    again = render_ecomap(selectors.snapshot(ca_of(w, "kari", case)).for_ecomap(), person_label="P", title="T")
    assert str(first) == str(again) and str(first).count('class="tie ') == len(ties)


@pytest.mark.parametrize("n", [1, 6])
def test_a_constant_number_of_queries_however_many_contacts(nw, n):
    """Loading the network and working out two snapshots and their changes costs the same for 1 or 6 contacts
    with 4 observations each (the case access is loaded first, as every page does)."""
    w, case = nw.world, nw.case
    for i in range(n):
        c = add(w, case, label=f"K{i}", on=300)
        for d in (200, 100, 50):
            observe(w, c, on=d, valence="ambivalent", closeness=1 + d % 3)
    ca = ca_of(w, "nils", case)
    with CaptureQueriesContext(connection) as ctx:
        network = selectors.load(ca)
        network.compare(ago(250), today())
        network.snapshot(ago(75)).indicators  # noqa: B018
    assert len(ctx.captured_queries) == 6, [q["sql"] for q in ctx.captured_queries]  # consents (with their
    # organisations), disclosures, contacts, observations, team


def test_the_snapshot_of_a_restricted_network_is_empty(world):
    case = world.open_case()
    world.add(case, "siri", consent=False)
    add(world, case)
    network = selectors.load(ca_of(world, "siri", case))
    assert not network.open and network.contacts == [] and network.snapshot(today()).ties == []
    assert network.snapshot(today()).indicators.total == 0
