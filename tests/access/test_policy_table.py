"""The policy table (utvei.access.table) run against everything a viewer can reach: generated access tests.

Six tests (`test_every_surface_follows_the_table[sector-half]`) build the cases of policy_scenario.py from
`table.rows()` and read every entry back as every viewer, through:

  policy    `case_access`, `visible_cases`, the timeline's `entry_decision`s; for a sample also `can` and `explain`
  web       the case page (timeline: text / restricted marker / absent), the reference lookup `/cases/?ref=`,
            the CSV export, and for the sample the entry's own page
  API       the case, the timeline, the lookup `cases/?ref=`, the JSON export, and for the sample the entry

Each checks the outcome of the table row the scenario made true, counts the distinct rows (role, sector, relation,
classification, category, basis) it actually checked, and asserts at least 500; on the second database two of the
six run, drawn each day (tests/sampling.py). The hand-written
tests/access/table.py is compared with the table too, and the last tests show that a withdrawal, revocation or
expiry — of a basis or of the relation itself — works on the very next request on every surface.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.pages import whole_timeline
from utvei.access import policy, table
from utvei.access.policy import Act
from utvei.access.table import Basis, Outcome, Relation, Sector
from utvei.accounts.roles import Cap, has_cap
from utvei.audit.models import Action, AuditEvent
from utvei.cases import selectors
from utvei.cases.models import EntryKind, TeamMember
from utvei.cases.services import entry_create
from utvei.core.vocabulary import Classification, DataCategory
from utvei.sharing.consent import services as sharing
from utvei.sharing.models import Disclosure, EmergencyAccess

from . import table as hand
from .policy_scenario import UNITS, Fact, Host, Viewer, build_unit, finds_case, profile_rows, relate

API = "/api/v1"
SECRET = re.compile(r"TBL(?:SECRET|TITLE)\w+?Q")
MIN_COMBINATIONS = 500


# ---- The table itself ----------------------------------------------------------------------------------


def test_the_table_enumerates_every_combination_that_can_occur():
    rows = list(table.rows())
    dims = table.DIMENSIONS
    every = 1
    for values in dims.values():
        every *= len(values)
    # owner_coordinator is a coordinator by definition: the other roles drop out of that relation.
    impossible = (len(dims["role"]) - 1) * len(dims["sector"]) * len(dims["classification"])
    impossible *= len(dims["category"]) * len(dims["basis"])
    assert len(rows) == every - impossible == 28188
    assert len({r.key for r in rows}) == len(rows)
    assert {r.outcome for r in rows} == set(Outcome)
    assert {r.rule for r in rows} == {rule.key for rule in table.RULES}  # no rule is dead


def test_the_category_counts_only_through_the_basis():
    assert all(rule.category is None for rule in table.RULES)


def test_the_table_agrees_with_the_hand_written_one():
    """tests/access/table.py is an independent statement; its world consents to everything for every member."""
    checked = 0
    for viewer, author, classification in hand.rows():
        relation, kind, content, _full = hand.VIEWERS[viewer]
        role = policy_role(viewer)
        if viewer == author:
            basis = Basis.SELF
        elif hand.ORG_OF[viewer] == hand.ORG_OF[author]:
            basis = Basis.OWN_ORG
        else:
            basis = Basis.CONSENT
        got = table.outcome(
            role=role,
            sector=table.sector_of(kind),
            relation=relation,
            classification=classification,
            category=DataCategory.PLAN,
            basis=basis,
        )
        if not hand.sees_case(viewer):
            assert got == Outcome.NO_CASE, (viewer, author, classification)
            continue
        want = hand.expect(viewer, author, classification)
        assert got == (Outcome.READ if want.readable else Outcome.MARKER if want.marker else Outcome.HIDDEN)
        checked += 1
    assert checked > 50


def policy_role(username: str) -> str:
    from tests.conftest import USERS

    return USERS[username][1]


@pytest.mark.parametrize("fmt", ["csv", "markdown", "json"])
def test_the_command_prints_the_table(fmt):
    out = io.StringIO()
    call_command("policy", "table", "--format", fmt, "--role", "mentor", "--relation", "team", stdout=out)
    text = out.getvalue()
    n = len(table.DIMENSIONS["sector"]) * 6 * 9 * 6
    if fmt == "json":
        data = json.loads(text)
        assert len(data) == n and data[0]["role"] == "mentor" and "outcome" in data[0] and "rule" in data[0]
    elif fmt == "csv":
        assert len(text.strip().splitlines()) == n + 1
    else:
        assert text.startswith("| role | sector |") and len(text.strip().splitlines()) == n + 2


def test_the_command_prints_the_rules_in_order():
    out = io.StringIO()
    call_command("policy", "rules", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert [r["rule"] for r in data] == [r.key for r in table.RULES]
    assert data[0]["outcome"] == "no_case" and data[-1]["outcome"] == "marker"


# ---- Every surface -------------------------------------------------------------------------------------


@dataclass
class Tally:
    listed: set[tuple[str, ...]] = field(default_factory=set)  # policy, case page, API timeline, both exports
    everywhere: set[tuple[str, ...]] = field(default_factory=set)  # also can/explain and both entry views
    requests: int = 0


def _secrets(text: str) -> set[str]:
    return set(SECRET.findall(text))


def _html_items(html: str) -> dict[str, bool]:
    """entry public_id -> restricted?, from the timeline markup."""
    found = {}
    for m in re.finditer(r'<li class="entry[^"]*" id="entry-([0-9a-f-]{36})"( data-restricted="true")?', html):
        found[m.group(1)] = bool(m.group(2))
    return found


def _csv_timeline(body: bytes) -> dict[str, list[str]]:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    blank = rows.index([])
    return {r[0]: r for r in rows[blank + 2 :]}


def sample(host: Host, viewer: Viewer, index: int) -> list[Fact]:
    """The entries whose own page and API object, `can` and `explain` are checked too. A viewer who finds the
    case: for each classification three of the six bases, the other three for the next viewer (so every pair
    of viewers covers every (classification, basis)), the category turning from viewer to viewer. A viewer who
    does not: three classifications, the other three for the next one."""
    by: dict[tuple[str, str], list[Fact]] = {}
    for f in host.facts:
        key = host.row_key(viewer, f.entry)
        by.setdefault((key[3], key[5]), []).append(f)
    bases = list(table.DIMENSIONS["basis"])
    picked = []
    for c, classification in enumerate(table.DIMENSIONS["classification"]):
        if finds_case(viewer.profile):
            wanted = [(classification, bases[(index + c + 2 * k) % 6]) for k in range(3)]
        elif (index + c) % 2 == 0:
            groups = sorted(g for g in by if g[0] == classification)
            wanted = [groups[index % len(groups)]]
        else:
            wanted = []
        for group in wanted:
            facts = by.get(group, [])
            if facts:
                picked.append(facts[index % len(facts)])
    return picked


def check_viewer(world: Any, browse: Any, host: Host, viewer: Viewer, index: int, tally: Tally) -> None:
    m = viewer.membership
    web, api = browse(viewer.username), world.api(viewer.username)
    finds = finds_case(viewer.profile)
    for slot, case in host.cases.items():
        facts = [f for f in host.facts if f.slot == slot]
        want = {}
        for f in facts:
            key = host.row_key(viewer, f.entry)
            want[str(f.entry.public_id)] = (key, table.outcome(**dict(zip(table.DIMENSIONS, key, strict=True))))
        assert all((o != Outcome.NO_CASE) is finds for _, o in want.values()), viewer.profile
        label = (viewer.profile.label, slot)

        # Policy and selectors.
        ca = policy.case_access(m, case)
        assert (ca is not None) is finds, label
        assert policy.visible_cases(m).filter(pk=case.pk).exists() is finds, label
        items = {str(i.entry.public_id): i for i in selectors.timeline(ca)} if ca is not None else {}

        # Web: case page and CSV export. API: case, timeline, JSON export. Lookups on both.
        page, page_html = whole_timeline(web, case)  # every page of the timeline
        export = web.get(f"/cases/{case.public_id}/export/")
        one = api.get(f"{API}/cases/{case.public_id}/")
        timeline = api.get(f"{API}/cases/{case.public_id}/entries/", {"limit": 500})
        jexport = api.get(f"{API}/cases/{case.public_id}/export/")
        looked_up = web.get("/cases/", {"ref": case.reference})
        api_looked_up = api.get(f"{API}/cases/", {"ref": case.reference})
        tally.requests += 7
        # A role without case content has no case list at all (403); the API lists nothing.
        assert looked_up.status_code == (200 if has_cap(m.role, Cap.CASE_READ) else 403), label
        assert api_looked_up.status_code == 200, label
        assert (f"/cases/{case.public_id}/" in looked_up.content.decode()) is finds, label
        assert [r["id"] for r in api_looked_up.json()["results"]] == ([str(case.public_id)] if finds else []), label
        if not finds:
            for r in (page, export, one, timeline, jexport):
                assert r.status_code == 404, (label, r.request["PATH_INFO"])
                assert not _secrets(r.content.decode("utf-8-sig")), label
            tally.listed |= {k for k, _ in want.values()}
            continue
        for r in (page, export, one, timeline, jexport):
            assert r.status_code == 200, (label, r.request["PATH_INFO"], r.status_code)
        html = page_html
        html_items, html_secrets = _html_items(html), _secrets(html)
        api_rows = {row["id"]: row for row in timeline.json()["results"]}
        assert timeline.json()["count"] == len(api_rows), label
        api_secrets = _secrets(timeline.content.decode())
        csv_rows, csv_secrets = _csv_timeline(export.content), _secrets(export.content.decode("utf-8-sig"))
        assert export["Content-Type"].startswith("text/csv") and "attachment" in export["Content-Disposition"]
        jdata = jexport.json()
        json_rows, json_secrets = {e["id"]: e for e in jdata["entries"]}, _secrets(jexport.content.decode())
        assert jdata["case"]["id"] == str(case.public_id), label

        for f in facts:
            eid = str(f.entry.public_id)
            key, outcome = want[eid]
            read, marker = outcome == Outcome.READ, outcome == Outcome.MARKER
            where = (*label, key, outcome)
            # Policy: the decision the timeline carries.
            item = items.get(eid)
            if outcome == Outcome.HIDDEN:
                assert item is None, where
            else:
                assert item is not None and item.readable is read, where
                assert item.decision.restricted_marker is marker, where
            # The text (body and title) appears exactly where the entry is readable.
            for secrets in (html_secrets, api_secrets, csv_secrets, json_secrets):
                assert (f.secret in secrets) is read and (f.title in secrets) is read, where
            # Listed in full, as a marker, or not at all.
            assert html_items.get(eid) is (None if outcome == Outcome.HIDDEN else marker), where
            row, crow, jrow = api_rows.get(eid), csv_rows.get(eid), json_rows.get(eid)
            if outcome == Outcome.HIDDEN:
                assert row is None and crow is None and jrow is None, where
            elif read:
                assert row is not None and row["body"] == f.secret and row["restricted"] is False, where
                assert jrow == row, where
                assert crow is not None and crow[7:] == [f.title, f.secret, "no"], where
            else:
                assert row is not None and row["restricted"] is True, where
                assert set(row) == {"id", "kind", "occurred_at", "author_organisation", "restricted"}, where
                assert jrow == row, where
                assert crow is not None and crow[4:] == ["", "", "", "", "", "yes"], where
            tally.listed.add(key)

    # The sample: can, explain, and the entry's own page and API object.
    for f in sample(host, viewer, index):
        key = host.row_key(viewer, f.entry)
        outcome = table.outcome(**dict(zip(table.DIMENSIONS, key, strict=True)))
        read, marker = outcome == Outcome.READ, outcome == Outcome.MARKER
        where = (viewer.profile.label, f.slot, key, outcome)
        for decision in (policy.can(m, Act.ENTRY_READ, f.entry), policy.explain(m, f.entry)):
            assert decision.allowed is read and decision.restricted_marker is marker, where
        case_id = f.entry.case.public_id
        page = web.get(f"/cases/{case_id}/entries/{f.entry.public_id}/")
        one = api.get(f"{API}/cases/{case_id}/entries/{f.entry.public_id}/")
        tally.requests += 2
        for r in (page, one):
            assert r.status_code == (200 if read or marker else 404), (where, r.request["PATH_INFO"])
            secrets = _secrets(r.content.decode())
            assert (f.secret in secrets) is read and (f.title in secrets) is read, where
        if marker:
            assert 'data-restricted="true"' in page.content.decode() and one.json()["restricted"] is True, where
        tally.everywhere.add(key)


@pytest.mark.sampled(share=1 / 3)
@pytest.mark.parametrize(("sector", "half"), UNITS, ids=[f"{s}-{h}" for s, h in UNITS])
def test_every_surface_follows_the_table(world, browse, sector, half):
    unit = build_unit(world, sector, half)
    tally = Tally()
    index = 0
    for host in unit.hosts:
        for viewer in host.viewers():
            check_viewer(world, browse, host, viewer, index, tally)
            index += 1
        missing = host.planned - tally.listed
        assert not missing, (host.viewer.profile.label, sorted(missing)[:5])
    profiles = {k[:3] for k in tally.listed}
    print(
        f"\npolicy table {sector}-{half}: {len(profiles)} profiles, {len(tally.listed)} combinations checked on the "
        f"policy, case page, API timeline, lookups and both exports; {len(tally.everywhere)} of them also on "
        f"can/explain and the entry page and API object; {tally.requests} requests"
    )
    assert len(tally.listed) >= MIN_COMBINATIONS
    assert tally.everywhere <= tally.listed
    # Every role, relation, classification, category and basis of the sector was exercised in this unit.
    for i, dimension in enumerate(table.DIMENSIONS):
        seen = {k[i] for k in tally.listed}
        if dimension == "sector":
            assert seen == {sector}
        elif dimension == "role":
            assert seen == set(table.DIMENSIONS["role"]), seen
        else:
            assert seen == set(table.DIMENSIONS[dimension]) or dimension == "relation", (dimension, seen)


def test_the_units_together_cover_every_profile():
    from .policy_scenario import unit_plan

    covered: list[Any] = []
    for sector, half in UNITS:
        for host, guests in unit_plan(sector, half):
            covered += [host, *guests]
    assert sorted(covered) == sorted(profile_rows())  # each profile in exactly one test
    assert len([p for p in covered if finds_case(p)]) == 27 and len(covered) == 87


# ---- The very next request -----------------------------------------------------------------------------


@pytest.fixture
def shared(world):
    """kari's case; siri (school) is on the team without consent; kari writes a plan entry, team classification."""
    case = world.open_case(name="Neste Forespørsel")
    world.add(case, "siri", consent=False)
    entry = entry_create(
        actor=world.m["kari"],
        case=case,
        kind=EntryKind.NOTE,
        classification=Classification.TEAM,
        category=DataCategory.PLAN,
        body="TBLSECRETNEXTQ",
        title="TBLTITLENEXTQ",
    )
    return case, entry


def surfaces(world: Any, browse: Any, username: str, case: Any, entry: Any) -> dict[str, str]:
    """What each surface shows `username` of the entry now: read, marker, absent (case there, entry not) or
    no_case."""
    web, api = browse(username), world.api(username)
    base, apibase = f"/cases/{case.public_id}/", f"{API}/cases/{case.public_id}/"
    out = {}
    looked = web.get("/cases/", {"ref": case.reference}).content.decode()
    out["web lookup"] = "found" if base in looked else "no_case"
    results = api.get(f"{API}/cases/", {"ref": case.reference}).json()["results"]
    out["api lookup"] = "found" if [r["id"] for r in results] == [str(case.public_id)] else "no_case"
    for name, r in {
        "case page": web.get(base),
        "entry page": web.get(f"{base}entries/{entry.public_id}/"),
        "csv export": web.get(f"{base}export/"),
        "api timeline": api.get(f"{apibase}entries/"),
        "api entry": api.get(f"{apibase}entries/{entry.public_id}/"),
        "json export": api.get(f"{apibase}export/"),
    }.items():
        text = r.content.decode("utf-8-sig")
        if r.status_code == 404:
            out[name] = "no_case"
        elif "TBLSECRETNEXTQ" in text and "TBLTITLENEXTQ" in text:
            out[name] = "read"
        elif str(entry.public_id) in text:
            out[name] = "marker"
        else:
            out[name] = "absent"
    return out


def everywhere(state: str) -> dict[str, str]:
    names = ["case page", "entry page", "csv export", "api timeline", "api entry", "json export"]
    found = "no_case" if state == "no_case" else "found"
    return {"web lookup": found, "api lookup": found, **dict.fromkeys(names, state)}


def test_a_withdrawn_consent_stops_on_the_very_next_request_everywhere(world, browse, shared):
    case, entry = shared
    consent = world.consent(case, "skole", categories=[DataCategory.PLAN])
    assert surfaces(world, browse, "siri", case, entry) == everywhere("read")
    sharing.consent_withdraw(actor=world.m["kari"], consent=consent, note="Trakk samtykket")
    assert surfaces(world, browse, "siri", case, entry) == everywhere("marker")


def test_a_revoked_disclosure_stops_on_the_very_next_request_everywhere(world, browse, shared):
    case, entry = shared
    disclosure = sharing.disclosure_record(
        actor=world.m["kari"],
        case=case,
        to_org_slug="skole",
        categories=[DataCategory.PLAN],
        legal_basis_key="fvl-13b-5",
        justification="Skolen skal tilrettelegge etter planen.",
    )
    assert surfaces(world, browse, "siri", case, entry) == everywhere("read")
    sharing.disclosure_revoke(actor=world.m["kari"], disclosure=disclosure)
    assert surfaces(world, browse, "siri", case, entry) == everywhere("marker")


def test_an_expired_disclosure_stops_on_the_very_next_request_everywhere(world, browse, shared):
    case, entry = shared
    disclosure = sharing.disclosure_record(
        actor=world.m["kari"],
        case=case,
        to_org_slug="skole",
        categories=[DataCategory.PLAN],
        legal_basis_key="fvl-13b-5",
        justification="Skolen skal tilrettelegge etter planen.",
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    assert surfaces(world, browse, "siri", case, entry) == everywhere("read")
    Disclosure.objects.filter(pk=disclosure.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert surfaces(world, browse, "siri", case, entry) == everywhere("marker")


def test_an_expired_emergency_access_stops_on_the_very_next_request_everywhere(world, browse, shared):
    case, entry = shared
    access = relate(world.m["arne"], Relation.EMERGENCY, case, added_by=world.m["kari"].user)
    assert surfaces(world, browse, "arne", case, entry) == everywhere("read")  # the access is the basis
    exports = AuditEvent.objects.filter(action=Action.CASE_EXPORT, actor_id=world.m["arne"].user_id)
    assert sorted(exports.values_list("reason", flat=True)) == ["emergency;csv", "emergency;json"]
    EmergencyAccess.objects.filter(pk=access.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert surfaces(world, browse, "arne", case, entry) == everywhere("no_case")


def test_an_ended_referral_stops_on_the_very_next_request_everywhere(world, browse, shared):
    case, entry = shared
    member = relate(world.m["nora"], Relation.REFERRAL, case, added_by=world.m["kari"].user)
    assert surfaces(world, browse, "nora", case, entry) == everywhere("marker")  # no basis for NAV yet
    consent = world.consent(case, "nav", categories=[DataCategory.PLAN])
    assert surfaces(world, browse, "nora", case, entry) == everywhere("read")
    TeamMember.objects.filter(pk=member.pk).update(ended_at=timezone.now())
    assert surfaces(world, browse, "nora", case, entry) == everywhere("no_case")
    assert consent.pk  # the consent is still there; the relation is what ended


# ---- The exports themselves ----------------------------------------------------------------------------


def test_the_export_shows_the_header_the_role_admits_and_is_audited_without_content(world, browse, shared):
    case, entry = shared
    world.add(case, "mona", role="mentor", consent=False)
    world.consent(case, "ngo", categories=[DataCategory.PLAN])  # not identity: the mentor may not know whom
    kari, mona, mona_api = browse("kari"), browse("mona"), world.api("mona")
    before = AuditEvent.objects.count()
    full = kari.get(f"/cases/{case.public_id}/export/")
    assert full.status_code == 200 and full["Cache-Control"] == "no-store"
    text = full.content.decode("utf-8-sig")
    assert "Neste Forespørsel" in text and "TBLSECRETNEXTQ" in text  # the person, in scope for the team
    mentor = mona.get(f"/cases/{case.public_id}/export/").content.decode("utf-8-sig")
    assert "Neste Forespørsel" not in mentor and "TBLSECRETNEXTQ" not in mentor and str(entry.public_id) not in mentor
    jdata = mona_api.get(f"{API}/cases/{case.public_id}/export/").json()
    assert "person" not in jdata["case"] and jdata["entries"] == []
    events = AuditEvent.objects.filter(action=Action.CASE_EXPORT).order_by("seq")
    assert [(e.reason, e.case_id) for e in events] == [
        ("csv", str(case.public_id)),
        ("csv", str(case.public_id)),
        ("json", str(case.public_id)),
    ]
    assert AuditEvent.objects.count() == before + 3
    for e in events:
        assert "TBLSECRET" not in f"{e.reason}{e.object_id}" and "Forespørsel" not in e.reason


def test_the_csv_export_neutralises_formulas(world, browse, shared):
    case, _ = shared
    entry_create(
        actor=world.m["kari"],
        case=case,
        kind=EntryKind.NOTE,
        classification=Classification.TEAM,
        body='=HYPERLINK("http://evil")',
        title="+SUM(A1)",
    )
    rows = list(
        csv.reader(io.StringIO(browse("kari").get(f"/cases/{case.public_id}/export/").content.decode("utf-8-sig")))
    )
    cells = [c for r in rows for c in r]
    assert '\'=HYPERLINK("http://evil")' in cells and "'+SUM(A1)" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)


def test_an_export_without_a_relation_is_not_found_and_audited_as_denied(world, browse, shared):
    case, _ = shared
    assert browse("atle").get(f"/cases/{case.public_id}/export/").status_code == 404
    r = world.api("atle").get(f"{API}/cases/{case.public_id}/export/")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert not AuditEvent.objects.filter(action=Action.CASE_EXPORT).exists()
    assert AuditEvent.objects.filter(action=Action.CASE_DENIED, object_id=str(case.public_id)).count() == 2


def test_sector_names_cover_every_organisation_kind():
    from utvei.accounts.models import OrgKind

    assert {table.sector_of(k) for k in OrgKind.values} == set(Sector)
