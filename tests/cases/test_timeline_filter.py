"""The case page's timeline: filtered by kind, organisation, classification and period; long entries folded."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from utvei.access import policy
from utvei.cases import selectors, services
from utvei.cases.models import EntryKind, TeamRole
from utvei.cases.templatetags.timeline import FOLD_CHARS, excerpt
from utvei.cases.views import common
from utvei.core.vocabulary import Classification, DataCategory

OLDER = re.compile(r'<a href="\?(after=[^"#]+)#timeline" rel="next">')
ENTRY = re.compile(r'<li class="entry[^"]*" id="entry-([0-9a-f-]+)"')
POLICE_TEXT = "POLITI-NOTAT om oppmøte"


def _write(world, case, by, *, kind=EntryKind.NOTE, cls=Classification.TEAM, body="Tekst", days_ago=1, title=""):
    return services.entry_create(
        actor=world.m[by],
        case=case,
        kind=kind,
        classification=cls,
        body=body,
        title=title,
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
    )


@pytest.fixture
def case(world):
    c = world.open_case(name="Filtrert Tidslinje")
    world.add(c, "per")
    world.add(c, "mona", role=TeamRole.MENTOR)
    c.refresh_from_db()
    return c


def _shown(body: str) -> set[str]:
    return set(ENTRY.findall(body))


def _get(client, case, **query):
    return client.get(f"/cases/{case.public_id}/", query)


def test_the_kind_filter_shows_that_kind_only_markers_included(world, browse, case):
    note = _write(world, case, "kari", body="Et notat")
    call = _write(world, case, "kari", kind=EntryKind.PHONE, body="En telefon")
    police = _write(world, case, "per", cls=Classification.POLICE, body=POLICE_TEXT)
    response = _get(browse("kari"), case, kind="note")
    assert response.status_code == 200
    body = response.content.decode()
    # The police note is a marker for kari: its kind is shown on it, so it may match a kind.
    assert _shown(body) == {str(note.public_id), str(police.public_id)}
    assert str(call.public_id) not in body and POLICE_TEXT not in body
    assert "Filter the timeline (on)" in body


def test_the_organisation_filter_offers_the_visible_organisations_only(world, browse, case):
    kari_note = _write(world, case, "kari", body="Kommunens notat")
    per_note = _write(world, case, "per", body="Politiets teamnotat")
    client = browse("kari")
    # The owner and the team's organisations (mona is the NGO's mentor), by name; none without a relation.
    assert _org_options(_get(client, case).content.decode()) == ["ngo", "kommune", "politi"]
    body = _get(client, case, org="politi").content.decode()
    assert _shown(body) == {str(per_note.public_id)}
    assert str(kari_note.public_id) not in body


def test_an_organisation_outside_the_case_is_refused(world, browse, case):
    _write(world, case, "kari")
    response = _get(browse("kari"), case, org="annen")
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body and "annen" not in _org_options(body)


def test_an_organisation_whose_part_is_restricted_is_not_offered(world, browse, case):
    """siri (school) has no basis to know that a health service takes part: it is not among her choices."""
    world.add(case, "hanne")  # the mental health service, consented for itself
    world.add(case, "siri", consent=False)  # the school: a consent for plans only
    world.consent(case, "skole", categories=[DataCategory.PLAN])
    assert "helse" in _org_options(_get(browse("kari"), case).content.decode())
    body = _get(browse("siri"), case).content.decode()
    assert "helse" not in _org_options(body) and "Testby DPS" not in body
    assert _get(browse("siri"), case, org="helse").status_code == 400


def _org_options(body: str) -> list[str]:
    select = body.split('id="timeline-org"')[1].split("</select>")[0]
    return re.findall(r'<option value="([a-z-]+)"', select)


def test_a_marker_never_matches_a_classification(world, browse, case):
    """A marker does not show its classification, so filtering by it must not reveal which markers have it."""
    _write(world, case, "per", cls=Classification.POLICE, body=POLICE_TEXT)
    team = _write(world, case, "kari", body="Teamnotat")
    client = browse("kari")
    body = _get(client, case, classification="police").content.decode()
    assert _shown(body) == set()
    assert "No entries match the filter." in body
    body = _get(client, case, classification="team").content.decode()
    assert _shown(body) == {str(team.public_id)}
    # per reads his own police note: for him the same filter finds it.
    assert POLICE_TEXT in _get(browse("per"), case, classification="police").content.decode()


def test_a_mentor_gets_only_what_they_read_whatever_the_filter(world, browse, case):
    mentor = _write(world, case, "kari", cls=Classification.MENTOR, body="Til mentoren")
    _write(world, case, "kari", cls=Classification.OWN_ORG, body="Kommunens eget")
    body = _get(browse("mona"), case, kind="note").content.decode()
    assert _shown(body) == {str(mentor.public_id)}
    assert "data-restricted" not in body


def test_the_period_filter_includes_both_days(world, browse, case):
    old = _write(world, case, "kari", body="Gammelt", days_ago=40)
    middle = _write(world, case, "kari", body="Midt i", days_ago=20)
    _write(world, case, "kari", body="Nytt", days_ago=2)
    today = timezone.localdate()
    since = timezone.localtime(old.occurred_at).date()
    until = timezone.localtime(middle.occurred_at).date()
    body = _get(browse("kari"), case, since=since.isoformat(), until=until.isoformat()).content.decode()
    assert _shown(body) == {str(old.public_id), str(middle.public_id)}
    body = _get(browse("kari"), case, since=(today - dt.timedelta(days=3)).isoformat()).content.decode()
    assert "Nytt" in body and "Midt i" not in body and "Gammelt" not in body


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "bogus"},
        {"classification": "secret"},
        {"since": "not-a-date"},
        {"until": "2026-13-45"},
        {"since": "1200-01-01"},
        {"since": "2025-05-02", "until": "2025-05-01"},
    ],
)
def test_bad_filters_give_400_with_a_message(world, browse, case, query):
    _write(world, case, "kari", body="Synlig likevel")
    response = _get(browse("kari"), case, **query)
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Synlig likevel" in body  # the page still works: the timeline unfiltered


def test_the_pages_of_a_filtered_timeline_keep_the_filter(world, browse, case, monkeypatch):
    monkeypatch.setattr("utvei.cases.views.cases.TIMELINE_PAGE_SIZE", 5)
    start = timezone.now() - dt.timedelta(days=90)
    notes = set()
    for i in range(14):
        kind = EntryKind.NOTE if i % 2 == 0 else EntryKind.PHONE
        entry = services.entry_create(
            actor=world.m["kari"],
            case=case,
            kind=kind,
            classification=Classification.TEAM,
            body=f"Oppføring {i}",
            occurred_at=start + dt.timedelta(hours=i),
        )
        if kind == EntryKind.NOTE:
            notes.add(str(entry.public_id))
    client = browse("kari")
    body = _get(client, case, kind="note").content.decode()
    seen, pages = _shown(body), 1
    for _ in range(20):
        found = OLDER.search(body)
        if found is None:
            break
        query = html.unescape(found.group(1))
        assert "kind=note" in query
        body = client.get(f"/cases/{case.public_id}/?{query}").content.decode()
        assert '<option value="note" selected>' in body  # the form shows the filter on every page
        seen |= _shown(body)
        pages += 1
        nav = body.split('<nav class="pagination"')[1].split("</nav>")[0]
        assert all("kind=note" in html.unescape(href) for href in re.findall(r'href="([^"]+)"', nav))
    assert pages == 2  # seven notes, five a page
    assert seen == notes


def test_a_filtered_case_page_costs_the_same_for_a_long_history(world, browse, case):
    for _ in range(2):
        _write(world, case, "per", body="Politiets notat")
    client = browse("kari")
    _get(client, case, org="politi")
    with CaptureQueriesContext(connection) as short:
        assert _get(client, case, org="politi", kind="note").status_code == 200
    for _ in range(2 * common.TIMELINE_PAGE_SIZE):
        _write(world, case, "per", body="Politiets notat")
        _write(world, case, "kari", body="Kommunens notat")
    with CaptureQueriesContext(connection) as long:
        response = _get(client, case, org="politi", kind="note")
    assert len(_shown(response.content.decode())) == common.TIMELINE_PAGE_SIZE
    assert len(long.captured_queries) == len(short.captured_queries)


def test_the_selector_narrows_only_what_access_allows(world, case):
    _write(world, case, "per", cls=Classification.POLICE, body=POLICE_TEXT)
    team = _write(world, case, "per", body="Teamnotat fra politiet")
    ca = policy.case_access(world.m["kari"], case)
    police = world.orgs["politi"].pk
    items, page = selectors.timeline_page(ca, {}, size=10, filters=selectors.TimelineFilters(organisation_id=police))
    assert [i.readable for i in items] == [True, False]  # the marker names the police: it matches
    items, page = selectors.timeline_page(
        ca, {}, size=10, filters=selectors.TimelineFilters(organisation_id=police, classification="team")
    )
    assert [i.entry for i in items] == [team] and page.is_first and page.is_last


# ---- Long entries folded -------------------------------------------------------------------------------


def test_a_long_entry_is_folded_behind_show_more(world, browse, case):
    words = " ".join(f"ord{i}" for i in range(2000))  # about 10,000 characters
    long = _write(world, case, "kari", body=words, title="Lang samtale")
    _write(world, case, "kari", body="Kort og godt")
    body = _get(browse("kari"), case).content.decode()
    item = body.split(f'id="entry-{long.public_id}"')[1].split("</li>")[0]
    assert '<details class="entry-more">' in item and "Show more" in item
    assert "ord1999" in item.split('<div class="entry-whole">')[1]  # the whole text, inside the fold
    assert "ord1999" not in item.split("<details")[0]  # the start shows only the excerpt
    assert body.count('<details class="entry-more">') == 1  # the short entry is shown whole


def test_a_restricted_marker_has_nothing_to_fold(world, browse, case):
    _write(world, case, "per", cls=Classification.POLICE, body="HEMMELIG " * 500)
    body = _get(browse("kari"), case).content.decode()
    assert "HEMMELIG" not in body and "entry-more" not in body


def test_excerpt_cuts_long_texts_only():
    assert excerpt("Kort.") == ""
    assert excerpt("x" * FOLD_CHARS) == ""
    text = "ord " * 1000
    short = excerpt(text)
    assert short.endswith(" …") and len(short) < 450 and " ".join(short.split()[:3]) == "ord ord ord"
    many_lines = "\n".join(f"linje {i}" for i in range(30))
    assert "linje 5" in excerpt(many_lines) and "linje 6" not in excerpt(many_lines)
