"""The access table against what users and integrations actually receive: web pages and the API.

For every viewer: the case page and the case API object (404 without a relation), the case list and the
reference lookup (absent without a relation), the timeline in HTML and JSON (text present exactly when the
table says readable; a restricted marker exactly when it says marker), and every entry's own page and API
object.
"""

from __future__ import annotations

import re

import pytest

from .scenario import build
from .table import ENTRIES, VIEWERS, expect, sees_case

API = "/api/v1"


@pytest.fixture
def sc(world):
    return build(world)


def _html_items(html: str) -> dict[str, bool]:
    """entry public_id -> restricted?, from the timeline markup."""
    found = {}
    for m in re.finditer(r'<li class="entry[^"]*" id="entry-([0-9a-f-]{36})"( data-restricted="true")?', html):
        found[m.group(1)] = bool(m.group(2))
    return found


@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_web_pages_follow_the_table(world, client_for, sc, viewer):
    client = client_for(viewer)
    case_url = f"/cases/{sc.case.public_id}/"
    r = client.get(case_url)
    listed = client.get("/cases/", {"ref": sc.case.reference})
    if not sees_case(viewer):
        assert r.status_code == 404
        assert str(sc.case.public_id) not in listed.content.decode()  # no link to it (the query itself is echoed)
        for e in sc.entries.values():
            assert client.get(f"{case_url}entries/{e.public_id}/").status_code == 404
        return
    assert r.status_code == 200
    assert str(sc.case.public_id) in listed.content.decode()
    html = r.content.decode()
    items = _html_items(html)
    for (author, classification), e in sc.entries.items():
        want = expect(viewer, author, classification)
        secret = sc.secrets[(author, classification)]
        label = (viewer, author, classification)
        assert (secret in html) is want.readable, label
        if want.readable:
            assert items.get(str(e.public_id)) is False, label
        elif want.marker:
            assert items.get(str(e.public_id)) is True, label
        else:
            assert str(e.public_id) not in items, label
        page = client.get(f"{case_url}entries/{e.public_id}/")
        if want.readable or want.marker:
            assert page.status_code == 200, label
            assert (secret in page.content.decode()) is want.readable, label
        else:
            assert page.status_code == 404, label


@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_the_api_follows_the_table(world, sc, viewer):
    client = world.api(viewer)
    case = f"{API}/cases/{sc.case.public_id}/"
    r = client.get(case)
    listed = client.get(f"{API}/cases/", {"ref": sc.case.reference})
    if not sees_case(viewer):
        assert r.status_code == 404 and r.json()["error"] == "not_found"
        body = listed.content.decode()
        assert sc.case.reference not in body and str(sc.case.public_id) not in body
        assert client.get(f"{case}entries/").status_code == 404
        for e in sc.entries.values():
            assert client.get(f"{case}entries/{e.public_id}/").status_code == 404
        return
    assert r.status_code == 200
    assert str(sc.case.public_id) in listed.content.decode()
    timeline = client.get(f"{case}entries/", {"limit": 100})
    assert timeline.status_code == 200
    raw = timeline.content.decode()
    got = {row["id"]: row for row in timeline.json()["results"]}
    for (author, classification), e in sc.entries.items():
        want = expect(viewer, author, classification)
        secret = sc.secrets[(author, classification)]
        label = (viewer, author, classification)
        assert (secret in raw) is want.readable, label
        row = got.get(str(e.public_id))
        if want.readable:
            assert row is not None and row.get("body") == secret, label
        elif want.marker:
            assert row is not None and row.get("restricted") is True and "body" not in row, label
        else:
            assert row is None, label
        one = client.get(f"{case}entries/{e.public_id}/")
        if want.readable or want.marker:
            assert one.status_code == 200, label
            assert (secret in one.content.decode()) is want.readable, label
        else:
            assert one.status_code == 404, label


def test_the_table_is_large_enough_to_mean_something():
    combinations = len(VIEWERS) * len(ENTRIES)
    assert combinations >= 200
