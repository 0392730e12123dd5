"""The unusual-access detector: reads the audit log from where it stopped and queues rule hits for the DPO.

`alerts_scan()` reads the events after the last `seq` it scanned (`AlertScan`), in batches, each batch in one
transaction with the alerts it raises and the new position — so a crash loses nothing and repeats nothing. For every
window an event touches, the rule is evaluated on the whole window as the log holds it, so the result does not
depend on how the log was cut into batches, and re-running finds the alert that is already there (one per rule,
user, organisation, case and window start: `AccessAlert`'s unique constraint). Runs from the worker every
UTVEI_ALERT_SCAN_INTERVAL minutes and as `utvei alerts scan`. docs/oversight.md describes each rule.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from utvei.accounts.models import Organisation, User
from utvei.audit.models import Action, AuditEvent
from utvei.audit.services import audit_record
from utvei.cases.models import Case, TeamMember
from utvei.sharing.models import Referral

from .basis import READS
from .models import AccessAlert, AlertScan
from .rules import Rule, Rules, load_rules, outside_office_hours

BATCH = 2000
# Events that name a case but are not an access to its data: looks at the log itself, the DPO's reviews,
# refusals (nothing was read) and the system's reminders.
NOT_ACCESS = frozenset(
    {
        Action.AUDIT_VIEW,
        Action.ACCESS_REPORT,
        Action.ALERT_RAISE,
        Action.ALERT_VIEW,
        Action.ALERT_REVIEW,
        Action.EMERGENCY_REVIEW,
        Action.EMERGENCY_VIEW,
        Action.EMERGENCY_REFUSED,
        Action.CASE_DENIED,
        Action.ATTACHMENT_REFUSED,
        Action.REMINDER_SEND,
    }
)
EVENT_FIELDS = ("seq", "occurred_at", "actor_id", "actor_org_id", "action", "object_id", "case_id", "reason")


@dataclass
class ScanResult:
    scanned: int = 0
    created: int = 0
    updated: int = 0
    last_seq: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)  # alerts raised per rule


def is_access(e: dict[str, Any]) -> bool:
    """A user acting for an organisation did something to a case's data."""
    return (
        e["actor_id"] is not None
        and e["actor_org_id"] is not None
        and bool(e["case_id"])
        and e["action"] not in NOT_ACCESS
    )


def _access_q() -> Q:
    return Q(actor_id__isnull=False, actor_org_id__isnull=False) & ~Q(case_id="") & ~Q(action__in=NOT_ACCESS)


def _under_emergency(e: dict[str, Any]) -> bool:
    return e["action"].startswith("emergency.") or e["reason"].startswith("emergency")


@dataclass(frozen=True)
class _CaseId:
    """What audit_record needs of a case: its public id (the detector never loads case content)."""

    public_id: str


# ---- Alerts --------------------------------------------------------------------------------------------------


class _Tally:
    def __init__(self, result: ScanResult) -> None:
        self.result = result

    def upsert(
        self,
        rule: Rule,
        *,
        user_id: int,
        org_id: int,
        case_id: str,
        start: dt.datetime,
        end: dt.datetime,
        events: int,
        cases: int,
        first_seq: int,
        last_seq: int,
        threshold: int | None = None,
        baseline: float | None = None,
        ref: str = "",
    ) -> None:
        """Raise the alert for this rule, user, organisation, case and window, or bring a pending one's counts up to
        date. A reviewed alert is left as the reviewer saw it."""
        key = {"rule": rule.id, "user_id": user_id, "organisation_id": org_id, "case_public_id": case_id}
        found = AccessAlert.objects.filter(**key, window_start=start).first()
        counts = {
            "window_end": end,
            "events": events,
            "cases": cases,
            "threshold": threshold,
            "baseline": baseline,
            "first_seq": first_seq,
            "last_seq": last_seq,
        }
        if found is not None:
            if found.pending and any(getattr(found, k) != v for k, v in counts.items()):
                for k, v in counts.items():
                    setattr(found, k, v)
                found.updated_at = timezone.now()
                found.save(update_fields=[*counts, "updated_at"])
                self.result.updated += 1
            return
        alert = AccessAlert.objects.create(**key, window_start=start, rule_version=rule.version, ref=ref, **counts)
        audit_record(
            action=Action.ALERT_RAISE,
            object_type="alert",
            object_id=str(alert.public_id),
            case=_CaseId(case_id) if case_id else None,
            reason=f"{rule.id};v{rule.version};user={user_id}"[:64],
        )
        self.result.created += 1
        self.result.by_rule[rule.id] = self.result.by_rule.get(rule.id, 0) + 1


# ---- Windows -------------------------------------------------------------------------------------------------


def _local_day(at: dt.datetime, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    day = at.astimezone(tz).date()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def _window(at: dt.datetime, hours: int, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The window of `hours` hours, counted from local midnight, that holds the moment."""
    local = at.astimezone(tz)
    first = (local.hour // hours) * hours
    day = local.date()
    start = dt.datetime.combine(day, dt.time(first), tzinfo=tz)
    last = first + hours
    end = (
        dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        if last >= 24
        else dt.datetime.combine(day, dt.time(last), tzinfo=tz)
    )
    return start, end


def _span(qs: Any) -> tuple[int, int, int, int]:
    """(events, distinct cases, first seq, last seq) of a set of events."""
    agg = qs.aggregate(n=Count("pk"), c=Count("case_id", distinct=True), lo=Min("seq"), hi=Max("seq"))
    return agg["n"] or 0, agg["c"] or 0, agg["lo"] or 0, agg["hi"] or 0


# ---- The rules -----------------------------------------------------------------------------------------------


def _emergency_hours(reason: str) -> int:
    """The window of an emergency access from its event's reason (`code;4h`)."""
    for part in reason.split(";"):
        if part.endswith("h") and part[:-1].isdigit():
            return int(part[:-1])
    return 4


def _case_hits(
    tally: _Tally,
    rule: Rule,
    user_id: int,
    org_id: int,
    case_id: str,
    start: dt.datetime,
    end: dt.datetime,
    hits: Sequence[Mapping[str, Any]],
) -> None:
    """One alert for one user's events on one case in one window (the rules judged event by event)."""
    tally.upsert(
        rule,
        user_id=user_id,
        org_id=org_id,
        case_id=case_id,
        start=start,
        end=end,
        events=len(hits),
        cases=1,
        first_seq=min(e["seq"] for e in hits),
        last_seq=max(e["seq"] for e in hits),
    )


def _emergency_access(rule: Rule, opens: list[dict[str, Any]], tally: _Tally) -> None:
    """Every emergency access: one alert per access, its window the access's."""
    for e in opens:
        start = e["occurred_at"]
        tally.upsert(
            rule,
            user_id=e["actor_id"],
            org_id=e["actor_org_id"],
            case_id=e["case_id"],
            start=start,
            end=start + dt.timedelta(hours=_emergency_hours(e["reason"])),
            events=1,
            cases=1,
            first_seq=e["seq"],
            last_seq=e["seq"],
            ref=e["object_id"],
        )


def _repeated_emergency(rule: Rule, opens: list[dict[str, Any]], tally: _Tally) -> None:
    """k emergency accesses by one user (for one organisation) within n days: the window starts at the first of
    them and lasts n days; later ones inside it are counted in the same alert."""
    k, days = rule.params["count"], dt.timedelta(days=rule.params["days"])
    for e in opens:
        user_id, org_id, at = e["actor_id"], e["actor_org_id"], e["occurred_at"]
        mine = AuditEvent.objects.filter(action=Action.EMERGENCY_OPEN, actor_id=user_id, actor_org_id=org_id)
        covering = AccessAlert.objects.filter(
            rule=rule.id, user_id=user_id, organisation_id=org_id, window_start__lte=at, window_end__gt=at
        ).first()
        if covering is not None:
            start, end = covering.window_start, covering.window_end
        else:
            first = mine.filter(occurred_at__gt=at - days, occurred_at__lte=at).order_by("occurred_at", "seq").first()
            if first is None:
                continue
            start, end = first.occurred_at, first.occurred_at + days
        n, cases, lo, hi = _span(mine.filter(occurred_at__gte=start, occurred_at__lt=end))
        if n >= k:
            tally.upsert(
                rule,
                user_id=user_id,
                org_id=org_id,
                case_id="",
                start=start,
                end=end,
                events=n,
                cases=cases,
                threshold=k,
                first_seq=lo,
                last_seq=hi,
            )


def _volume_spike(rule: Rule, reads: list[dict[str, Any]], tz: ZoneInfo, tally: _Tally) -> None:
    """More distinct cases read in a window than `max_cases`, or (from `baseline_min_cases` up) more than
    `baseline_multiple` times the user's own average per window over the previous `baseline_days` days."""
    p = rule.params
    hours = p["window_hours"]
    touched = {(e["actor_id"], e["actor_org_id"], *_window(e["occurred_at"], hours, tz)) for e in reads}
    for user_id, org_id, start, end in sorted(touched, key=lambda t: (t[2], t[0], t[1])):
        theirs = AuditEvent.objects.filter(actor_id=user_id, actor_org_id=org_id, action__in=READS).exclude(case_id="")
        n, cases, lo, hi = _span(theirs.filter(occurred_at__gte=start, occurred_at__lt=end))
        threshold, baseline = None, None
        if cases > p["max_cases"]:
            threshold = p["max_cases"]
        elif cases >= p["baseline_min_cases"]:
            since = start - dt.timedelta(days=p["baseline_days"])
            per_hour = (
                theirs.filter(occurred_at__gte=since, occurred_at__lt=start)
                .annotate(h=TruncHour("occurred_at", tzinfo=tz))
                .values_list("case_id", "h")
                .distinct()
            )
            windows = {(case, _window(h, hours, tz)[0]) for case, h in per_hour}
            baseline = len(windows) / (p["baseline_days"] * 24 / hours)
            if cases > p["baseline_multiple"] * baseline:
                threshold = int(p["baseline_multiple"] * baseline)
        if threshold is not None:
            tally.upsert(
                rule,
                user_id=user_id,
                org_id=org_id,
                case_id="",
                start=start,
                end=end,
                events=n,
                cases=cases,
                threshold=threshold,
                baseline=round(baseline, 2) if baseline is not None else None,
                first_seq=lo,
                last_seq=hi,
            )


def _outside_office_hours(rule: Rule, accesses: list[dict[str, Any]], tz: ZoneInfo, tally: _Tally) -> None:
    """Access to a case's data outside office hours: one alert per user, organisation, case and local day."""
    p = rule.params
    touched = {
        (e["actor_id"], e["actor_org_id"], e["case_id"], *_local_day(e["occurred_at"], tz))
        for e in accesses
        if outside_office_hours(e["occurred_at"], p, tz)
    }
    for user_id, org_id, case_id, start, end in sorted(touched, key=lambda t: (t[3], t[0], t[1], t[2])):
        day = AuditEvent.objects.filter(
            _access_q(),
            actor_id=user_id,
            actor_org_id=org_id,
            case_id=case_id,
            occurred_at__gte=start,
            occurred_at__lt=end,
        )
        hits = [e for e in day.values("seq", "occurred_at") if outside_office_hours(e["occurred_at"], p, tz)]
        if hits:
            _case_hits(tally, rule, user_id, org_id, case_id, start, end, hits)


class _Circles:
    """Who is responsible for each case: its owner, its team's organisations (with their periods), and the
    organisations it was referred or transferred between; and each organisation's jurisdiction."""

    def __init__(self, case_ids: Iterable[str]) -> None:
        ids = sorted(set(case_ids))
        cases = Case.objects.filter(public_id__in=ids).values_list("pk", "public_id", "owning_org_id")
        self.case_pk = {str(pub): pk for pk, pub, _org in cases}
        self.owner = {pk: org for pk, _pub, org in cases}
        self.team: dict[int, list[tuple[int, dt.datetime, dt.datetime | None]]] = defaultdict(list)
        rows = TeamMember.objects.filter(case_id__in=self.owner).values_list(
            "case_id", "organisation_id", "started_at", "ended_at"
        )
        for case_pk, org, started, ended in rows:
            self.team[case_pk].append((org, started, ended))
        self.referred: dict[int, set[int]] = defaultdict(set)
        for case_pk, src, dst in Referral.objects.filter(case_id__in=self.owner).values_list(
            "case_id", "from_org_id", "to_org_id"
        ):
            self.referred[case_pk] |= {src, dst}
        self._regions: dict[int, str] = {}

    def region(self, org_id: int) -> str:
        if org_id not in self._regions:
            self._regions[org_id] = (
                Organisation.objects.filter(pk=org_id).values_list("jurisdiction", flat=True).first() or ""
            ).strip()
        return self._regions[org_id]

    def outside(self, e: dict[str, Any], *, different_region_only: bool) -> bool:
        pk = self.case_pk.get(e["case_id"])
        if pk is None:  # no longer held (or not a case): nothing to compare with
            return False
        org, at = e["actor_org_id"], e["occurred_at"]
        if org == self.owner[pk] or org in self.referred[pk]:
            return False
        if any(o == org and s <= at and (end is None or end > at) for o, s, end in self.team[pk]):
            return False
        if different_region_only:
            mine, theirs = self.region(org), self.region(self.owner[pk])
            return bool(mine and theirs and mine != theirs)
        return True


def _other_jurisdiction(rule: Rule, accesses: list[dict[str, Any]], tz: ZoneInfo, tally: _Tally) -> None:
    """An access by a user whose organisation is outside the case's circle: one alert per user, organisation,
    case and local day."""
    p = rule.params
    candidates = [e for e in accesses if p["include_emergency"] or not _under_emergency(e)]
    if not candidates:
        return
    circles = _Circles(e["case_id"] for e in candidates)
    region_only = p["different_region_only"]
    touched = {
        (e["actor_id"], e["actor_org_id"], e["case_id"], *_local_day(e["occurred_at"], tz))
        for e in candidates
        if circles.outside(e, different_region_only=region_only)
    }
    for user_id, org_id, case_id, start, end in sorted(touched, key=lambda t: (t[3], t[0], t[1], t[2])):
        day = AuditEvent.objects.filter(
            _access_q(),
            actor_id=user_id,
            actor_org_id=org_id,
            case_id=case_id,
            occurred_at__gte=start,
            occurred_at__lt=end,
        ).values(*EVENT_FIELDS)
        hits = [
            e
            for e in day
            if (p["include_emergency"] or not _under_emergency(e))
            and circles.outside(e, different_region_only=region_only)
        ]
        if hits:
            _case_hits(tally, rule, user_id, org_id, case_id, start, end, hits)


# ---- The scan ------------------------------------------------------------------------------------------------


def _known(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events whose user and organisation still exist (an alert points at both)."""
    users = {e["actor_id"] for e in events if e["actor_id"] is not None}
    orgs = {e["actor_org_id"] for e in events if e["actor_org_id"] is not None}
    known_users = set(User.objects.filter(pk__in=users).values_list("pk", flat=True)) if users else set()
    known_orgs = set(Organisation.objects.filter(pk__in=orgs).values_list("pk", flat=True)) if orgs else set()
    return [e for e in events if e["actor_id"] in known_users and e["actor_org_id"] in known_orgs]


def scan_events(events: list[dict[str, Any]], rules: Rules, result: ScanResult) -> None:
    """Run every enabled rule over one batch of events (dicts of EVENT_FIELDS, in `seq` order)."""
    tally = _Tally(result)
    events = _known(events)
    accesses = [e for e in events if is_access(e)]
    opens = [e for e in accesses if e["action"] == Action.EMERGENCY_OPEN]
    if (rule := rules.get("emergency_access")) is not None:
        _emergency_access(rule, opens, tally)
    if (rule := rules.get("repeated_emergency")) is not None:
        _repeated_emergency(rule, opens, tally)
    if (rule := rules.get("volume_spike")) is not None:
        _volume_spike(rule, [e for e in accesses if e["action"] in READS], rules.tz, tally)
    if (rule := rules.get("outside_office_hours")) is not None:
        _outside_office_hours(rule, accesses, rules.tz, tally)
    if (rule := rules.get("other_jurisdiction")) is not None:
        _other_jurisdiction(rule, accesses, rules.tz, tally)


def _locked_state() -> AlertScan:
    AlertScan.objects.get_or_create(pk=1)
    return AlertScan.objects.select_for_update().get(pk=1)


def alerts_scan(*, rules: Rules | None = None, batch: int = BATCH) -> ScanResult:
    """Read the audit log from where the last scan stopped and queue what the rules find. Idempotent: running it
    again finds nothing new; each batch and its alerts commit together with the new position."""
    rules = rules or load_rules()
    result = ScanResult()
    while True:
        with transaction.atomic():
            state = _locked_state()
            events = list(
                AuditEvent.objects.filter(seq__gt=state.last_seq).order_by("seq").values(*EVENT_FIELDS)[:batch]
            )
            if events:
                scan_events(events, rules, result)
                state.last_seq = events[-1]["seq"]
                result.scanned += len(events)
            state.scanned_at = timezone.now()
            state.save(update_fields=["last_seq", "scanned_at"])
            result.last_seq = state.last_seq
        if len(events) < batch:
            return result


def scan_job() -> None:
    """One run of the worker's scan."""
    alerts_scan()
