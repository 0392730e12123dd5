"""Every read of concerns, cases, timeline and tasks. Each takes the principal and goes through `access`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access import policy
from utvei.access.policy import Act, CaseAccess, Decision
from utvei.access.policy import read_reason as _read_reason
from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.audit.services import audit_record
from utvei.core.errors import NotFound
from utvei.core.validation import parse_uuid as _uuid

from .models import Case, Concern, ConcernStatus, Entry, Phase, Task, TaskStatus, TeamMember


def _audit(actor: Membership | None, action: str, **kw: Any) -> None:
    if actor is not None:
        audit_record(action=action, actor=actor.user, organisation=actor.organisation, **kw)


# ---- Cases ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilters:
    track: str = ""
    phase: str = ""
    mine: bool = False
    overdue: bool = False
    include_closed: bool = False
    reference: str = ""


def case_list(*, actor: Membership | None, filters: CaseFilters | None = None, audit: bool = True) -> QuerySet[Case]:
    """Cases the principal may see, filtered; a constant number of queries however many rows."""
    f = filters or CaseFilters()
    qs = policy.visible_cases(actor).select_related("owning_org", "lead", "person")
    if f.track:
        qs = qs.filter(track=f.track)
    if f.phase:
        qs = qs.filter(phase=f.phase)
    elif not f.include_closed:
        qs = qs.exclude(phase=Phase.CLOSED)
    if f.mine and actor is not None:
        now = timezone.now()
        mine = TeamMember.objects.filter(
            case=OuterRef("pk"), user_id=actor.user_id, organisation_id=actor.organisation_id
        ).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=now))
        qs = qs.filter(Exists(mine))
    if f.overdue:
        late = Task.objects.filter(case=OuterRef("pk"), status=TaskStatus.OPEN, due_on__lt=timezone.localdate())
        qs = qs.filter(Exists(late))
    if f.reference:
        ref = f.reference.strip().upper()
        qs = qs.filter(Q(reference=ref) | Q(person__reference=ref))
    if audit:
        _audit(actor, Action.CASE_LOOKUP if f.reference else Action.CASE_LIST)
    return qs.order_by("-opened_at")


def case_get(
    *, actor: Membership | None, case_id: Any, audit_action: str = Action.CASE_VIEW, audit: bool = True
) -> CaseAccess:
    """One case and the principal's standing on it. Missing and forbidden both raise NotFound; both audited.

    audit=False is for writes: the service that follows writes the request's one event.
    """
    pk = _uuid(case_id)
    case = (
        Case.objects.select_related("owning_org", "lead", "person", "previous_case").filter(public_id=pk).first()
        if pk
        else None
    )
    ca = policy.case_access(actor, case) if case is not None else None
    if ca is None:
        _audit(actor, Action.CASE_DENIED, object_type="case", object_id=str(pk or "")[:64], case=case)
        raise NotFound(_("The case was not found."))
    if audit:
        _audit(actor, audit_action, obj=case, case=case, reason=_read_reason(ca))
    return ca


@dataclass(frozen=True)
class TimelineItem:
    entry: Entry
    decision: Decision

    @property
    def readable(self) -> bool:
        return self.decision.allowed


def timeline(ca: CaseAccess) -> list[TimelineItem]:
    """Every entry of the case: readable ones in full, the others as restricted markers only."""
    entries = ca.case.entries.select_related("author", "author_org").order_by("-occurred_at", "-pk")
    items = [TimelineItem(e, policy.entry_decision(ca, e)) for e in entries]
    # A mentor sees only what they may read; they get no markers for the rest of the file.
    if not ca.full:
        items = [i for i in items if i.readable]
    return items


def entry_get(
    *, actor: Membership | None, entry_id: Any, audit_action: str = Action.ENTRY_VIEW, audit: bool = True
) -> TimelineItem:
    pk = _uuid(entry_id)
    entry = (
        Entry.objects.select_related("case", "case__owning_org", "author", "author_org").filter(public_id=pk).first()
        if pk
        else None
    )
    ca = policy.case_access(actor, entry.case) if entry is not None else None
    if entry is None or ca is None:
        _audit(actor, Action.CASE_DENIED, object_type="entry", object_id=str(pk or "")[:64])
        raise NotFound(_("The entry was not found."))
    decision = policy.entry_decision(ca, entry)
    if not decision and not ca.full:
        _audit(actor, Action.CASE_DENIED, obj=entry, case=entry.case)
        raise NotFound(_("The entry was not found."))
    if audit:
        reason = _read_reason(ca, "" if decision else "restricted")
        _audit(actor, audit_action, obj=entry, case=entry.case, reason=reason)
    return TimelineItem(entry, decision)


def entry_revisions(item: TimelineItem) -> list[Any]:
    if not item.readable:
        return []
    return list(item.entry.revisions.select_related("saved_by").order_by("version"))


def team_list(ca: CaseAccess) -> list[TeamMember]:
    return list(TeamMember.objects.current().filter(case=ca.case).select_related("user", "organisation"))


def phase_history(ca: CaseAccess) -> list[Any]:
    if "phase_history" not in policy.header_scope(ca):
        return []
    return list(ca.case.phase_changes.select_related("changed_by"))


def case_tasks(ca: CaseAccess) -> list[Task]:
    tasks = ca.case.tasks.select_related("assignee", "assignee_org").order_by("status", "due_on", "pk")
    return [t for t in tasks if policy.task_visible(ca, t)]


# ---- Tasks ---------------------------------------------------------------------------------------------


def my_tasks(*, actor: Membership | None, include_done: bool = False, audit: bool = True) -> QuerySet[Task]:
    """Tasks assigned to the principal on cases they can still see."""
    if actor is None:
        return Task.objects.none()
    qs = Task.objects.filter(
        assignee_id=actor.user_id, case__in=policy.visible_cases(actor).values("pk")
    ).select_related("case", "assignee")
    if not include_done:
        qs = qs.filter(status=TaskStatus.OPEN)
    if audit:
        _audit(actor, Action.TASK_LIST)
    return qs.order_by("due_on", "pk")


def task_get(*, actor: Membership | None, task_id: Any, audit: bool = True) -> tuple[Task, CaseAccess]:
    pk = _uuid(task_id)
    task = Task.objects.select_related("case", "case__owning_org").filter(public_id=pk).first() if pk else None
    ca = policy.case_access(actor, task.case) if task is not None else None
    if task is None or ca is None or not policy.task_visible(ca, task):
        _audit(actor, Action.CASE_DENIED, object_type="task", object_id=str(pk or "")[:64])
        raise NotFound(_("The task was not found."))
    if audit:
        _audit(actor, Action.TASK_VIEW, obj=task, case=task.case, reason=_read_reason(ca))
    return task, ca


# ---- Concerns ------------------------------------------------------------------------------------------


def intake_queue(*, actor: Membership | None, include_triaged: bool = False, audit: bool = True) -> QuerySet[Concern]:
    qs = policy.visible_concerns(actor).select_related("reporter_org", "receiving_org", "case")
    if not include_triaged:
        qs = qs.filter(status=ConcernStatus.RECEIVED)
    if audit:
        _audit(actor, Action.CONCERN_LIST)
    if include_triaged:
        return qs.order_by("-received_at")
    rank = SqlCase(When(urgency="acute", then=Value(0)), When(urgency="soon", then=Value(1)), default=Value(2))
    return qs.order_by(rank, "received_at")


def my_receipts(*, actor: Membership | None, audit: bool = True) -> QuerySet[Concern]:
    """The concerns this principal submitted (receipts)."""
    if audit:
        _audit(actor, Action.RECEIPT_LIST)
    return policy.own_concerns(actor).select_related("receiving_org").order_by("-received_at")


def concern_get(*, actor: Membership | None, concern_id: Any, for_triage: bool = False, audit: bool = True) -> Concern:
    pk = _uuid(concern_id)
    concern = (
        Concern.objects.select_related("reporter_org", "receiving_org", "case").filter(public_id=pk).first()
        if pk
        else None
    )
    action = Act.CONCERN_TRIAGE if for_triage else Act.CONCERN_READ
    if concern is None or not policy.can(actor, action, concern):
        _audit(actor, Action.CASE_DENIED, object_type="concern", object_id=str(pk or "")[:64])
        raise NotFound(_("The concern was not found."))
    if audit:
        _audit(actor, Action.CONCERN_VIEW, obj=concern, case=concern.case)
    return concern
