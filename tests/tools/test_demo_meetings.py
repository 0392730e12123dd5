"""The demo story's meeting step (`do: meeting`, format in tools/demo/meetings.py), with a stand-in for the loader."""

from __future__ import annotations

from typing import Any

from utvei.cases.models import Task, TaskOrigin, TeamRole
from utvei.meetings.models import DecisionState, MeetingStatus
from utvei.tools.demo.meetings import meeting_step
from utvei.tools.management.commands.demo import StoryClock


class Loader:
    """What meeting_step uses of the demo loader: the clock, the accounts and the case's coordinator."""

    def __init__(self, world: Any) -> None:
        self.clock = StoryClock()
        self.m = world.m
        self.world = world

    def _manager(self, case: Any, step: dict[str, Any]) -> Any:
        return self.m[step.get("by", "kari")]


STEP = {
    "do": "meeting",
    "at": 40,
    "kind": "responsibility_group",
    "place": "Rådhuset",
    "attendees": ["kari", "nils", "mona", {"org": "skole"}],
    "person": True,
    "agenda": "Skole og jobb",
    "minutes": "Arbeidstrening starter i mai.",
    "decisions": [
        {"text": "NAV ordner arbeidstrening", "owner": "nils", "due": -10},
        {"text": "Mentor møter ham hver tirsdag", "owner": "mona", "due": 20, "done": 5},
        {"text": "Kommunen ser på bolig", "org": "kommune", "due": 30},
    ],
}


def test_a_held_meeting_with_decisions_on_the_storys_dates(world):
    case = world.open_case()
    world.add(case, "nils")
    world.add(case, "mona", role=TeamRole.MENTOR)
    loader = Loader(world)
    meeting = meeting_step(loader, case, STEP)
    assert meeting.status == MeetingStatus.HELD and meeting.person_present and meeting.place == "Rådhuset"
    assert (loader.clock.now - meeting.starts_at).days >= 39
    assert meeting.created_at == meeting.starts_at and meeting.recorded_at < loader.clock.now
    states = {d.text: d.state for d in meeting.decisions.select_related("task")}
    assert states == {
        "NAV ordner arbeidstrening": DecisionState.OVERDUE,
        "Mentor møter ham hver tirsdag": DecisionState.DONE,
        "Kommunen ser på bolig": DecisionState.OPEN,
    }
    tasks = Task.objects.filter(case=case, origin=TaskOrigin.MEETING)
    assert tasks.count() == 3 and all(t.created_at < loader.clock.now for t in tasks)
    assert sorted(a.key for a in meeting.attendees.all()) == ["@skole", "kari@kommune", "mona@ngo", "nils@nav"]


def test_a_planned_meeting_stays_a_draft_with_proposed_decisions(world):
    case = world.open_case()
    world.add(case, "nils")
    step = {
        "at": 2,
        "planned": 12,
        "kind": "collaboration",
        "attendees": ["kari", "nils"],
        "decisions": [{"text": "Forslag", "owner": "nils", "due": 40}],
    }
    meeting = meeting_step(Loader(world), case, step)
    assert meeting.status == MeetingStatus.DRAFT and meeting.recorded_at is None
    assert meeting.decisions.get().state == DecisionState.PROPOSED
    assert not Task.objects.filter(case=case, origin=TaskOrigin.MEETING).exists()
