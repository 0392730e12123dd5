"""Every read of concerns, cases, timeline and tasks. Each takes the principal and goes through `access`."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access import policy
from utvei.access.attachments import attachment_read_decision, owner_read_decision
from utvei.access.policy import Act, CaseAccess, Decision
from utvei.access.policy import read_reason as _read_reason
from utvei.accounts.models import Membership, Organisation
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.core.crypto import KeyringError, blind_index, decrypt_bytes
from utvei.core.errors import NotFound
from utvei.core.pagination import Counted, KeysetPage, Merged, counted, encode, keyset_page
from utvei.core.validation import parse_uuid as _uuid
from utvei.people import index as person_index
from utvei.people.models import Person, PersonToken
from utvei.people.services import NIN_CONTEXT

from .models import (
    Attachment,
    AttachmentBlob,
    Case,
    Concern,
    ConcernHandoff,
    ConcernQuestion,
    ConcernStatus,
    Entry,
    ParallelInquiry,
    Phase,
    RetentionState,
    Task,
    TaskStatus,
    TeamMember,
    attachment_blob_context,
)

# ---- Cases ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilters:
    track: str = ""
    phase: str = ""
    mine: bool = False
    overdue: bool = False
    include_closed: bool = False
    reference: str = ""
    query: str = ""


def _narrowed(qs: QuerySet[Case], f: CaseFilters, named: list[int] | None) -> QuerySet[Case]:
    if named is not None:
        qs = qs.filter(pk__in=named)
    if f.track:
        qs = qs.filter(track=f.track)
    if f.phase:
        qs = qs.filter(phase=f.phase)
    elif not f.include_closed:
        qs = qs.exclude(phase=Phase.CLOSED)
    if f.overdue:
        late = Task.objects.filter(case=OuterRef("pk"), status=TaskStatus.OPEN, due_on__lt=timezone.localdate())
        qs = qs.filter(Exists(late))
    return qs


# A search by name or birth date reads at most this many of the principal's matching cases.
SEARCH_LIMIT = 200
_REFERENCE = re.compile(r"^[A-Z]{2,5}-\d{4}-\d+(-\d+)?$")


def _named(actor: Membership | None, f: CaseFilters) -> list[int] | None:
    """The cases a reference or a search names; None: neither given.

    A reference (a case's or a person's) is looked up in the reference indexes. A search (`query`) is a
    reference, an identity number (its blind index) or words of a name and dates of birth (the keyed token index,
    people/index.py): candidates among the cases the principal may see, kept only where they may read the
    identity (`policy.identity_readable`) and the decrypted name confirms the match — so a search by name never
    reveals, by what it finds, the identity of a case the principal sees only by its reference.
    """
    ref = f.reference.strip().upper()
    query = f.query.strip()
    if not ref and _REFERENCE.match(query.upper()):
        ref = query.upper()
    if ref:
        person = Person.objects.filter(reference=ref).values("pk")
        named = Case.objects.filter(Q(reference=ref) | Q(person_id__in=person)).order_by()
        return list(named.values_list("pk", flat=True)[:100])
    if not query:
        return None
    words = query.split()
    nin = "".join(words)
    if re.fullmatch(r"\d{11}", nin):
        persons: QuerySet[Person, Any] = Person.objects.filter(
            national_id_index=blind_index(nin, context=NIN_CONTEXT)
        ).values("pk")
        words = []
    else:
        groups = person_index.query_groups(words)
        if not groups:
            return []
        persons = _with_tokens(groups).values("pk")
    found = list(
        policy.visible_cases(actor)
        .filter(person_id__in=persons)
        .select_related("person", "owning_org")
        .order_by("-opened_at", "-pk")[:SEARCH_LIMIT]
    )
    readable = policy.identity_readable(actor, found)
    return [
        c.pk
        for c in found
        if c.pk in readable and (not words or person_index.name_matches(words, c.person.full_name, c.person.birth_date))
    ]


def _with_tokens(groups: list[set[int]]) -> QuerySet[Person]:
    """Persons with a token of every group: each group read on the token index (`token` first), so the cost
    follows the matches, not the number of persons."""
    persons = Person.objects.all()
    for group in groups:
        persons = persons.filter(pk__in=PersonToken.objects.filter(token__in=sorted(group)).values("person_id"))
    return persons


def _lookup_action(f: CaseFilters) -> str:
    return Action.CASE_LOOKUP if f.reference or f.query else Action.CASE_LIST


def label_people(actor: Membership | None, cases: Iterable[Case]) -> None:
    """Give each case `person_label`: the person's name where the principal may read who the case is about and the
    identity is not protected, else "" and the reference stands alone. A constant number of queries: the
    relations (`policy.listed_names`), and the persons not loaded with their cases."""
    cases = [c for c in cases if c is not None]
    readable = policy.listed_names(actor, cases)
    shown = [c for c in cases if c.pk in readable]
    deferred = [c.pk for c in shown if "person_id" in c.get_deferred_fields()]  # lists that load few columns
    person_of = dict(Case.objects.filter(pk__in=deferred).values_list("pk", "person_id")) if deferred else {}
    for c in shown:
        if c.pk not in person_of:
            person_of[c.pk] = c.person_id
    missing = {person_of[c.pk] for c in shown if not Case.person.is_cached(c)}
    loaded = Person.objects.in_bulk(missing) if missing else {}
    for case in cases:
        label = ""
        if case.pk in readable:
            label = (case.person if Case.person.is_cached(case) else loaded[person_of[case.pk]]).label
        case.person_label = label  # type: ignore[attr-defined]


def case_list(*, actor: Membership | None, filters: CaseFilters | None = None, audit: bool = True) -> QuerySet[Case]:
    """Cases the principal may see, filtered, newest first, as one queryset (the API's offset pages, exports).
    The pages of the web list read it in parts: `case_page`."""
    f = filters or CaseFilters()
    qs = _narrowed(policy.visible_cases(actor), f, _named(actor, f))
    if f.mine and actor is not None:
        qs = qs.filter(pk__in=policy.visible_parts(actor, team_only=True)[0].values("pk"))
    if audit:
        audit_by(actor, _lookup_action(f))
    return qs.select_related("owning_org", "lead", "person").order_by("-opened_at", "-pk")


@dataclass(frozen=True)
class CasePage:
    page: KeysetPage[Case]
    count: Counted


def case_page(
    *,
    actor: Membership | None,
    filters: CaseFilters | None = None,
    params: Mapping[str, str] | None = None,
    size: int = 50,
    count: bool = True,
    audit: bool = True,
) -> CasePage:
    """One page of the cases the principal may see, filtered, newest first, and how many there are (up to 1,000).

    Each part of the visible set (`policy.visible_parts`) is read on its own index from where the page starts,
    and a reference is looked up in the reference indexes first: a constant number of queries, and a cost that
    follows the page, not the country.
    """
    f = filters or CaseFilters()
    named = _named(actor, f)
    parts = [_narrowed(p, f, named) for p in policy.visible_parts(actor, team_only=f.mine)]
    page = keyset_page(parts, params or {}, size=size, load=_case_rows)
    total = counted(parts) if count else Counted(len(page.rows), not page.is_last)
    if audit:
        audit_by(actor, _lookup_action(f))
    return CasePage(page, total)


def case_rows(*, actor: Membership | None, filters: CaseFilters | None = None, audit: bool = True) -> Merged[Case]:
    """The cases the principal may see, filtered, newest first, for offset pages (the API): sliced and counted part
    by part (`policy.visible_parts`, which do not overlap), so the first pages and the count cost what the
    principal may see, not the country."""
    f = filters or CaseFilters()
    named = _named(actor, f)
    parts = [_narrowed(p, f, named) for p in policy.visible_parts(actor, team_only=f.mine)]
    if audit:
        audit_by(actor, _lookup_action(f))
    return Merged(parts, _case_rows, "opened_at")


def _case_rows(pks: list[Any]) -> QuerySet[Case]:
    return Case.objects.filter(pk__in=pks).select_related("owning_org", "lead", "person")


_CASE_RELATED = ("owning_org", "lead", "person", "previous_case", "next_case")


def case_get(
    *, actor: Membership | None, case_id: Any, audit_action: str = Action.CASE_VIEW, audit: bool = True
) -> CaseAccess:
    """One case and the principal's standing on it. Missing and forbidden both raise NotFound; both audited.

    audit=False is for writes: the service that follows writes the request's one event.
    """
    pk = _uuid(case_id)
    case = (
        Case.objects.select_related("owning_org", "lead", "person", "previous_case", "next_case")
        .filter(public_id=pk)
        .first()
        if pk
        else None
    )
    ca = policy.case_access(actor, case) if case is not None else None
    if ca is None:
        audit_by(actor, Action.CASE_DENIED, object_type="case", object_id=str(pk or "")[:64], case=case)
        raise NotFound(_("The case was not found."))
    if audit:
        audit_by(actor, audit_action, obj=case, case=case, reason=_read_reason(ca))
    return ca


@dataclass(frozen=True)
class TimelineItem:
    entry: Entry
    decision: Decision
    author_shown: bool = True  # a marker names its author organisation only where that is not itself restricted

    @property
    def readable(self) -> bool:
        return self.decision.allowed


def _item(ca: CaseAccess, entry: Entry, decision: Decision | None = None) -> TimelineItem:
    decision = decision if decision is not None else policy.entry_decision(ca, entry)
    shown = decision.allowed or policy.membership_visible(ca, entry.author_org)
    return TimelineItem(entry, decision, shown)


# What a timeline item shows beside the entry: its author, and the concern it carries into the case, if any.
ENTRY_RELATED = ("author", "author_org", "source_concern__reporter_org")


def timeline(ca: CaseAccess) -> list[TimelineItem]:
    """Every entry of the case: readable ones in full, the others as restricted markers only."""
    entries = ca.case.entries.select_related(*ENTRY_RELATED).order_by("-occurred_at", "-pk")
    items = [_item(ca, e) for e in entries]
    # A mentor sees only what they may read; they get no markers for the rest of the file.
    if not ca.full:
        items = [i for i in items if i.readable]
    return items


@dataclass(frozen=True)
class TimelineFilters:
    """What the viewer narrows the timeline to. Each part only narrows what `access` already shows; a restricted
    marker matches by what it shows (kind, date, and its author organisation where that is shown), never by what
    it hides: a marker never matches a classification, nor an organisation it does not name."""

    kind: str = ""
    organisation_id: int | None = None
    classification: str = ""
    since: dt.date | None = None  # from this day on (local time)
    until: dt.date | None = None  # up to and including this day

    @property
    def active(self) -> bool:
        return self != TimelineFilters()


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _filtered_entries(entries: QuerySet[Entry], f: TimelineFilters) -> QuerySet[Entry]:
    if f.kind:
        entries = entries.filter(kind=f.kind)
    if f.organisation_id is not None:
        entries = entries.filter(author_org_id=f.organisation_id)
    if f.classification:
        entries = entries.filter(classification=f.classification)
    if f.since is not None:
        entries = entries.filter(occurred_at__gte=_day_start(f.since))
    if f.until is not None:
        entries = entries.filter(occurred_at__lt=_day_start(f.until + dt.timedelta(days=1)))
    return entries


def _shown(ca: CaseAccess, item: TimelineItem, f: TimelineFilters) -> bool:
    """Does the item belong on this viewer's filtered timeline? Readable entries matched in full; a marker only to
    a viewer who gets markers, and only by its visible metadata."""
    if item.readable:
        return True
    if not ca.full or f.classification:
        return False
    return f.organisation_id is None or item.author_shown


def timeline_page(
    ca: CaseAccess, params: Mapping[str, str], *, size: int, filters: TimelineFilters | None = None
) -> tuple[list[TimelineItem], KeysetPage[Entry]]:
    """A page of the timeline, newest first (`?after=` / `?before=` / `?at=oldest`, as core.pagination reads them):
    a case with 2,000 entries costs what one with 20 does. `filters` narrow it (kind, author organisation,
    classification, period).

    A viewer who gets no restricted markers (a mentor), or whose filter leaves markers out, is never shown a page
    of nothing: their page reads on until it holds `size` entries they are shown, or the timeline ends, so a page
    says nothing of what they may not see.
    """
    f = filters or TimelineFilters()
    entries = _filtered_entries(ca.case.entries.all(), f)
    page = keyset_page([entries], params, size=size, load=_entry_rows, field="occurred_at")
    items = [_item(ca, e) for e in page.rows]
    if ca.full and not (f.classification or f.organisation_id is not None):
        return items, page
    readable = [i for i in items if _shown(ca, i, f)]
    backward = params.get("at") == "oldest" or ("before" in params and "after" not in params)
    last = page
    for _round in range(100):  # each round reads `size` more entries
        cursor = last.newer if backward else last.older
        if len(readable) >= size or cursor is None:
            break
        step = {"before" if backward else "after": cursor}
        last = keyset_page([entries], step, size=size, load=_entry_rows, field="occurred_at")
        more = [_item(ca, e) for e in last.rows]
        seen = [i for i in more if _shown(ca, i, f)]
        readable = seen + readable if backward else readable + seen
    rows = [i.entry for i in readable]
    head, tail = (last, page) if backward else (page, last)
    merged = KeysetPage(rows, older=tail.older, newer=head.newer, is_first=head.is_first, is_last=tail.is_last)
    if rows:
        merged = KeysetPage(
            rows,
            older=encode(rows[-1].occurred_at, rows[-1].pk) if tail.older else None,
            newer=encode(rows[0].occurred_at, rows[0].pk) if head.newer else None,
            is_first=head.is_first,
            is_last=tail.is_last,
        )
    return readable, merged


def _entry_rows(pks: list[Any]) -> QuerySet[Entry]:
    return Entry.objects.filter(pk__in=pks).select_related(*ENTRY_RELATED)


def entry_get(
    *, actor: Membership | None, entry_id: Any, audit_action: str = Action.ENTRY_VIEW, audit: bool = True
) -> TimelineItem:
    pk = _uuid(entry_id)
    entry = (
        Entry.objects.select_related("case", "case__owning_org", *ENTRY_RELATED).filter(public_id=pk).first()
        if pk
        else None
    )
    ca = policy.case_access(actor, entry.case) if entry is not None else None
    if entry is None or ca is None:
        audit_by(actor, Action.CASE_DENIED, object_type="entry", object_id=str(pk or "")[:64])
        raise NotFound(_("The entry was not found."))
    decision = policy.entry_decision(ca, entry)
    if not decision and not ca.full:
        audit_by(actor, Action.CASE_DENIED, obj=entry, case=entry.case)
        raise NotFound(_("The entry was not found."))
    if audit:
        reason = _read_reason(ca, "" if decision else "restricted")
        audit_by(actor, audit_action, obj=entry, case=entry.case, reason=reason)
    return _item(ca, entry, decision)


@dataclass(frozen=True)
class _Version:
    """A saved version as the policy reads an item: the entry's author, the version's compartment and category."""

    author_id: Any
    author_org_id: Any
    classification: str
    category: str


def entry_revisions(actor: Membership | None, item: TimelineItem) -> list[Any]:
    """The saved versions of an entry the principal may read, each decided on its own classification and category:
    a version written in the police compartment stays there after the entry is moved to the team."""
    if not item.readable:
        return []
    ca = policy.case_access(actor, item.entry.case)
    if ca is None:
        return []
    entry = item.entry
    revisions = entry.revisions.select_related("saved_by").order_by("version")
    return [
        r
        for r in revisions
        if policy.entry_decision(ca, _Version(entry.author_id, entry.author_org_id, r.classification, r.category))
    ]


class TeamList(list[TeamMember]):
    """The team members the principal may see; `restricted`: someone else takes part, for an organisation whose
    very membership the principal has no basis to know of (`policy.membership_visible`)."""

    restricted: bool = False


def team_list(ca: CaseAccess) -> TeamList:
    """The current team as the principal may see it (the page, the API, the export, every form's choices)."""
    rows = TeamMember.objects.current().filter(case=ca.case).select_related("user", "organisation")
    team = TeamList()
    for member in rows:
        if policy.membership_visible(ca, member.organisation):
            team.append(member)
        else:
            team.restricted = True
    return team


def phase_history(ca: CaseAccess) -> list[Any]:
    if "phase_history" not in policy.header_scope(ca):
        return []
    return list(ca.case.phase_changes.select_related("changed_by"))


def case_tasks(ca: CaseAccess) -> list[Task]:
    """The case's tasks the principal may know of; the words of those they may not read are blanked (`restricted`)."""
    tasks = ca.case.tasks.select_related("assignee", "assignee_org").order_by("status", "due_on", "pk")
    return [restrict_task(ca, t) for t in tasks if policy.task_visible(ca, t)]


def restrict_task(ca: CaseAccess, task: Task) -> Task:
    """The task as the principal may see it: without its words when `policy.task_read_decision` says no."""
    if not policy.task_read_decision(ca, task):
        task.title = ""
        task.restricted = True
    return task


def dashboard_audit(*, actor: Membership) -> None:
    """The dashboard's one event: it lists the principal's tasks, their cases and what is overdue on them."""
    audit_by(actor, Action.CASE_LIST, reason="dashboard")


# ---- Tasks ---------------------------------------------------------------------------------------------


def my_tasks(*, actor: Membership | None, include_done: bool = False, audit: bool = True) -> QuerySet[Task]:
    """Tasks assigned to the principal on cases they can still see."""
    if actor is None:
        return Task.objects.none()
    visible = policy.visible_q(actor, "case")
    if visible is None:
        return Task.objects.none()
    qs = Task.objects.filter(visible, assignee_id=actor.user_id).select_related("case", "assignee")
    if not include_done:
        qs = qs.filter(status=TaskStatus.OPEN)
    if audit:
        audit_by(actor, Action.TASK_LIST)
    return qs.order_by("due_on", "pk")


def task_get(*, actor: Membership | None, task_id: Any, audit: bool = True) -> tuple[Task, CaseAccess]:
    pk = _uuid(task_id)
    task = Task.objects.select_related("case", "case__owning_org").filter(public_id=pk).first() if pk else None
    ca = policy.case_access(actor, task.case) if task is not None else None
    if task is None or ca is None or not policy.task_visible(ca, task):
        audit_by(actor, Action.CASE_DENIED, object_type="task", object_id=str(pk or "")[:64])
        raise NotFound(_("The task was not found."))
    restrict_task(ca, task)
    if audit:
        reason = _read_reason(ca, "restricted" if task.restricted else "")
        audit_by(actor, Action.TASK_VIEW, obj=task, case=task.case, reason=reason)
    return task, ca


# ---- Concerns ------------------------------------------------------------------------------------------


def intake_queue(*, actor: Membership | None, include_triaged: bool = False, audit: bool = True) -> QuerySet[Concern]:
    qs = policy.visible_concerns(actor).select_related("reporter_org", "receiving_org", "case", "taken_by")
    if not include_triaged:
        qs = qs.filter(status=ConcernStatus.RECEIVED)
    if audit:
        audit_by(actor, Action.CONCERN_LIST)
    if include_triaged:
        return qs.order_by("-received_at")
    rank = SqlCase(When(urgency="acute", then=Value(0)), When(urgency="soon", then=Value(1)), default=Value(2))
    return qs.order_by(rank, "received_at")


def my_receipts(*, actor: Membership | None, audit: bool = True) -> QuerySet[Concern]:
    """The concerns this principal submitted (receipts)."""
    if audit:
        audit_by(actor, Action.RECEIPT_LIST)
    return policy.own_concerns(actor).select_related("receiving_org").order_by("-received_at")


# ---- The same person elsewhere (issue 13, deliverable 2) -----------------------------------------------


@dataclass(frozen=True)
class ParallelCases:
    """Another organisation's open cases for (probably) the same person: which organisation and how it matched.
    The cases themselves stay with the service that asks the owner (`parallel_ask`): never shown to the asker."""

    organisation: Organisation
    by_national_id: bool
    cases: tuple[int, ...]


def _same_person(national_id: str, full_name: str, birth_date: str) -> tuple[set[int], set[int]]:
    """Persons with this identity number (the blind index), and persons with this name and birth date (the token
    index, confirmed against the decrypted name): two sets of person pks."""
    by_nin: set[int] = set()
    if national_id:
        index = blind_index(national_id, context=NIN_CONTEXT)
        by_nin = set(Person.objects.filter(national_id_index=index).values_list("pk", flat=True))
    by_name: set[int] = set()
    words = full_name.split()
    if words and birth_date:
        persons = _with_tokens(person_index.query_groups([*words, birth_date]))
        for person in persons.only("pk", "full_name", "birth_date")[:50]:
            if person.birth_date == birth_date and person_index.name_matches(words, person.full_name, ""):
                by_name.add(person.pk)
    return by_nin, by_name


def parallel_cases(
    *, actor: Membership, concern: Concern | None = None, ca: CaseAccess | None = None
) -> list[ParallelCases]:
    """Open cases owned by other organisations, for the person a concern names or a case is about, where the
    principal's organisation is not already on the team. Empty unless the principal may check
    (`policy.parallel_check_decision`) and, for a case, is a coordinator of its owner (the requests are theirs to
    make: `policy.parallel_inquiries_decision`); a check that finds something is audited (which organisations, no
    more)."""
    if not policy.parallel_check_decision(actor):
        return []
    if ca is not None and not policy.parallel_inquiries_decision(ca):
        return []
    case = ca.case if ca is not None else None
    if concern is not None:
        if concern.anonymous:
            return []
        nin, name, born = concern.subject_national_id, concern.subject_name, concern.subject_birth_date
        own: set[int] = set()
    elif case is not None:
        person = case.person
        nin, name, born = person.national_id, person.full_name, person.birth_date
        own = {case.pk}
    else:
        return []
    by_nin, by_name = _same_person(nin, name, born)
    if case is not None:
        by_nin.add(case.person_id)  # the same registered person
    if not by_nin and not by_name:
        return []
    ours = TeamMember.objects.current().filter(organisation_id=actor.organisation_id).values("case_id")
    open_cases = (
        Case.objects.filter(person_id__in=by_nin | by_name, retention_state=RetentionState.ACTIVE)  # not a sperret one
        .exclude(phase=Phase.CLOSED)
        .exclude(owning_org_id=actor.organisation_id)
        .exclude(pk__in=own)
        .exclude(pk__in=ours)
        .select_related("owning_org")
        .order_by("owning_org__name", "pk")
    )
    found: dict[int, ParallelCases] = {}
    for other in open_cases[:100]:
        seen = found.get(other.owning_org_id)
        nin_match = other.person_id in by_nin or bool(seen and seen.by_national_id)
        pks = (*(seen.cases if seen else ()), other.pk)
        found[other.owning_org_id] = ParallelCases(other.owning_org, nin_match, pks)
    result = list(found.values())
    if result:
        audit_by(
            actor,
            Action.PARALLEL_CHECK,
            obj=concern if concern is not None else None,
            case=case,
            reason=",".join(sorted(p.organisation.slug for p in result))[:200],
        )
    return result


def parallel_inquiries(ca: CaseAccess) -> list[ParallelInquiry]:
    """Other organisations' open requests to collaborate on this case, for its owner's coordinators."""
    if not policy.parallel_inquiries_decision(ca):
        return []
    qs = ParallelInquiry.objects.filter(case=ca.case, handled_at__isnull=True)
    return list(qs.select_related("asking_org", "asked_by").order_by("asked_at", "pk"))


def concern_questions(concern: Concern) -> list[ConcernQuestion]:
    """The questions asked about a concern the principal has just been let read (`concern_get`), oldest first."""
    return list(concern.questions.select_related("asked_by_org"))


def concern_handoff(concern: Concern) -> ConcernHandoff | None:
    """Where a concern the principal has just been let read (`concern_get`) was passed on to, if anywhere."""
    return ConcernHandoff.objects.filter(concern=concern).select_related("to_org", "handed_by_org").first()


def concern_get(*, actor: Membership | None, concern_id: Any, for_triage: bool = False, audit: bool = True) -> Concern:
    pk = _uuid(concern_id)
    concern = (
        Concern.objects.select_related("reporter_org", "receiving_org", "case").filter(public_id=pk).first()
        if pk
        else None
    )
    action = Act.CONCERN_TRIAGE if for_triage else Act.CONCERN_READ
    if concern is None or not policy.can(actor, action, concern):
        audit_by(actor, Action.CASE_DENIED, object_type="concern", object_id=str(pk or "")[:64])
        raise NotFound(_("The concern was not found."))
    if audit:
        audit_by(actor, Action.CONCERN_VIEW, obj=concern, case=concern.case)
    return concern


# ---- Attachments ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentItem:
    """An attachment as the principal may see it: in full (name, type, size, date, author organisation) when
    readable; else a marker (date and, where that is not itself restricted, the author organisation)."""

    attachment: Attachment
    decision: Decision
    author_shown: bool = True

    @property
    def readable(self) -> bool:
        return self.decision.allowed


_OWNER_FIELD = {"entry": "entry", "meeting": "meeting", "consent": "consent"}


def attachments_for(ca: CaseAccess, owners: list[Any]) -> dict[int, list[AttachmentItem]]:
    """The attachments of these owners (all entries, all meetings or all consents of the case `ca.case`) that the
    principal may see, keyed by owner pk: readable ones in full, the others as markers where the entry rule gives
    one; none for an owner the principal may not read. One query, however many owners and attachments (a
    meeting's attendees prefetched, the case's bases loaded once)."""
    out: dict[int, list[AttachmentItem]] = {o.pk: [] for o in owners}
    if not owners:
        return out
    kind = owners[0]._meta.model_name
    field = _OWNER_FIELD[kind]
    by_pk = {o.pk: o for o in owners}
    rows = Attachment.objects.filter(case=ca.case, **{f"{field}_id__in": list(by_pk)}).select_related("author_org")
    owner_decisions: dict[int, Decision] = {}
    for att in rows.order_by("uploaded_at", "pk"):
        owner = by_pk[getattr(att, f"{field}_id")]
        setattr(att, field, owner)
        if owner.pk not in owner_decisions:
            owner_decisions[owner.pk] = owner_read_decision(ca, att)
        decision = attachment_read_decision(ca, att, owner_decisions[owner.pk])
        if decision.allowed or (decision.restricted_marker and owner_decisions[owner.pk].allowed):
            shown = decision.allowed or policy.membership_visible(ca, att.author_org)
            out[owner.pk].append(AttachmentItem(att, decision, shown))
    return out


def attachment_get(*, actor: Membership | None, attachment_id: Any) -> tuple[AttachmentItem, bytes]:
    """One attachment's content, for its download: only when the principal may read both its owner and itself
    (access/attachments.py). Missing and forbidden both raise NotFound (the refusal audited as `case.denied`); a
    download is audited as `attachment.download`, never with the name or content."""
    pk = _uuid(attachment_id)
    att = (
        Attachment.objects.select_related(
            "case",
            "case__owning_org",
            "author_org",
            "entry",
            "entry__author_org",
            "meeting",
            "meeting__author_org",
            "consent",
        )
        .prefetch_related("meeting__attendees")
        .filter(public_id=pk)
        .first()
        if pk
        else None
    )
    ca = policy.case_access(actor, att.case) if att is not None else None
    decision = attachment_read_decision(ca, att) if att is not None and ca is not None else None
    if att is None or ca is None or decision is None or not decision:
        audit_by(
            actor,
            Action.CASE_DENIED,
            object_type="attachment",
            object_id=str(pk or "")[:64],
            case=att.case if att is not None and ca is not None else None,
        )
        raise NotFound(_("The file was not found."))
    blob = AttachmentBlob.objects.filter(attachment=att).first()
    try:
        data = (
            decrypt_bytes(bytes(blob.data), context=attachment_blob_context(att.public_id))
            if blob is not None
            else None
        )
    except KeyringError:
        data = None
    if data is None or hashlib.sha256(data).hexdigest() != att.sha256:
        raise NotFound(_("The file was not found."))
    audit_by(actor, Action.ATTACHMENT_DOWNLOAD, obj=att, case=att.case, reason=_read_reason(ca))
    return AttachmentItem(att, decision), data
