"""Every write to the measure catalogue and to individual plans: checked first, in one transaction, audited.

Audit events name the plan, goal or item and the case, never their text. Every change to a plan or to its goals,
ratings and items raises the plan's `version`, so an approval is refused when the plan changed after the approver
last saw it.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from utvei.access import participant as participant_rules
from utvei.access.plans import (
    PlanView,
    item_status_decision,
    measure_add_decision,
    measure_edit_decision,
    plan_approve_decision,
    plan_read_decision,
    plan_view,
    plan_write_decision,
)
from utvei.access.policy import CaseAccess, case_access, membership_ok
from utvei.access.policy import require as _require
from utvei.accounts.models import Membership, Organisation, User
from utvei.audit.models import Action
from utvei.audit.services import audit_by, audit_record
from utvei.cases.models import Case, ParticipantAccount, TeamMember
from utvei.core.catalogue import save_edit
from utvei.core.dates import add_months
from utvei.core.errors import Conflict, Forbidden, NotFound, UtveiError
from utvei.core.validation import check_date, clean_text
from utvei.core.validation import clean_choice as _choice

from . import catalogue, hooks
from .models import (
    PLAN_CLASSIFICATIONS,
    Attainment,
    EvidenceBasis,
    Goal,
    GoalDomain,
    GoalRating,
    ItemStatus,
    Measure,
    MeasureRevision,
    Participation,
    Plan,
    PlanItem,
    PlanReview,
    PlanStatus,
    RatingSource,
    RevisionSource,
    StopReason,
)

T = TypeVar("T")

REVIEW_MONTHS = 3  # the default review interval of an approved plan
GOAL_MAX = 2000
NOTE_MAX = 5000
LOCAL_POSITION = 100_000  # local measures come after the data file's


def _conflicts_on_record(service: Callable[..., T]) -> Callable[..., T]:
    """A stale write is refused and its attempt stays on the audit log: the event is written after the service's
    transaction has rolled back, so it is not rolled back with it."""

    @functools.wraps(service)
    def wrapper(*args: Any, actor: Membership, **kwargs: Any) -> T:
        try:
            return service(*args, actor=actor, **kwargs)
        except Conflict as exc:
            current = exc.current
            case = getattr(current, "case", None) or getattr(getattr(current, "plan", None), "case", None)
            if current is not None and case is not None:
                audit_by(actor, Action.PLAN_CONFLICT, obj=current, case=case)
            raise

    return wrapper


_REMOVE_STALE = _("Someone else changed this after you read it. Look at it again before you remove it.")


class NotDraft(UtveiError):
    """Only a draft's goals and items change; an approved plan changes through a new version."""

    code = "plan_not_draft"
    status = 409


def _standing(actor: Membership, case: Case) -> CaseAccess:
    """The principal's standing on the plan's case; none at all is NotFound, as everywhere."""
    ca = case_access(actor, case) if membership_ok(actor) else None
    if ca is None:
        raise NotFound(_("The plan was not found."))
    return ca


def _readable(ca: CaseAccess, plan: Plan) -> PlanView:
    view = plan_view(ca, plan)
    if view == PlanView.NONE and not ca.full:
        raise NotFound(_("The plan was not found."))
    return view


def _lock(plan: Plan, expected_version: int | None = None) -> Plan:
    locked = Plan.objects.select_for_update().select_related("case", "author_org").get(pk=plan.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(
            _("Someone else changed this plan after you opened it. Reload it and try again."), current=locked
        )
    return locked


def _draft(plan: Plan) -> None:
    if plan.status != PlanStatus.DRAFT:
        raise NotDraft(_("Only a draft can be changed. Start a new version of the plan to change it."))


def _bump(plan: Plan) -> None:
    Plan.objects.filter(pk=plan.pk).update(version=F("version") + 1, updated_at=timezone.now())
    plan.refresh_from_db(fields=["version", "updated_at"])


# ---- The catalogue -------------------------------------------------------------------------------------


def measures_sync(*, path: Path | None = None) -> catalogue.SyncSummary:
    """Load the data file into the national catalogue (`utvei measures sync`). Each change is audited."""
    entries = catalogue.load_entries(path) if path is not None else catalogue.load_entries()

    def audit(measure: Measure, what: str) -> None:
        audit_record(
            action=Action.MEASURE_UPDATE,
            object_type="measure",
            object_id=measure.key,
            reason=f"data-file {what} v{measure.version}",
        )

    return catalogue.sync_entries(entries, measure_model=Measure, revision_model=MeasureRevision, on_change=audit)


def _clean_local(raw: dict[str, Any]) -> dict[str, Any]:
    try:
        return catalogue.clean_entry(raw, "measure", local=True)
    except catalogue.CatalogueError as exc:
        raise UtveiError(_("The measure is not valid: %(problem)s") % {"problem": str(exc)}) from exc


def _local_key(org: Organisation, name: str) -> str:
    org_part = slugify(org.slug.replace("_", "-"))[:30].strip("-") or "org"
    name_part = slugify(name)[:40].strip("-") or "measure"
    base = f"{catalogue.LOCAL_PREFIX}{org_part}-{name_part}"
    key, n = base, 1
    while Measure.objects.filter(key=key).exists():
        n += 1
        key = f"{base}-{n}"
    return key


def measure_create_local(
    *,
    actor: Membership,
    name_nb: str,
    sector: str,
    tracks: Iterable[str],
    evidence_nb: str,
    evidence_basis: str = EvidenceBasis.PRACTICE,
    name_en: str = "",
    description_nb: str = "",
    description_en: str = "",
    provider_kinds: Iterable[str] = (),
    duration_nb: str = "",
    duration_en: str = "",
    evidence_en: str = "",
) -> Measure:
    """A coordinator adds a measure their organisation offers. It belongs to that organisation."""
    _require(measure_add_decision(actor))
    raw = {
        "key": "local-x",
        "name_nb": name_nb,
        "name_en": name_en,
        "description_nb": description_nb,
        "description_en": description_en,
        "sector": sector,
        "tracks": list(tracks),
        "provider_kinds": list(provider_kinds),
        "duration_nb": duration_nb,
        "duration_en": duration_en,
        "evidence_basis": evidence_basis,
        "evidence_nb": evidence_nb,
        "evidence_en": evidence_en,
        "active": True,
    }
    entry = _clean_local(raw)
    now = timezone.now()
    with transaction.atomic():
        entry["key"] = _local_key(actor.organisation, entry["name_nb"])
        measure = Measure.objects.create(
            **entry,
            owner_org=actor.organisation,
            position=LOCAL_POSITION,
            version=1,
            created_at=now,
            updated_at=now,
            updated_by=actor.user,
        )
        MeasureRevision.objects.create(
            measure=measure, version=1, snapshot=entry, saved_by=actor.user, saved_at=now, source=RevisionSource.LOCAL
        )
        audit_by(actor, Action.MEASURE_CREATE, object_type="measure", object_id=measure.key)
    return measure


EDITABLE = tuple(f for f in catalogue.FIELDS if f != "key")


def measure_update_local(*, actor: Membership, measure: Measure, expected_version: int, **fields: Any) -> Measure:
    """The owning organisation's coordinators change a local measure; every change is a new version."""
    _require(measure_edit_decision(actor, measure))
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise UtveiError(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        current = Measure.objects.select_for_update().get(pk=measure.pk)
        if current.version != expected_version:
            raise Conflict(
                _("Someone else changed this measure after you read it. Read it again and repeat your change."),
                current=current,
            )
        cleaned = _clean_local({**catalogue.snapshot(current), **fields})
        if not save_edit(
            current,
            cleaned,
            fields=catalogue.FIELDS,
            editable=EDITABLE,
            user=actor.user,
            revision_model=MeasureRevision,
            parent="measure",
            source=RevisionSource.LOCAL,
        ):
            return current
        audit_by(
            actor, Action.MEASURE_UPDATE, object_type="measure", object_id=current.key, reason=f"v{current.version}"
        )
    return current


# ---- Plans ---------------------------------------------------------------------------------------------


def plan_create(*, actor: Membership, case: Case) -> Plan:
    """Start the case's plan: an empty first draft, or a new draft version copied from the approved plan."""
    ca = _standing(actor, case)
    _require(plan_write_decision(ca))
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).first()  # one new version at a time per case
        plans = Plan.objects.filter(case=case).select_related("author_org")
        if plans.filter(status=PlanStatus.DRAFT).exists():
            raise Conflict(_("The plan already has a draft. Finish that one first."))
        approved = plans.filter(status=PlanStatus.APPROVED).first()
        if approved is not None and not plan_read_decision(ca, approved):
            raise Forbidden(_("You may not read the approved plan, so you cannot start a new version of it."))
        number = (plans.aggregate(n=Max("number"))["n"] or 0) + 1
        now = timezone.now()
        plan = Plan.objects.create(
            case=case,
            number=number,
            status=PlanStatus.DRAFT,
            classification=approved.classification if approved else PLAN_CLASSIFICATIONS[0],
            review_due=approved.review_due if approved else None,
            based_on=approved,
            author=actor.user,
            author_org=actor.organisation,
            created_at=now,
            updated_at=now,
        )
        if approved is not None:
            _copy(approved, plan, actor.user)
        audit_by(actor, Action.PLAN_CREATE, obj=plan, case=case, reason=f"v{number}")
    return plan


def _copy(source: Plan, target: Plan, user: User) -> None:
    """Goals (with their ratings) and items of `source`, copied into the draft `target`."""
    goals = {}
    for g in source.goals.order_by("position", "pk"):
        goals[g.pk] = Goal.objects.create(
            plan=target,
            position=g.position,
            text=g.text,
            domain=g.domain,
            target_date=g.target_date,
            origin=g,
            created_by=user,
        )
    GoalRating.objects.bulk_create(
        [
            GoalRating(
                goal=goals[r.goal_id],
                rating=r.rating,
                rated_on=r.rated_on,
                rated_by_id=r.rated_by_id,
                rated_by_org_id=r.rated_by_org_id,
                source=r.source,
                note=r.note,
                created_at=r.created_at,
            )
            for r in GoalRating.objects.filter(goal__plan=source).order_by("rated_on", "pk")
        ]
    )
    for i in source.items.order_by("position", "pk"):
        PlanItem.objects.create(
            plan=target,
            position=i.position,
            measure_id=i.measure_id,
            goal=goals.get(i.goal_id) if i.goal_id else None,
            responsible_org_id=i.responsible_org_id,
            responsible_user_id=i.responsible_user_id,
            start_on=i.start_on,
            end_on=i.end_on,
            status=i.status,
            note=i.note,
            origin=i,
            created_by=user,
        )


@_conflicts_on_record
def plan_update(
    *,
    actor: Membership,
    plan: Plan,
    expected_version: int,
    participation: str | None = None,
    participation_note: str | None = None,
    classification: str | None = None,
    review_due: dt.date | None = None,
) -> Plan:
    """Change a draft's participation record, classification or review date."""
    ca = _standing(actor, plan.case)
    _readable(ca, plan)
    _require(plan_write_decision(ca, plan))
    if participation is not None:
        _choice(participation, Participation, _("participation"))
    if classification is not None and classification not in PLAN_CLASSIFICATIONS:
        raise UtveiError(
            _("A plan is classified «may be shown to the person», «team and mentor» or «team»."),
            code="invalid_choice",
        )
    check_date(review_due, _("Next review"))
    note = clean_text(participation_note, _("About the participation"), required=False, max_length=NOTE_MAX)
    with transaction.atomic():
        locked = _lock(plan, expected_version)
        _draft(locked)
        changed = False
        if participation is not None and participation != locked.participation:
            locked.participation, changed = participation, True
        if participation_note is not None and note != locked.participation_note:
            locked.participation_note, changed = note, True
        if classification is not None and classification != locked.classification:
            locked.classification, changed = classification, True
        if review_due is not None and review_due != locked.review_due:
            locked.review_due, changed = review_due, True
        if not changed:
            return locked
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save()
        audit_by(actor, Action.PLAN_UPDATE, obj=locked, case=locked.case)
    return locked


def plan_problems(plan: Plan) -> list[str]:
    """What keeps a draft from being approved (empty when it may be)."""
    problems = []
    if not plan.goals.exists():
        problems.append(str(_("Add at least one goal, in the person's own words.")))
    if not plan.participation:
        problems.append(str(_("Record whether the person (or a guardian) took part in making the plan.")))
    elif plan.participation == Participation.DID_NOT_TAKE_PART and not plan.participation_note.strip():
        problems.append(str(_("Say why the person did not take part.")))
    return problems


@_conflicts_on_record
def plan_approve(*, actor: Membership, plan: Plan, expected_version: int, review_due: dt.date | None = None) -> Plan:
    """A coordinator approves the draft: it becomes the plan in force and the one before it is superseded."""
    ca = _standing(actor, plan.case)
    _readable(ca, plan)
    _require(plan_approve_decision(ca, plan))
    check_date(review_due, _("Next review"))
    today = timezone.localdate()
    if review_due is not None and review_due <= today:
        raise UtveiError(_("The next review must be after today."), code="review_in_past")
    with transaction.atomic():
        locked = _lock(plan, expected_version)
        _draft(locked)
        problems = plan_problems(locked)
        if problems:
            raise UtveiError(" ".join(problems), code="plan_incomplete")
        now = timezone.now()
        Plan.objects.filter(case=locked.case, status=PlanStatus.APPROVED).update(
            status=PlanStatus.SUPERSEDED, superseded_at=now
        )
        if review_due is None:
            keep = locked.review_due is not None and locked.review_due > today
            review_due = locked.review_due if keep else add_months(today, REVIEW_MONTHS)
        locked.status = PlanStatus.APPROVED
        locked.approved_by = actor.user
        locked.approved_org = actor.organisation
        locked.approved_at = now
        locked.review_due = review_due
        locked.version += 1
        locked.updated_at = now
        locked.save()
        audit_by(actor, Action.PLAN_APPROVE, obj=locked, case=locked.case, reason=f"v{locked.number}")
    return locked


@_conflicts_on_record
def plan_review(
    *,
    actor: Membership,
    plan: Plan,
    reviewed_on: dt.date | None = None,
    next_review_due: dt.date | None = None,
    note: str = "",
) -> PlanReview:
    """Record a review of the plan in force and set the next one (default: three months on)."""
    ca = _standing(actor, plan.case)
    _readable(ca, plan)
    _require(plan_write_decision(ca, plan))
    today = timezone.localdate()
    reviewed_on = reviewed_on or today
    check_date(reviewed_on, _("Reviewed on"))
    check_date(next_review_due, _("Next review"))
    if reviewed_on > today:
        raise UtveiError(_("A review cannot be dated in the future."), code="future_date")
    next_due = next_review_due or add_months(reviewed_on, REVIEW_MONTHS)
    if next_due <= reviewed_on:
        raise UtveiError(_("The next review must come after this one."), code="review_order")
    note = clean_text(note, _("Note"), required=False, max_length=NOTE_MAX)
    with transaction.atomic():
        locked = _lock(plan)
        if locked.status != PlanStatus.APPROVED:
            raise NotDraft(_("Only the approved plan in force is reviewed."), code="plan_not_approved")
        review = PlanReview.objects.create(
            plan=locked,
            reviewed_on=reviewed_on,
            reviewed_by=actor.user,
            reviewed_by_org=actor.organisation,
            note=note,
            next_review_due=next_due,
        )
        Plan.objects.filter(pk=locked.pk).update(review_due=next_due)
        _bump(locked)
        audit_by(actor, Action.PLAN_REVIEW, obj=locked, case=locked.case)
        hooks.REVIEWED.send(actor=actor, case=locked.case, on=reviewed_on)
    return review


# ---- Goals ---------------------------------------------------------------------------------------------


def _goal_fields(text: str, domain: str, target_date: dt.date | None) -> str:
    _choice(domain, GoalDomain, _("domain"))
    check_date(target_date, _("Target date"))
    return clean_text(text, _("Goal"), max_length=GOAL_MAX)


def goal_add(*, actor: Membership, plan: Plan, text: str, domain: str, target_date: dt.date | None = None) -> Goal:
    ca = _standing(actor, plan.case)
    _readable(ca, plan)
    _require(plan_write_decision(ca, plan))
    text = _goal_fields(text, domain, target_date)
    with transaction.atomic():
        locked = _lock(plan)
        _draft(locked)
        position = (locked.goals.aggregate(n=Max("position"))["n"] or 0) + 1
        goal = Goal.objects.create(
            plan=locked, position=position, text=text, domain=domain, target_date=target_date, created_by=actor.user
        )
        _bump(locked)
        audit_by(actor, Action.PLAN_GOAL_ADD, obj=goal, case=locked.case)
    return goal


@_conflicts_on_record
def goal_update(
    *,
    actor: Membership,
    goal: Goal,
    expected_version: int,
    text: str,
    domain: str,
    target_date: dt.date | None,
) -> Goal:
    """Replace a draft goal's text, domain and target date; a stale version is a Conflict with the saved goal."""
    plan = goal.plan
    ca = _standing(actor, plan.case)
    _readable(ca, plan)
    _require(plan_write_decision(ca, plan))
    text = _goal_fields(text, domain, target_date)
    with transaction.atomic():
        locked_plan = _lock(plan)
        _draft(locked_plan)
        locked = Goal.objects.select_for_update().get(pk=goal.pk)
        if locked.version != expected_version:
            raise Conflict(
                _("Someone else saved this goal while you were editing it. Compare and save again."), current=locked
            )
        if (locked.text, locked.domain, locked.target_date) == (text, domain, target_date):
            return locked
        locked.text, locked.domain, locked.target_date = text, domain, target_date
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save()
        _bump(locked_plan)
        audit_by(actor, Action.PLAN_GOAL_EDIT, obj=locked, case=locked_plan.case)
    return locked


@_conflicts_on_record
def goal_remove(*, actor: Membership, goal: Goal, expected_version: int) -> None:
    """Remove a goal from a draft. Items linked to it stay, unlinked. Approved versions keep theirs. The remover
    names the version they saw: a goal changed since is not removed unseen (a Conflict with the saved goal)."""
    plan = goal.plan
    ca = _standing(actor, plan.case)
    _readable(ca, plan)
    _require(plan_write_decision(ca, plan))
    with transaction.atomic():
        locked = _lock(plan)
        _draft(locked)
        current = Goal.objects.select_for_update().get(pk=goal.pk)
        if current.version != expected_version:
            raise Conflict(_REMOVE_STALE, current=current)
        public_id = str(goal.public_id)
        current.delete()
        _bump(locked)
        audit_by(actor, Action.PLAN_GOAL_REMOVE, object_type="goal", object_id=public_id, case=locked.case)


@_conflicts_on_record
def goal_rate(
    *, actor: Membership, goal: Goal, rating: int, rated_on: dt.date | None = None, note: str = ""
) -> GoalRating:
    """Rate how far a goal is reached (−2…+2) on a date. Drafts and the approved plan; not superseded ones."""
    plan = goal.plan
    ca = _standing(actor, plan.case)
    _readable(ca, plan)
    _require(plan_write_decision(ca, plan))
    if isinstance(rating, bool) or not isinstance(rating, int) or rating not in Attainment.values:
        raise UtveiError(_("A rating is a whole number from −2 to +2."), code="invalid_rating")
    today = timezone.localdate()
    rated_on = rated_on or today
    check_date(rated_on, _("Rated on"))
    if rated_on > today:
        raise UtveiError(_("A rating cannot be dated in the future."), code="future_date")
    note = clean_text(note, _("Note"), required=False, max_length=NOTE_MAX)
    with transaction.atomic():
        locked = _lock(plan)
        if locked.status == PlanStatus.SUPERSEDED:
            raise NotDraft(_("This version of the plan has been superseded. Rate the goals of the plan in force."))
        row = GoalRating.objects.create(
            goal=goal,
            rating=rating,
            rated_on=rated_on,
            rated_by=actor.user,
            rated_by_org=actor.organisation,
            note=note,
        )
        _bump(locked)
        audit_by(actor, Action.PLAN_GOAL_RATE, obj=goal, case=locked.case)
    return row


def goal_rate_by_person(*, account: ParticipantAccount, goal_id: uuid.UUID | str, rating: int) -> GoalRating:
    """The person rates how far their own goal is reached (−2…+2), today, on their own page (docs/participant.md).
    Kept as the person's rating (source `person`) with the organisation that owns the case; a goal they do not see
    is not found."""
    goal = Goal.objects.filter(public_id=goal_id).select_related("plan").first()
    if goal is None or not participant_rules.goal_rate_decision(account, goal):
        raise NotFound(_("Not found."))
    if isinstance(rating, bool) or not isinstance(rating, int) or rating not in Attainment.values:
        raise UtveiError(_("A rating is a whole number from −2 to +2."), code="invalid_rating")
    case = account.case
    assert account.user is not None
    with transaction.atomic():
        locked = _lock(goal.plan)
        if not participant_rules.plan_shows(account, locked):
            raise NotFound(_("Not found."))
        row = GoalRating.objects.create(
            goal=goal,
            rating=rating,
            rated_on=timezone.localdate(),
            rated_by=account.user,
            rated_by_org=case.owning_org,
            source=RatingSource.PERSON,
        )
        _bump(locked)
        audit_record(action=Action.PLAN_GOAL_RATE, actor=account.user, obj=goal, case=case, reason="person")
    return row


# ---- Items ---------------------------------------------------------------------------------------------


def _check_item(
    *,
    plan: Plan,
    measure: Measure,
    goal: Goal | None,
    responsible_org: Organisation | None,
    responsible_user: User | None,
    start_on: dt.date | None,
    end_on: dt.date | None,
    status: str,
    was: PlanItem | None = None,
) -> Organisation | None:
    """Validate an item's fields; returns the responsible organisation (from the team when only a user is given)."""
    if not measure.active and (was is None or was.measure_id != measure.pk):
        raise UtveiError(_("That measure is no longer in the catalogue."), code="measure_inactive")
    if goal is not None and goal.plan_id != plan.pk:
        raise UtveiError(_("Link the item to a goal of this plan."), code="goal_not_in_plan")
    _choice(status, ItemStatus, _("status"))
    check_date(start_on, _("Start"))
    check_date(end_on, _("End"))
    if start_on and end_on and end_on < start_on:
        raise UtveiError(_("The end cannot be before the start."), code="end_before_start")
    if responsible_org is None and responsible_user is None:
        raise UtveiError(
            _("Name the organisation or the person responsible for the item."), code="responsible_required"
        )
    if responsible_user is not None:
        members = TeamMember.objects.current().filter(case_id=plan.case_id, user=responsible_user)
        if responsible_org is not None:
            members = members.filter(organisation=responsible_org)
        member = members.select_related("organisation").first()
        if member is None:
            raise UtveiError(
                _("The person responsible must be on the case's team (for that organisation)."),
                code="responsible_not_on_team",
            )
        return member.organisation
    return responsible_org


def item_add(
    *,
    actor: Membership,
    plan: Plan,
    measure: Measure,
    goal: Goal | None = None,
    responsible_org: Organisation | None = None,
    responsible_user: User | None = None,
    start_on: dt.date | None = None,
    end_on: dt.date | None = None,
    status: str = ItemStatus.PLANNED,
    note: str = "",
    sessions_planned: int | None = None,
) -> PlanItem:
    ca = _standing(actor, plan.case)
    _readable(ca, plan)
    _require(plan_write_decision(ca, plan))
    org = _check_item(
        plan=plan,
        measure=measure,
        goal=goal,
        responsible_org=responsible_org,
        responsible_user=responsible_user,
        start_on=start_on,
        end_on=end_on,
        status=status,
    )
    note = clean_text(note, _("Note"), required=False, max_length=NOTE_MAX)
    with transaction.atomic():
        locked = _lock(plan)
        _draft(locked)
        position = (locked.items.aggregate(n=Max("position"))["n"] or 0) + 1
        item = PlanItem.objects.create(
            plan=locked,
            position=position,
            measure=measure,
            goal=goal,
            responsible_org=org,
            responsible_user=responsible_user,
            start_on=start_on,
            end_on=end_on,
            status=status,
            note=note,
            sessions_planned=_sessions(sessions_planned, _("Sessions planned")),
            created_by=actor.user,
        )
        _bump(locked)
        audit_by(actor, Action.PLAN_ITEM_ADD, obj=item, case=locked.case, reason=measure.key[:64])
    return item


@_conflicts_on_record
def item_update(
    *,
    actor: Membership,
    item: PlanItem,
    expected_version: int,
    measure: Measure,
    goal: Goal | None,
    responsible_org: Organisation | None,
    responsible_user: User | None,
    start_on: dt.date | None,
    end_on: dt.date | None,
    status: str,
    note: str,
    sessions_planned: int | None = None,
) -> PlanItem:
    """Replace every field of a draft's item (the planned sessions: when given); a stale version is a Conflict
    with the saved item."""
    planned = _sessions(sessions_planned, _("Sessions planned"))
    plan = item.plan
    ca = _standing(actor, plan.case)
    _readable(ca, plan)
    _require(plan_write_decision(ca, plan))
    org = _check_item(
        plan=plan,
        measure=measure,
        goal=goal,
        responsible_org=responsible_org,
        responsible_user=responsible_user,
        start_on=start_on,
        end_on=end_on,
        status=status,
        was=item,
    )
    note = clean_text(note, _("Note"), required=False, max_length=NOTE_MAX)
    with transaction.atomic():
        locked_plan = _lock(plan)
        _draft(locked_plan)
        locked = PlanItem.objects.select_for_update().get(pk=item.pk)
        if locked.version != expected_version:
            raise Conflict(
                _("Someone else saved this item while you were editing it. Compare and save again."), current=locked
            )
        locked.measure, locked.goal, locked.responsible_org = measure, goal, org
        locked.responsible_user, locked.start_on, locked.end_on = responsible_user, start_on, end_on
        locked.status, locked.note = status, note
        if planned is not None:
            locked.sessions_planned = planned
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save()
        _bump(locked_plan)
        audit_by(actor, Action.PLAN_ITEM_EDIT, obj=locked, case=locked_plan.case)
    return locked


@_conflicts_on_record
def item_set_status(
    *,
    actor: Membership,
    item: PlanItem,
    status: str,
    expected_version: int,
    note: str | None = None,
    stop_reason: str | None = None,
    sessions_held: int | None = None,
) -> PlanItem:
    """Carry out the plan: the person responsible (a mentor too) or the plan's writers update status and note, at
    the version they saw (a stale one is a Conflict with the saved item: two reports never silently overwrite).

    The exposure the evidence engine relates outcomes to is kept on the way: the start date is set when the item
    becomes ongoing, the end date when it is done or stopped (unless given before), a stopped item needs a stop
    reason, and the sessions held may be counted."""
    plan = item.plan
    ca = _standing(actor, plan.case)
    view = _readable(ca, plan)
    _require(item_status_decision(ca, plan, item, view))
    _choice(status, ItemStatus, _("status"))
    if status == ItemStatus.STOPPED:
        _choice(stop_reason or "", StopReason, _("why it stopped"))
    elif stop_reason:
        raise UtveiError(_("Only a stopped item has a reason for stopping."), code="stop_reason")
    held = _sessions(sessions_held, _("Sessions held"))
    cleaned = None if note is None else clean_text(note, _("Note"), required=False, max_length=NOTE_MAX)
    with transaction.atomic():
        locked_plan = _lock(plan)
        if locked_plan.status == PlanStatus.SUPERSEDED:
            raise NotDraft(_("This version of the plan has been superseded."))
        locked = PlanItem.objects.select_for_update().get(pk=item.pk)
        if locked.version != expected_version:
            raise Conflict(_("Someone else changed this item after you read it. Reload and try again."), current=locked)
        same_dose = held is None or held == locked.sessions_held
        if (
            locked.status == status
            and (cleaned is None or cleaned == locked.note)
            and same_dose
            and (stop_reason or "") == locked.stop_reason
        ):
            return locked
        today = timezone.localdate()
        if status in {ItemStatus.ONGOING, ItemStatus.DONE, ItemStatus.STOPPED} and locked.start_on is None:
            locked.start_on = today
        if status in {ItemStatus.DONE, ItemStatus.STOPPED} and locked.end_on is None:
            locked.end_on = max(today, locked.start_on or today)
        locked.status = status
        locked.stop_reason = stop_reason or ""
        if held is not None:
            locked.sessions_held = held
        if cleaned is not None:
            locked.note = cleaned
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save()
        _bump(locked_plan)
        audit_by(actor, Action.PLAN_ITEM_EDIT, obj=locked, case=locked_plan.case, reason=status)
    return locked


def _sessions(value: int | None, label: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1000:
        raise UtveiError(_("%(field)s must be a whole number from 0 to 1000.") % {"field": label}, code="sessions")
    return value


@_conflicts_on_record
def item_remove(*, actor: Membership, item: PlanItem, expected_version: int) -> None:
    """Remove an item from a draft, at the version the remover saw (a Conflict with the saved item otherwise)."""
    plan = item.plan
    ca = _standing(actor, plan.case)
    _readable(ca, plan)
    _require(plan_write_decision(ca, plan))
    with transaction.atomic():
        locked = _lock(plan)
        _draft(locked)
        current = PlanItem.objects.select_for_update().get(pk=item.pk)
        if current.version != expected_version:
            raise Conflict(_REMOVE_STALE, current=current)
        public_id = str(item.public_id)
        current.delete()
        _bump(locked)
        audit_by(actor, Action.PLAN_ITEM_REMOVE, object_type="planitem", object_id=public_id, case=locked.case)
