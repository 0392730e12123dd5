"""The demo story's network step (`do: network`, format in tools/demo/network.py), with a stand-in for the loader."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from utvei.cases import selectors as case_selectors
from utvei.cases.models import TeamRole
from utvei.network import selectors
from utvei.network.models import Contact, Observation
from utvei.tools.demo.network import network_step
from utvei.tools.management.commands.demo import StoryClock


class Loader:
    """What network_step uses of the demo loader: the clock, the accounts and the case's coordinator."""

    def __init__(self, world: Any) -> None:
        self.clock = StoryClock()
        self.m = world.m

    def _manager(self, case: Any, step: dict[str, Any]) -> Any:
        return self.m[step.get("by", "kari")]


def test_a_network_told_over_a_year(world):
    case = world.open_case()
    world.add(case, "nils")
    world.add(case, "mona", role=TeamRole.MENTOR)
    loader = Loader(world)
    network_step(
        loader,
        case,
        {
            "at": 400,
            "ties": [
                {"key": "mor", "label": "Mor", "relation": "parent", "valence": "ambivalent", "closeness": 2},
                {
                    "key": "jk",
                    "label": "J.K.",
                    "relation": "milieu_peer",
                    "valence": "risk",
                    "closeness": 3,
                    "frequency": "daily",
                    "note": "Bestevenn i miljøet",
                },
                {
                    "key": "nav",
                    "label": "Veileder",
                    "relation": "professional",
                    "org": "nav",
                    "valence": "supportive",
                    "closeness": 2,
                },
            ],
        },
    )
    network_step(loader, case, {"at": 200, "ties": [{"key": "jk", "closeness": 1, "frequency": "rarely"}]})
    network_step(
        loader,
        case,
        {"at": 30, "by": "nils", "ties": [{"key": "jk", "ended": True}, {"key": "mor", "valence": "supportive"}]},
    )
    assert Contact.objects.filter(case=case).count() == 3
    jk = Contact.objects.get(case=case, relation="milieu_peer")
    history = list(jk.observations.order_by("observed_on"))
    assert [(o.valence, o.closeness, o.frequency, o.ended) for o in history] == [
        ("risk", 3, "daily", False),
        ("risk", 1, "rarely", False),  # valence carried over
        ("risk", 1, "rarely", True),
    ]
    today = loader.clock.today
    assert [o.observed_on for o in history] == [today - dt.timedelta(days=d) for d in (400, 200, 30)]
    assert history[-1].author_org.slug == "nav"
    assert jk.created_at.date() <= today - dt.timedelta(days=399)  # stamped with the story's date
    assert all(o.created_at < loader.clock.now for o in Observation.objects.filter(contact__case=case))
    assert Contact.objects.get(case=case, relation="professional").organisation.slug == "nav"

    ca = case_selectors.case_get(actor=world.m["kari"], case_id=case.public_id, audit=False)
    comparison = selectors.compare(ca, today - dt.timedelta(days=365), today)
    kinds = {(c.kind, c.tie.label) for c in comparison.changes}
    assert ("ended", "J.K.") in kinds and ("valence", "Mor") in kinds


def test_an_unknown_key_without_label_is_a_story_error(world):
    case = world.open_case()
    with pytest.raises(KeyError):
        network_step(Loader(world), case, {"at": 10, "ties": [{"key": "nobody", "valence": "risk"}]})
