"""Helpers for the meeting tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone, translation

from utvei.audit.models import AuditEvent
from utvei.cases.models import Case
from utvei.meetings import services
from utvei.meetings.models import Meeting, MeetingDecision

AGENDA = "AGENDA-HEMMELIG: status for skole og jobb"
MINUTES = "REFERAT-HEMMELIG: Petter har begynt på arbeidstrening"
DECISION = "NAV følger opp arbeidstrening"


def fresh(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_related("case", "author_org").get(pk=meeting.pk)


def fresh_decision(decision: MeetingDecision) -> MeetingDecision:
    return MeetingDecision.objects.select_related("meeting", "meeting__case", "task", "owner_org").get(pk=decision.pk)


def set_status(actor: Any, decision: MeetingDecision, status: str) -> MeetingDecision:
    """Mark a decision as a user who has just read it would: with the version it has now."""
    return services.decision_set_status(
        actor=actor, decision=decision, status=status, expected_version=decision.version
    )


def ago(days: int = 1) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def ahead(days: int = 7) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def plan(
    world: Any, case: Case, *, by: str = "kari", attendees: tuple[str, ...] = ("kari", "nils"), **kw: Any
) -> Meeting:
    """A draft meeting called by `by`, with these users (on the team) invited."""
    kw.setdefault("kind", "responsibility_group")
    kw.setdefault("starts_at", ago(1))
    kw.setdefault("agenda", AGENDA)
    return services.meeting_create(
        actor=world.m[by],
        case=case,
        attendees=[(world.m[u].user, world.m[u].organisation) for u in attendees],
        **kw,
    )


def decide(
    world: Any,
    meeting: Meeting,
    *,
    by: str = "kari",
    owner: str | None = "nils",
    org: str | None = None,
    text: str = DECISION,
    due: dt.date | None = None,
) -> MeetingDecision:
    return services.decision_add(
        actor=world.m[by],
        meeting=fresh(meeting),
        text=text,
        due_on=due or timezone.localdate() + dt.timedelta(days=14),
        owner_user=world.m[owner].user if owner else None,
        owner_org=world.orgs[org] if org else None,
    )


def hold(world: Any, meeting: Meeting, *, by: str = "kari", minutes: str = MINUTES, **kw: Any) -> Meeting:
    meeting = fresh(meeting)
    return services.meeting_hold(
        actor=world.m[by], meeting=meeting, expected_version=meeting.version, minutes=minutes, **kw
    )


def held(world: Any, case: Case, *, owners: tuple[str, ...] = ("nils",), **kw: Any) -> Meeting:
    """A held meeting with one decision per owner (each a task)."""
    meeting = plan(world, case, **kw)
    for owner in owners:
        decide(world, meeting, owner=owner, text=f"{DECISION} ({owner})")
    return fresh(hold(world, meeting, by=kw.get("by", "kari")))


def seq() -> int:
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0


def events_since(n: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=n).order_by("seq"))


def assert_no_content(events: list[AuditEvent], *secrets: str) -> None:
    for e in events:
        row = " ".join(str(v) for v in (e.object_type, e.object_id, e.reason, e.case_id, e.action))
        for secret in (AGENDA, MINUTES, DECISION, "HEMMELIG", *secrets):
            assert secret not in row, (e.action, row)


def en(message: Any) -> str:
    """A (lazy) message in English, whatever the test's language."""
    with translation.override("en"):
        return str(message)
