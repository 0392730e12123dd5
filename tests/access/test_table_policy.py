"""The access table against the policy and the selectors (what every page and endpoint is built on)."""

from __future__ import annotations

import pytest

from utvei.access import policy
from utvei.cases import selectors

from .scenario import build
from .table import ENTRIES, VIEWERS, expect, sees_case


@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_case_visibility_follows_the_table(world, viewer):
    sc = build(world)
    m = world.m[viewer]
    visible = policy.visible_cases(m).filter(pk=sc.case.pk).exists()
    assert visible is sees_case(viewer)
    assert bool(policy.can(m, policy.Act.CASE_VIEW, sc.case)) is sees_case(viewer)
    listed = [c.pk for c in selectors.case_list(actor=m)]
    assert (sc.case.pk in listed) is sees_case(viewer)


@pytest.mark.parametrize("viewer", [v for v in VIEWERS if sees_case(v)])
def test_timeline_follows_the_table(world, viewer):
    sc = build(world)
    ca = selectors.case_get(actor=world.m[viewer], case_id=sc.case.public_id)
    got = {i.entry.pk: i.readable for i in selectors.timeline(ca)}
    for author, classification in ENTRIES:
        e = sc.entries[(author, classification)]
        want = expect(viewer, author, classification)
        if want.readable:
            assert got.get(e.pk) is True, (viewer, author, classification)
        elif want.marker:
            assert got.get(e.pk) is False, (viewer, author, classification)
        else:
            assert e.pk not in got, (viewer, author, classification)


@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_entry_lookup_follows_the_table(world, viewer):
    from utvei.core.errors import NotFound

    sc = build(world)
    for author, classification in ENTRIES:
        e = sc.entries[(author, classification)]
        want = expect(viewer, author, classification) if sees_case(viewer) else None
        if want is None or (not want.readable and not want.marker):
            with pytest.raises(NotFound):
                selectors.entry_get(actor=world.m[viewer], entry_id=e.public_id)
            continue
        item = selectors.entry_get(actor=world.m[viewer], entry_id=e.public_id)
        assert item.readable is want.readable, (viewer, author, classification)
