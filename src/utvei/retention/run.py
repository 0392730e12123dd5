"""`utvei retention run`: the retention pass. For every closed case, the rule that applies (rules.py) says when it is
restricted and when it ends (anonymised, deleted, or exported for archiving and then deleted or kept restricted).

- **Idempotent.** A step is taken once (`RetentionStep` is unique per case and step, and the case's state moves
  on); a second run finds nothing due.
- **One transaction per case.** The case row is locked, the hold and the state read again under the lock, and every
  step due on it taken — or none, if anything fails (the error is logged without content; the next case goes on).
- **Audited per step**, with the system as actor and `rule id;v<version>` as the reason.
- **A legal hold blocks every step**; so does a restriction on the person's request (art. 18) block the end step.
- `dry_run` plans the same steps, changes nothing and writes no audit event.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import serializers
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from utvei.accounts.models import Membership, Organisation
from utvei.audit.models import Action
from utvei.audit.services import audit_record
from utvei.cases.models import Case, Concern, ConcernHandoff, Phase, RestrictionCode, RetentionState
from utvei.core.crypto import encrypt_bytes
from utvei.people.models import Person, PersonVersion
from utvei.people.services import person_shred

from . import anonymise
from .models import LegalHold, RetentionStep, Step
from .rules import Rule, RuleSet, due_dates, load_rules
from .services import restrict

logger = logging.getLogger("utvei.retention")


class RetentionError(RuntimeError):
    """A step cannot be taken safely (e.g. deleting the case would delete something that is not about it)."""


@dataclass(frozen=True)
class Planned:
    """One step due on one case, or blocked: what the dry run lists and the run takes."""

    case_pk: int
    reference: str
    rule: Rule
    rules_version: int
    step: str
    due_on: dt.date
    blocked: str = ""  # "hold" | "art18" | ""

    def line(self) -> str:
        """One line of the dry run: rule, statute, case reference, due date, step, and why not, if blocked."""
        then = f" then {self.rule.archive_then}" if self.step == Step.ARCHIVE else ""
        why = {"hold": " — BLOCKED by a legal hold", "art18": " — BLOCKED: restricted on the person's request"}.get(
            self.blocked, ""
        )
        return (
            f"{self.reference}: {self.step}{then} due {self.due_on.isoformat()} under rule {self.rule.id} "
            f"(v{self.rules_version}; {self.rule.statute_en}){why}"
        )


@dataclass
class RunResult:
    planned: list[Planned] = field(default_factory=list)
    done: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failed: int = 0

    def summary(self) -> str:
        taken = ", ".join(f"{k} {v}" for k, v in sorted(self.done.items())) or "nothing due"
        held = sum(1 for p in self.planned if p.blocked)
        return f"{taken}; {held} blocked; {self.failed} failed"

    def __bool__(self) -> bool:  # the worker logs a run only when something happened
        return bool(self.done) or self.failed > 0


def _candidates() -> models.QuerySet[Case]:
    return (
        Case.objects.filter(
            phase=Phase.CLOSED,
            closed_at__isnull=False,
            retention_state__in=[RetentionState.ACTIVE, RetentionState.RESTRICTED],
        )
        .select_related("owning_org")
        .order_by("pk")
    )


def plan_case(case: Case, rules: RuleSet, today: dt.date, *, held: bool) -> list[Planned]:
    """The steps due on one case today, in order (restrict before the end step), each marked if blocked."""
    rule = rules.for_case(case)
    due = due_dates(case, rule)
    if due is None:
        return []
    out: list[Planned] = []
    blocked = "hold" if held else ""

    def planned(step: str, due_on: dt.date, why: str) -> Planned:
        return Planned(case.pk, case.reference, rule, rules.version, step, due_on, why)

    if case.retention_state == RetentionState.ACTIVE and today >= due.restrict_on:
        out.append(planned(Step.RESTRICT, due.restrict_on, blocked))
    if today >= due.end_on:
        art18 = case.retention_state == RetentionState.RESTRICTED and case.restriction_code == RestrictionCode.ART18
        why = blocked or ("art18" if art18 else "")
        if not why and rule.end == Step.ANONYMISE:  # e.g. follow-ups still to come: anonymised when they are past
            why = next(iter(anonymise.anonymise_blockers(case, today=today)), "")
        out.append(planned(rule.end, due.end_on, why))
    return out


def retention_plan(*, now: dt.datetime | None = None, rules: RuleSet | None = None) -> list[Planned]:
    """Every step due today on every closed case, blocked ones included. Reads only."""
    moment = now or timezone.now()
    ruleset = rules or load_rules()
    today = timezone.localdate(moment)
    held = set(LegalHold.objects.active().values_list("case_id", flat=True))
    planned: list[Planned] = []
    for case in _candidates().iterator(chunk_size=500):
        planned += plan_case(case, ruleset, today, held=case.pk in held)
    return planned


def retention_run(*, now: dt.datetime | None = None, dry_run: bool = False, rules: RuleSet | None = None) -> RunResult:
    """The pass: plan, then (unless `dry_run`) take each case's due steps in one transaction per case."""
    moment = now or timezone.now()
    ruleset = rules or load_rules()
    result = RunResult(planned=retention_plan(now=moment, rules=ruleset))
    if dry_run:
        return result
    by_case: dict[int, list[Planned]] = defaultdict(list)
    for p in result.planned:
        if not p.blocked:
            by_case[p.case_pk].append(p)
    for pk in by_case:
        try:
            for step in _run_case(pk, ruleset, moment):
                result.done[step] += 1
        except Exception as exc:  # one case failing leaves it as it was; the others go on
            result.failed += 1
            logger.error("retention: case %s failed: %s", pk, type(exc).__name__)
    return result


def _run_case(pk: int, rules: RuleSet, now: dt.datetime) -> list[str]:
    """Take the steps due on one case, planned again under the row lock (a hold set meanwhile wins)."""
    taken: list[str] = []
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=pk).first()
        if case is None:
            return taken
        case = Case.objects.select_related("owning_org", "person").get(pk=pk)
        held = LegalHold.objects.active().filter(case_id=pk).exists()
        today = timezone.localdate(now)
        for p in plan_case(case, rules, today, held=held):
            if p.blocked or RetentionStep.objects.filter(case_id=pk, step=p.step).exists():
                continue
            _take(case, p, now)
            taken.append(p.step)
            if p.step == Step.DELETE or (p.step == Step.ARCHIVE and p.rule.archive_then == "delete"):
                break
    return taken


def _reason(p: Planned) -> str:
    return f"{p.rule.id};v{p.rules_version}"[:64]


def _record(case: Case, p: Planned, now: dt.datetime, archive_file: str = "") -> None:
    RetentionStep.objects.create(
        case=case,
        step=p.step,
        rule_id=p.rule.id,
        rules_version=p.rules_version,
        due_on=p.due_on,
        taken_at=now,
        archive_file=archive_file,
    )


def _take(case: Case, p: Planned, now: dt.datetime) -> None:
    if p.step == Step.RESTRICT:
        restrict(
            case=case,
            code=RestrictionCode.RETENTION,
            reason=f"{p.rule.id}: {p.rule.statute_nb}",
            at=now,
            rule=_reason(p),
        )
        _record(case, p, now)
    elif p.step == Step.ANONYMISE:
        _anonymise(case, p, now)
    elif p.step == Step.DELETE:
        audit_record(action=Action.RETENTION_DELETE, obj=case, case=case, reason=_reason(p))
        case_delete(case)
    elif p.step == Step.ARCHIVE:
        name = archive_write(case, p, now)
        audit_record(action=Action.RETENTION_ARCHIVE, obj=case, case=case, reason=_reason(p))
        if p.rule.archive_then == "delete":
            audit_record(action=Action.RETENTION_DELETE, obj=case, case=case, reason=_reason(p))
            case_delete(case)
        else:
            case.retention_state = RetentionState.ARCHIVED
            case.restriction_code = RestrictionCode.ARCHIVE
            case.save(update_fields=["retention_state", "restriction_code"])
            _record(case, p, now, archive_file=name)


def _anonymise(case: Case, p: Planned, now: dt.datetime) -> None:
    """The one call to the anonymisation (`retention.anonymise.case_anonymise`, docs/anonymisation.md). When the
    person's last case is anonymised, their data keys are destroyed after the commit (`person_shred`: nothing kept
    is encrypted, so no evidence is lost; what was missed, and every backup, becomes unreadable)."""
    _record(case, p, now)  # first: its dates then move with the case's, like every other date kept
    report = anonymise.case_anonymise(case, at=now)
    Case.objects.filter(pk=case.pk).update(
        retention_state=RetentionState.ANONYMISED, restriction_reason="", restricted_by=None
    )
    audit_record(action=Action.RETENTION_ANONYMISE, obj=case, case=case, reason=_reason(p))
    if report.person_anonymised:
        person = case.person
        transaction.on_commit(lambda: person_shred(actor=None, person=person, reason="anonymised"))


# ---- Everything about a case ------------------------------------------------------------------------------

# Never reached by following a case's rows: they are not about the case (other cases, people who work here).
_NOT_ABOUT_THE_CASE = (Case, Organisation, Membership)


def _about(case: Case) -> Iterator[models.Model]:
    """Every row about the case: the case, and the rows that point at it or at such a row (reverse relations),
    breadth first, rows of another case left out. The person and their versions come with it when no other case
    is about them."""
    seen: set[tuple[str, Any]] = set()
    queue: list[models.Model] = [case]
    while queue:
        obj = queue.pop(0)
        key = (obj._meta.label, obj.pk)
        if key in seen:
            continue
        seen.add(key)
        yield obj
        for rel in obj._meta.related_objects:
            model = rel.related_model
            if not isinstance(model, type) or model in _NOT_ABOUT_THE_CASE or rel.many_to_many:
                continue
            if model._meta.label == "audit.AuditEvent":
                continue
            rows = model._default_manager.filter(**{rel.field.name: obj})
            if any(f.name == "case" and f.is_relation for f in model._meta.fields):
                rows = rows.filter(case_id=case.pk)
            queue.extend(rows)


def _person_alone(case: Case) -> bool:
    return not Case.objects.filter(person_id=case.person_id).exclude(pk=case.pk).exists()


def archive_write(case: Case, p: Planned, now: dt.datetime) -> str:
    """Write everything about the case to UTVEI_ARCHIVE_DIR as JSON (Django's serialisation, the encrypted fields
    in clear), encrypted with the keyring (`core.crypto.encrypt_bytes`, bound to the case's public id): the file is
    as protected as the database. Returns the file's name: `<case public id>.json.enc`."""
    rows = list(_about(case))
    rows.append(case.person)
    rows += list(PersonVersion.objects.filter(person_id=case.person_id))
    document = {
        "utvei_archive": 1,
        "case": str(case.public_id),
        "reference": case.reference,
        "rule": p.rule.id,
        "rules_version": p.rules_version,
        "statute_nb": p.rule.statute_nb,
        "statute_en": p.rule.statute_en,
        "exported_at": now.isoformat(),
        "rows": json.loads(serializers.serialize("json", rows)),
    }
    data = json.dumps(document, ensure_ascii=False, sort_keys=True, default=str).encode()
    folder = Path(settings.UTVEI_ARCHIVE_DIR)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{case.public_id}.json.enc"
    target = folder / name
    partial = folder / f".{name}.part"
    partial.write_bytes(encrypt_bytes(data, context=archive_context(case.public_id)))
    partial.replace(target)
    return name


def archive_context(public_id: Any) -> str:
    return f"retention.archive:{public_id}"


def case_delete(case: Case) -> None:
    """Delete the case and everything about it, in the caller's transaction; the person too when no other case is
    about them. Links from other cases and other organisations' concerns are cut, never followed. The audit log
    keeps the ids and codes it already holds."""
    Case.objects.filter(previous_case=case).update(previous_case=None)
    Concern.objects.filter(forwarded_from__case=case).update(forwarded_from=None)
    ConcernHandoff.objects.filter(forwarded__case=case).exclude(concern__case=case).update(forwarded=None)
    person, alone = case.person, _person_alone(case)
    _purge(Case.objects.filter(pk=case.pk), case)
    if alone:
        _purge(Person.objects.filter(pk=person.pk), case)
        # The rows are gone; the backups still hold them: destroying the data keys makes those unreadable too.
        transaction.on_commit(lambda: person_shred(actor=None, person=person, reason="deleted"))


def _purge(rows: models.QuerySet[Any], case: Case, depth: int = 0) -> None:
    """Delete the rows; where a protecting reference stands in the way, delete the rows that hold it first —
    unless they are another case, an organisation or a membership (RetentionError: nothing is deleted)."""
    if depth > 12:
        raise RetentionError("too deep")
    for _attempt in range(40):
        try:
            with transaction.atomic():
                rows.delete()
            return
        except (ProtectedError, RestrictedError) as exc:
            blockers: dict[type[models.Model], list[Any]] = defaultdict(list)
            for obj in exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects:
                if isinstance(obj, _NOT_ABOUT_THE_CASE) and not (isinstance(obj, Case) and obj.pk == case.pk):
                    raise RetentionError(f"{obj._meta.label} stands in the way") from exc
                blockers[type(obj)].append(obj.pk)
            for model, pks in blockers.items():
                _purge(model._default_manager.filter(pk__in=pks), case, depth + 1)
    raise RetentionError("could not delete")
