"""The demo story's meeting step (`do: meeting` in tools/data/demo.yaml), told through the meeting services.

A meeting is called by `by` (default: the owning organisation's coordinator) with its attendees and agenda, its
decisions are recorded, and — unless it is `planned` for a day still to come — it is recorded as held with its
minutes, so that every decision becomes a task on the case. Decisions marked `done` have their task done on that
day. Afterwards the timestamps the services set to "now" are moved to the story's date, as the demo loader does
for everything else; the audit log keeps the true time.

    - do: meeting
      at: 120                        # days ago: the meeting was held (or, with `planned`, was called)
      planned: 10                    # optional: days from today it will be held; it stays a planned draft
      by: koordinator                # optional: an account of the organisation that calls it
      kind: responsibility_group     # collaboration | responsibility_group | other
      place: Rådhuset, møterom 2     # optional
      attendees: [koordinator, nav, mentor, {org: fjordvik-skole}]   # accounts on the team, or organisations
      person: true                   # optional: the person took part (default false)
      guardian: false                # optional: a guardian took part (default false)
      classification: team           # optional, default team: who may read the agenda and minutes
      category: plan                 # optional, default plan: the data category of the minutes
      agenda: "…"                    # optional
      minutes: "…"                   # required unless `planned`
      decisions:
        - {text: "…", owner: nav, due: 14}                         # owner: an account on the team
        - {text: "…", org: fjordvik-nav, due: -10, done: 20}       # or an organisation on the team;
                                                                   # due: days from today; done: days ago
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from utvei.accounts.models import Organisation
from utvei.cases import services as case_services
from utvei.cases.models import Case, Task, TaskStatus
from utvei.meetings import services
from utvei.meetings.models import DecisionRevision, Meeting, MeetingDecision, MeetingRevision


def _fresh(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_related("case", "author_org").get(pk=meeting.pk)


def _attendee(loader: Any, spec: Any) -> tuple[Any, Any]:
    if isinstance(spec, dict):
        return None, Organisation.objects.get(slug=spec["org"])
    return loader.m[spec].user, None


def meeting_step(loader: Any, case: Case, step: dict[str, Any]) -> Meeting:
    clock = loader.clock
    at = clock.at(step["at"])
    manager = loader._manager(case, {})
    actor = loader.m[step["by"]] if "by" in step else manager
    planned = "planned" in step
    if planned:
        day = clock.date(step["planned"])
        starts_at = timezone.make_aware(dt.datetime.combine(day, dt.time(13, 0)))
    else:
        starts_at = at
    meeting = services.meeting_create(
        actor=actor,
        case=case,
        kind=step["kind"],
        starts_at=starts_at,
        place=step.get("place", ""),
        agenda=step.get("agenda", ""),
        classification=step.get("classification", "team"),
        category=step.get("category", "plan"),
        attendees=[_attendee(loader, a) for a in step.get("attendees", [])],
        person_present=step.get("person", False),
        guardian_present=step.get("guardian", False),
    )
    decisions: list[tuple[MeetingDecision, dict[str, Any]]] = []
    for d in step.get("decisions", []):
        decision = services.decision_add(
            actor=actor,
            meeting=_fresh(meeting),
            text=d["text"],
            due_on=clock.date(d["due"]),
            owner_user=loader.m[d["owner"]].user if "owner" in d else None,
            owner_org=Organisation.objects.get(slug=d["org"]) if "org" in d else None,
        )
        decisions.append((decision, d))
    if not planned:
        fresh = _fresh(meeting)
        services.meeting_hold(actor=actor, meeting=fresh, expected_version=fresh.version, minutes=step["minutes"])
    recorded = min(at + dt.timedelta(hours=2), clock.now)
    Meeting.objects.filter(pk=meeting.pk).update(
        created_at=at, updated_at=recorded, recorded_at=None if planned else recorded
    )
    MeetingRevision.objects.filter(meeting=meeting).update(saved_at=recorded)
    MeetingDecision.objects.filter(meeting=meeting).update(created_at=recorded, updated_at=recorded)
    DecisionRevision.objects.filter(decision__meeting=meeting).update(saved_at=recorded)
    Task.objects.filter(meeting_decision__meeting=meeting).update(created_at=recorded)
    for decision, d in decisions:
        if "done" not in d:
            continue
        decision.refresh_from_db()
        task = decision.task
        assert task is not None, "a decision marked done needs a held meeting"
        by = loader.m[d["owner"]] if "owner" in d else manager
        case_services.task_set_status(actor=by, task=task, status=TaskStatus.DONE, expected_version=task.version)
        Task.objects.filter(pk=task.pk).update(completed_at=clock.at(d["done"]))
    return _fresh(meeting)
