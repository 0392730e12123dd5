"""Every write to instruments and assessments: checked, in one transaction, audited (no content in the log).

No function here reads ratings to compute anything: ratings are stored and shown, never added up, weighted or
ranked, and an assessment never changes the case it belongs to (docs/decisions/0004-no-risk-scores.md).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access import assessments as access
from utvei.access.policy import CaseAccess, case_access
from utvei.access.policy import require as _require
from utvei.accounts.models import Membership, User
from utvei.audit.models import Action
from utvei.audit.services import audit_by, audit_record
from utvei.cases.models import Case, Phase
from utvei.core.dates import add_months
from utvei.core.errors import Conflict, InvalidTransition, NotFound, UtveiError
from utvei.core.validation import check_date, clean_text

from . import instruments
from .models import (
    Assessment,
    AssessmentItem,
    AssessmentRevision,
    AssessmentSkip,
    AssessmentStatus,
    Confidence,
    Instrument,
    InstrumentVersion,
    SkipReason,
    SummaryLevel,
)

REASSESS_MONTHS = 3  # the default reassessment date: three months on, the usual review rhythm
EVIDENCE_MAX = 5000
TEXT_MAX = 20000


class Incomplete(UtveiError):
    """Finalising refused: the list says what is missing."""

    code = "incomplete"
    status = 400

    def __init__(self, problems: list[str]) -> None:
        super().__init__(_("The assessment is not complete: %(list)s") % {"list": " ".join(problems)})
        self.problems = problems


@dataclass(frozen=True)
class ItemInput:
    """What a form or an API request says about one item; None leaves that field as it is."""

    code: str
    rating: str | None = None
    confidence: str | None = None
    evidence: str | None = None


def _access(actor: Membership, case: Case) -> CaseAccess:
    ca = case_access(actor, case)
    if ca is None:
        raise NotFound(_("The case was not found."))
    return ca


def _text(value: str, label: Any, *, max_length: int = TEXT_MAX) -> str:
    return clean_text(value, label, required=False, max_length=max_length)


# ---- Instruments ---------------------------------------------------------------------------------------


def _instrument_audit(row: InstrumentVersion, what: str) -> None:
    audit_record(
        action=Action.INSTRUMENT_LOAD,
        object_type="instrument",
        object_id=f"{row.instrument.key}@{row.version}"[:64],
        reason=f"{row.source} {what}",
    )


def instruments_sync() -> instruments.SyncSummary:
    """Load the built-in instrument files (`utvei instruments sync`); each created or changed version is audited."""
    summary = instruments.SyncSummary()
    for definition in instruments.load_builtin():
        instruments.sync_definition(
            definition,
            instrument_model=Instrument,
            version_model=InstrumentVersion,
            source=instruments.DATA_FILE_SOURCE,
            summary=summary,
            on_change=_instrument_audit,
        )
    return summary


def instrument_load(*, path: Path) -> instruments.SyncSummary:
    """Load an instrument from a local file (`utvei instruments load PATH`): licensed ones, by item codes."""
    definition = instruments.load_file(path, require_texts=False)
    return instruments.sync_definition(
        definition,
        instrument_model=Instrument,
        version_model=InstrumentVersion,
        source=instruments.LOCAL_FILE_SOURCE,
        on_change=_instrument_audit,
    )


# ---- Assessments ---------------------------------------------------------------------------------------


def _latest_version(key: str) -> InstrumentVersion:
    version = (
        InstrumentVersion.objects.select_related("instrument")
        .filter(instrument__key=key, instrument__active=True)
        .order_by("-version")
        .first()
    )
    if version is None:
        raise UtveiError(_("Choose an instrument from the list."), code="unknown_instrument")
    return version


def _previous(ca: CaseAccess, instrument_id: int, exclude: int | None = None) -> Assessment | None:
    """The newest final assessment of the case with the same instrument that the principal may read."""
    finals = Assessment.objects.filter(
        case=ca.case, instrument_version__instrument_id=instrument_id, status=AssessmentStatus.FINAL
    ).order_by("-finalised_at", "-pk")
    if exclude is not None:
        finals = finals.exclude(pk=exclude)
    return next((a for a in finals if access.assessment_decision(ca, a)), None)


def _assessors(case: Case, author: User, users: Iterable[User] | None) -> list[User]:
    """The author and the co-assessors named, who must be on the team (not as mentors)."""
    chosen = {author.pk: author}
    for user in users or []:
        chosen.setdefault(user.pk, user)
    others = [pk for pk in chosen if pk != author.pk]
    if others:
        on_team = access.co_assessors_on_team(case, others)
        if set(others) - on_team:
            raise UtveiError(_("Co-assessors must be on the case's team."), code="assessor_not_on_team")
    return list(chosen.values())


def _classification(actor: Membership, classification: str) -> str:
    if classification not in access.assessment_classifications(actor):
        raise UtveiError(
            _("Choose a classification your own organisation may read (team, own organisation, police, health)."),
            code="classification_not_allowed",
        )
    return classification


def _date(value: dt.date, label: Any) -> dt.date:
    check_date(value, label)
    return value


def snapshot(assessment: Assessment, items: Sequence[AssessmentItem]) -> str:
    """The assessment as saved, for its revision (stored encrypted)."""
    data = {
        "status": assessment.status,
        "instrument": str(assessment.instrument_version),
        "classification": assessment.classification,
        "summary_level": assessment.summary_level,
        "summary_judgement": assessment.summary_judgement,
        "formulation": assessment.formulation,
        "scenarios": assessment.scenarios,
        "management": assessment.management,
        "changes_since_last": assessment.changes_since_last,
        "reassessment_due": assessment.reassessment_due.isoformat() if assessment.reassessment_due else None,
        "assessors": sorted(u.username for u in assessment.assessors.all()),
        "items": [
            {"code": i.code, "rating": i.rating, "confidence": i.confidence, "evidence": i.evidence} for i in items
        ],
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _revision(assessment: Assessment, user: User) -> None:
    items = list(assessment.items.order_by("position"))
    AssessmentRevision.objects.create(
        assessment=assessment,
        version=assessment.version,
        status=assessment.status,
        snapshot=snapshot(assessment, items),
        saved_by=user,
        saved_at=assessment.updated_at,
    )


def assessment_create(
    *,
    actor: Membership,
    case: Case,
    instrument_key: str,
    classification: str = "team",
    assessors: Iterable[User] | None = None,
) -> Assessment:
    """Start a draft with every item of the instrument's newest version, unrated."""
    ca = _access(actor, case)
    _require(access.may_create(ca))
    _classification(actor, classification)
    version = _latest_version(instrument_key)
    people = _assessors(case, actor.user, assessors)
    previous = _previous(ca, version.instrument_id)
    now = timezone.now()
    with transaction.atomic():
        assessment = Assessment.objects.create(
            case=case,
            instrument_version=version,
            previous=previous,
            author=actor.user,
            author_org=actor.organisation,
            classification=classification,
            reassessment_due=add_months(timezone.localdate(), REASSESS_MONTHS),
            created_at=now,
            updated_at=now,
        )
        assessment.assessors.set(people)
        AssessmentItem.objects.bulk_create(
            AssessmentItem(assessment=assessment, code=item["code"], domain=item["domain"], position=n)
            for n, item in enumerate(version.items(), start=1)
        )
        _revision(assessment, actor.user)
        audit_by(actor, Action.ASSESSMENT_CREATE, obj=assessment, case=case, reason=classification)
    return assessment


def _check_items(assessment: Assessment, items: Sequence[ItemInput]) -> list[ItemInput]:
    scale = set(assessment.instrument_version.scale_codes())
    known = set(assessment.instrument_version.item_codes())
    checked = []
    for item in items:
        if item.code not in known:
            raise UtveiError(
                _("There is no item %(code)s in this instrument.") % {"code": item.code[:20]}, code="unknown_item"
            )
        if item.rating is not None and item.rating and item.rating not in scale:
            raise UtveiError(
                _("Choose a rating from the scale for item %(code)s.") % {"code": item.code}, code="invalid_rating"
            )
        if item.confidence is not None and item.confidence and item.confidence not in Confidence.values:
            raise UtveiError(
                _("Choose low, medium or high confidence for item %(code)s.") % {"code": item.code},
                code="invalid_confidence",
            )
        evidence = None
        if item.evidence is not None:
            label = _("Evidence for item %(code)s") % {"code": item.code}
            evidence = _text(item.evidence, label, max_length=EVIDENCE_MAX)
        checked.append(ItemInput(item.code, item.rating, item.confidence, evidence))
    return checked


def assessment_update(
    *,
    actor: Membership,
    assessment: Assessment,
    expected_version: int,
    items: Sequence[ItemInput] = (),
    classification: str | None = None,
    summary_level: str | None = None,
    summary_judgement: str | None = None,
    formulation: str | None = None,
    scenarios: str | None = None,
    management: str | None = None,
    changes_since_last: str | None = None,
    reassessment_due: dt.date | None = None,
    assessors: Iterable[User] | None = None,
) -> Assessment:
    """Save a draft (any subset of its fields and items). A stale `expected_version` raises Conflict."""
    ca = _access(actor, assessment.case)
    if not access.assessment_decision(ca, assessment):
        raise NotFound(_("The assessment was not found."))
    _require(access.may_edit(ca, assessment))
    header: dict[str, Any] = {}
    if classification is not None:
        header["classification"] = _classification(actor, classification)
    if summary_level is not None:
        if summary_level and summary_level not in SummaryLevel.values:
            raise UtveiError(_("Choose a level of concern."), code="invalid_level")
        header["summary_level"] = summary_level
    for name, value, label in (
        ("summary_judgement", summary_judgement, _("Summary judgement")),
        ("formulation", formulation, _("Formulation")),
        ("scenarios", scenarios, _("Scenarios")),
        ("management", management, _("Management recommendations")),
        ("changes_since_last", changes_since_last, _("What has changed since last time")),
    ):
        if value is not None:
            header[name] = _text(value, label)
    if reassessment_due is not None:
        header["reassessment_due"] = _date(reassessment_due, _("Reassess by"))
    people = _assessors(assessment.case, assessment.author, assessors) if assessors is not None else None
    changes = _check_items(assessment, items)
    stale = Assessment.objects.get(pk=assessment.pk)
    if stale.version != expected_version:
        audit_by(actor, Action.ASSESSMENT_CONFLICT, obj=stale, case=assessment.case)  # the attempt stays on record
        raise Conflict(
            _(
                "Someone else saved this assessment while you were editing it. What you typed is kept: check "
                "the saved draft («See the whole draft»), then save again."
            ),
            current=stale,
        )
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().select_related("instrument_version").get(pk=assessment.pk)
        if locked.version != expected_version:
            raise Conflict(
                _("Someone else saved this assessment at the same moment. Reload and try again."), current=locked
            )
        if not locked.is_draft:
            raise Conflict(_("Someone finalised this assessment after you opened it. To correct it, make a new one."))
        changed = False
        for name, value in header.items():
            if getattr(locked, name) != value:
                setattr(locked, name, value)
                changed = True
        if people is not None and {u.pk for u in people} != set(locked.assessors.values_list("pk", flat=True)):
            locked.assessors.set(people)
            changed = True
        rows = {i.code: i for i in locked.items.filter(code__in=[c.code for c in changes])}
        for change in changes:
            row = rows[change.code]
            before = (row.rating, row.confidence, row.evidence)
            if change.rating is not None:
                row.rating = change.rating
            if change.confidence is not None:
                row.confidence = change.confidence
            if change.evidence is not None:
                row.evidence = change.evidence
            if (row.rating, row.confidence, row.evidence) != before:
                row.save(update_fields=["rating", "confidence", "evidence"])
                changed = True
        if not changed:
            return locked
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save()
        _revision(locked, actor.user)
        audit_by(actor, Action.ASSESSMENT_UPDATE, obj=locked, case=locked.case)
    return locked


def finalise_problems(assessment: Assessment, items: Sequence[AssessmentItem]) -> list[str]:
    """What must still be filled in before the assessment can be finalised (empty: it can be)."""
    problems: list[str] = []

    def listed(codes: list[str]) -> str:
        return ", ".join(codes[:10]) + (" …" if len(codes) > 10 else "")

    unrated = [i.code for i in items if not i.rating]
    if unrated:
        problems.append(
            str(_("Rate every item (use «unknown» where you do not know): %(c)s.") % {"c": listed(unrated)})
        )
    no_evidence = [i.code for i in items if i.rating and not i.evidence.strip()]
    if no_evidence:
        problems.append(
            str(_("Give the evidence behind every rating, «unknown» included: %(c)s.") % {"c": listed(no_evidence)})
        )
    no_confidence = [i.code for i in items if i.rating and i.rating != "unknown" and not i.confidence]
    if no_confidence:
        problems.append(str(_("Say how confident you are in each rating: %(c)s.") % {"c": listed(no_confidence)}))
    if not assessment.summary_level:
        problems.append(str(_("Choose the level of concern.")))
    for value, label in (
        (assessment.summary_judgement, _("the summary judgement")),
        (assessment.formulation, _("the formulation")),
        (assessment.management, _("the management recommendations")),
    ):
        if not value.strip():
            problems.append(str(_("Write %(field)s.") % {"field": label}))
    if assessment.reassessment_due is None or assessment.reassessment_due <= timezone.localdate():
        problems.append(str(_("Give a reassessment date after today.")))
    if assessment.previous_id and not assessment.changes_since_last.strip():
        problems.append(str(_("Describe what has changed since the last assessment.")))
    return problems


def assessment_finalise(*, actor: Membership, assessment: Assessment, expected_version: int) -> Assessment:
    """Make the draft final: complete, then fixed for good. A correction is a new assessment."""
    ca = _access(actor, assessment.case)
    if not access.assessment_decision(ca, assessment):
        raise NotFound(_("The assessment was not found."))
    _require(access.may_edit(ca, assessment))
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().select_related("instrument_version").get(pk=assessment.pk)
        if locked.version != expected_version:
            raise Conflict(
                _("Someone else saved this assessment after you opened it. Reload and try again."), current=locked
            )
        if not locked.is_draft:
            raise Conflict(_("This assessment is already final."))
        # Compare with the newest final one the assessor may read now (another may have been finalised since).
        previous = _previous(ca, locked.instrument_version.instrument_id, exclude=locked.pk)
        if previous is not None and previous.pk != locked.previous_id:
            locked.previous = previous
        problems = finalise_problems(locked, list(locked.items.order_by("position")))
        if problems:
            raise Incomplete(problems)
        now = timezone.now()
        locked.status = AssessmentStatus.FINAL
        locked.finalised_at = now
        locked.finalised_by = actor.user
        locked.updated_at = now
        locked.version += 1
        locked.save()
        locked.assessors.add(actor.user)
        _revision(locked, actor.user)
        audit_by(actor, Action.ASSESSMENT_FINALISE, obj=locked, case=locked.case)
    return locked


# ---- Planning without an assessment --------------------------------------------------------------------


def assessment_skip_record(*, actor: Membership, case: Case, reason: str, explanation: str) -> AssessmentSkip:
    """Record why planning starts without a final assessment (a coordinator's decision, kept on the case)."""
    ca = _access(actor, case)
    _require(access.may_record_skip(actor, ca))
    if reason not in SkipReason.values:
        raise UtveiError(_("Choose a reason."), code="invalid_choice")
    explanation = clean_text(explanation, _("Explanation"), max_length=5000)
    if case.phase != Phase.ASSESSMENT:
        raise InvalidTransition(_("A reason to plan without an assessment is recorded in the assessment phase."))
    if Assessment.objects.filter(case=case, status=AssessmentStatus.FINAL).exists():
        raise InvalidTransition(_("The case has a final assessment: planning can start without a reason."))
    with transaction.atomic():
        skip = AssessmentSkip.objects.create(
            case=case,
            reason=reason,
            explanation=explanation,
            recorded_by=actor.user,
            recorded_by_org=actor.organisation,
        )
        audit_by(actor, Action.ASSESSMENT_SKIP, obj=skip, case=case, reason=reason)
    return skip
