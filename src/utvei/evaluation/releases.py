"""Releases of evaluation data outside the dashboards: differentially private figures and research extracts.

Two ways out, both for analysts only (everyone else is told there is nothing here), both audited, neither ever
carrying a name, an identity number, a birth date, a case reference or a public id:

- **Differentially private figures** (`dp_release`): recurring public figures — cases by track, closures by reason,
  re-engagement after closure, mean change of an indicator — with calibrated noise (OpenDP, stats/privacy.py).
  Every release spends ε of its dataset's privacy budget (an organisation's own cases, or an evaluation's pooled
  cases). The budget row is locked while a release is recorded and the release is refused *before anything is
  computed* when it would take the spent total past the budget. Each person contributes one record to a release:
  the latest of their cases that the query is about.
- **Pseudonymised research extracts** (`research_extract`): one row per person with an active research consent
  ("evaluation_research") on the case, with a pseudonym made with a fresh random key that is thrown away after the
  release (no two extracts can be joined), and the quasi-identifiers age band, region and quarter opened, together
  with track generalised until every combination occurs at least k (≥ 5) times. Fewer than k rows: refused.

Audit events name the dataset or the extract and the query, ε or row count — never a person or a case.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access.evaluation import analytics_cases, analytics_decision, analytics_org_ids
from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.cases.models import Case, ClosureReason, Phase, Track
from utvei.core.errors import NotFound, UtveiError
from utvei.core.vocabulary import DataCategory
from utvei.people.models import AgeBand
from utvei.plans.models import ItemStatus, PlanItem, PlanStatus
from utvei.sharing.models import Consent, Purpose

from .models import (
    ADVERSE_OUTCOMES,
    OCCASION_ORDER,
    OUTCOME_CATEGORY,
    Evaluation,
    Indicator,
    Measurement,
    Occasion,
    OutcomeEvent,
    PrivacyBudget,
    PrivacyRelease,
    ResearchExtract,
)
from .stats.kanon import QUARTER_LEVELS, REGION_LEVELS, STAR, TRACK_LEVELS, K, Level, generalise, pseudonym
from .stats.privacy import BUDGET_TOLERANCE, BudgetExceeded, Release, check_budget, dp_count, dp_histogram, dp_mean

DEFAULT_EPSILON_BUDGET = 2.0
"""The total ε an organisation's own dataset may spend (an evaluation has its own, agreed budget)."""

CASES_BY_TRACK = "cases_by_track"
CLOSED_BY_REASON = "closed_by_reason"
REENGAGED_AFTER_CLOSURE = "reengaged_after_closure"
MEAN_CHANGE = "mean_change:"
"""Prefix of the mean-change queries: ``mean_change:<indicator-key>``."""

QUERIES: tuple[str, ...] = (CASES_BY_TRACK, CLOSED_BY_REASON, REENGAGED_AFTER_CLOSURE, MEAN_CHANGE + "<indicator-key>")
"""The public list of figures that may be released with differential privacy."""

QUASI_IDENTIFIERS: tuple[str, ...] = ("track", "age_band", "quarter", "region")
"""The extract's quasi-identifiers, in the order of the generalisation lattice: later ones are coarsened first."""

UNKNOWN = "unknown"


# ---- Errors ------------------------------------------------------------------------------------------------


class BudgetSpent(UtveiError):
    """The release would take the dataset past its privacy budget."""

    code = "budget_spent"
    status = 409

    def __init__(self, message: Any = None) -> None:
        super().__init__(
            message
            or _(
                "The privacy budget for these figures is spent: releasing more would say too much about the persons "
                "behind them. No figures were released."
            )
        )


class ExtractRefused(UtveiError):
    """Too few rows for every combination of quasi-identifiers to occur at least k times."""

    code = "k_anonymity"
    status = 409

    def __init__(self, message: Any = None) -> None:
        super().__init__(
            message
            or _(
                "The extract was refused: too few persons have consented to research for every row to hide among "
                "at least five others like it."
            )
        )


def _not_found() -> NotFound:
    return NotFound(_("Not found."))


# ---- Scope and ledger --------------------------------------------------------------------------------------


def _scope(actor: Membership | None, evaluation: Evaluation | None) -> QuerySet[Case]:
    """The cases the principal's release is computed over; NotFound for anyone but an analyst, and for an
    evaluation their organisation has not joined."""
    if actor is None or not analytics_decision(actor):
        raise _not_found()
    if evaluation is not None and not analytics_org_ids(actor, evaluation):
        raise _not_found()
    return analytics_cases(actor, evaluation)


def dataset_key(m: Membership, evaluation: Evaluation | None = None) -> str:
    """The ledger's name for what a release is about: an organisation's own cases, or an evaluation's."""
    if evaluation is not None:
        return f"evaluation:{evaluation.public_id}"
    return f"org:{m.organisation.slug}"


def _default_budget(dataset: str) -> float:
    prefix, _sep, rest = dataset.partition(":")
    if prefix == "evaluation":
        budget = Evaluation.objects.filter(public_id=rest).values_list("epsilon_budget", flat=True).first()
        if budget is not None:
            return float(budget)
    return DEFAULT_EPSILON_BUDGET


@dataclass(frozen=True)
class Ledger:
    """A dataset's privacy budget: the total, what the releases so far spent, what is left, the releases."""

    dataset: str
    total: float
    spent: float
    remaining: float
    releases: list[PrivacyRelease] = field(default_factory=list)


def ledger(dataset: str) -> Ledger:
    """The privacy-budget ledger of one dataset, releases newest first. (A read: the caller checks access.)"""
    total_row = PrivacyBudget.objects.filter(dataset=dataset).values_list("epsilon_total", flat=True).first()
    total = float(total_row) if total_row is not None else _default_budget(dataset)
    releases = list(PrivacyRelease.objects.filter(dataset=dataset).order_by("-released_at", "-pk"))
    spent = math.fsum(r.epsilon for r in releases)
    return Ledger(dataset=dataset, total=total, spent=spent, remaining=total - spent, releases=releases)


def _budget_locked(dataset: str, evaluation: Evaluation | None) -> PrivacyBudget:
    """The dataset's budget row, created on first use, locked until the transaction ends."""
    total = float(evaluation.epsilon_budget) if evaluation is not None else DEFAULT_EPSILON_BUDGET
    PrivacyBudget.objects.get_or_create(dataset=dataset, defaults={"epsilon_total": total})
    return PrivacyBudget.objects.select_for_update().get(dataset=dataset)


# ---- What the figures are computed from ---------------------------------------------------------------------


def _latest_per_person(rows: Iterable[Mapping[str, Any]]) -> dict[int, Mapping[str, Any]]:
    """One row per person: their most recently opened case among `rows` (each person contributes once)."""
    best: dict[int, Mapping[str, Any]] = {}
    for row in rows:
        current = best.get(row["person_id"])
        if current is None or (row["opened_at"], row["pk"]) > (current["opened_at"], current["pk"]):
            best[row["person_id"]] = row
    return best


def _closed_on(closed_at: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(closed_at) if closed_at is not None else None


def _adverse_after_closure(case_closed: Mapping[int, dt.date | None]) -> dict[int, set[str]]:
    """Case pk -> the kinds of adverse outcome event (re-engagement, extremist offence) that happened after the day
    the case closed, for the closed cases of `case_closed` (case pk -> closure date) that had any."""
    closed = {pk: day for pk, day in case_closed.items() if day is not None}
    found: dict[int, set[str]] = defaultdict(set)
    if not closed:
        return found
    events = OutcomeEvent.objects.filter(case_id__in=list(closed), kind__in=[str(k) for k in ADVERSE_OUTCOMES])
    for case_id, kind, occurred_on in events.values_list("case_id", "kind", "occurred_on"):
        if occurred_on > closed[case_id]:
            found[case_id].add(kind)
    return found


@dataclass(frozen=True)
class _Pair:
    intake: float | None
    later: float | None


def _pairs(case_ids: Any, indicator_ids: Sequence[int]) -> dict[tuple[int, int], _Pair]:
    """Per (case, indicator): the intake value (the first intake measurement) and the latest later value (the last
    measurement at another occasion, on or after the intake). Corrected measurements are replaced by their
    corrections; a later value exists without an intake value when there was none."""
    rows = list(
        Measurement.objects.filter(case_id__in=case_ids, indicator_id__in=list(indicator_ids)).values(
            "pk", "case_id", "indicator_id", "occasion", "measured_on", "value", "corrects_id", "created_at"
        )
    )
    corrected = {row["corrects_id"] for row in rows if row["corrects_id"] is not None}
    grouped: dict[tuple[int, int], list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["pk"] not in corrected:
            grouped[(row["case_id"], row["indicator_id"])].append(row)
    pairs: dict[tuple[int, int], _Pair] = {}
    for key, items in grouped.items():
        items.sort(key=lambda r: (r["measured_on"], OCCASION_ORDER.get(r["occasion"], 0), r["created_at"], r["pk"]))
        intakes = [r for r in items if r["occasion"] == Occasion.INTAKE]
        intake = intakes[0] if intakes else None
        later = [
            r
            for r in items
            if r["occasion"] != Occasion.INTAKE and (intake is None or r["measured_on"] >= intake["measured_on"])
        ]
        pairs[key] = _Pair(
            intake=float(intake["value"]) if intake is not None else None,
            later=float(later[-1]["value"]) if later else None,
        )
    return pairs


# ---- Differentially private releases -------------------------------------------------------------------------


def _bad_query() -> UtveiError:
    return UtveiError(_("There is no such figure to release."), code="bad_query")


def _parse_query(query: Any) -> Indicator | None:
    """Check the query against the public list; the indicator of a mean-change query, else None."""
    if not isinstance(query, str):
        raise _bad_query()
    if query in (CASES_BY_TRACK, CLOSED_BY_REASON, REENGAGED_AFTER_CLOSURE):
        return None
    if query.startswith(MEAN_CHANGE):
        indicator = Indicator.objects.filter(key=query[len(MEAN_CHANGE) :]).first()
        if indicator is not None and indicator.max_value > indicator.min_value:
            return indicator
    raise _bad_query()


def _bad_epsilon() -> UtveiError:
    return UtveiError(
        _("The privacy loss (ε) must be a number above 0 and no larger than the dataset's budget."), code="bad_epsilon"
    )


def _epsilon(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad_epsilon()
    eps = float(value)
    if not (math.isfinite(eps) and eps > 0):
        raise _bad_epsilon()
    return eps


def available_queries() -> list[str]:
    """Every concrete query that may be released now: the fixed ones and a mean change per indicator."""
    keys = Indicator.objects.filter(active=True).order_by("position", "key").values_list("key", flat=True)
    return [CASES_BY_TRACK, CLOSED_BY_REASON, REENGAGED_AFTER_CLOSURE, *(MEAN_CHANGE + key for key in keys)]


def _histogram(categories: Sequence[str], values: list[str], eps: float) -> dict[str, Any]:
    released = dp_histogram(categories, values, epsilon=eps)
    mechanism = next(iter(released.values())).mechanism
    return {"histogram": {cat: r.value for cat, r in released.items()}, "mechanism": mechanism}


def _compute(cases: QuerySet[Case], query: str, indicator: Indicator | None, eps: float) -> dict[str, Any]:
    """The noisy figure of `query` over `cases`: only noisy numbers (and public facts: categories, bounds)."""
    columns = ("pk", "person_id", "opened_at", "track", "closure_reason", "closed_at")
    if query == CASES_BY_TRACK:
        people = _latest_per_person(cases.values(*columns))
        return _histogram(Track.values, [row["track"] for row in people.values()], eps)
    if query == CLOSED_BY_REASON:
        people = _latest_per_person(cases.filter(phase=Phase.CLOSED).values(*columns))
        return _histogram(ClosureReason.values, [row["closure_reason"] for row in people.values()], eps)
    if query == REENGAGED_AFTER_CLOSURE:
        people = _latest_per_person(cases.filter(phase=Phase.CLOSED).values(*columns))
        closed = {row["pk"]: _closed_on(row["closed_at"]) for row in people.values()}
        flagged = _adverse_after_closure(closed)
        release: Release = dp_count(sorted(flagged), epsilon=eps)
        return {"count": release.value, "mechanism": release.mechanism}
    assert indicator is not None  # _parse_query: a mean-change query names an indicator
    width = float(indicator.max_value - indicator.min_value)
    change_of: dict[int, float] = {}
    for (case_id, _indicator_id), pair in _pairs(cases.values("pk"), [indicator.pk]).items():
        if pair.intake is not None and pair.later is not None:
            change_of[case_id] = pair.later - pair.intake
    with_pair = cases.filter(pk__in=list(change_of)).values(*columns)
    changes = [change_of[row["pk"]] for row in _latest_per_person(with_pair).values()]
    release = dp_mean(changes, bounds=(-width, width), epsilon=eps)
    return {"mean_change": release.value, "bounds": [-width, width], "mechanism": release.mechanism}


def dp_release(
    *, actor: Membership, query: str, epsilon: float, evaluation: Evaluation | None = None
) -> PrivacyRelease:
    """Release one figure of `QUERIES` with differential privacy, spending `epsilon` of the dataset's budget.

    Analysts only (NotFound otherwise). The budget is checked against the earlier releases under a lock before
    anything is computed; a release past it is refused (`BudgetSpent`) and the refusal audited."""
    cases = _scope(actor, evaluation)
    indicator = _parse_query(query)
    eps = _epsilon(epsilon)
    dataset = dataset_key(actor, evaluation)
    reason = f"{query};eps={eps}"
    release: PrivacyRelease | None = None
    with transaction.atomic():
        budget = _budget_locked(dataset, evaluation)
        if eps > budget.epsilon_total + BUDGET_TOLERANCE:
            raise _bad_epsilon()
        spent = list(PrivacyRelease.objects.filter(dataset=dataset).values_list("epsilon", flat=True))
        try:
            check_budget(budget.epsilon_total, spent, eps)
        except BudgetExceeded:
            audit_by(actor, Action.DP_REFUSED, object_type="privacybudget", object_id=dataset, reason=reason)
        else:
            release = PrivacyRelease.objects.create(
                dataset=dataset,
                query=query,
                epsilon=eps,
                result=_compute(cases, query, indicator, eps),
                released_by=actor.user,
                released_org=actor.organisation,
            )
            audit_by(actor, Action.DP_RELEASE, obj=release, reason=reason)
    if release is None:  # the refusal is committed (audited) before the error leaves
        raise BudgetSpent()
    return release


# ---- Research extracts ---------------------------------------------------------------------------------------

# The project's age bands (people.models.AgeBand) merged into three groups, then "*".
_AGE_GROUPS = {
    AgeBand.UNDER_15.value: "under 18",
    AgeBand.AGE_15_17.value: "under 18",
    AgeBand.AGE_18_24.value: "18-34",
    AgeBand.AGE_25_34.value: "18-34",
    AgeBand.AGE_35_PLUS.value: "35+",
    AgeBand.UNKNOWN.value: UNKNOWN,
}


def _identity(value: str) -> str:
    return value


def _age_group(value: str) -> str:
    return _AGE_GROUPS.get(value, STAR)


def _star(value: str) -> str:
    return STAR


AGE_BAND_LEVELS: tuple[Level, ...] = (_identity, _age_group, _star)

HIERARCHY: dict[str, Sequence[Level]] = {
    "track": TRACK_LEVELS,
    "age_band": AGE_BAND_LEVELS,
    "quarter": QUARTER_LEVELS,
    "region": REGION_LEVELS,
}


@dataclass(frozen=True)
class ExtractResult:
    """A released extract: its record (no rows kept), the rows to hand over, and the generalisation levels."""

    extract: ResearchExtract
    rows: list[dict[str, Any]]
    levels: dict[str, int]

    @property
    def columns(self) -> list[str]:
        return list(self.rows[0]) if self.rows else ["pseudonym", *QUASI_IDENTIFIERS]


def _quarter(opened_at: dt.datetime) -> str:
    day = timezone.localdate(opened_at)
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _region(municipality: str, region: str, protected_identity: bool) -> str:
    """The person's municipality as the region (an anonymised person's county or region, their municipality being
    gone); never for a person with a protected identity."""
    name = " ".join((municipality or region or "").split())
    return UNKNOWN if protected_identity or not name else name


def _research_consents(cases: QuerySet[Case], now: dt.datetime) -> dict[int, set[str]]:
    """Case pk -> the data categories covered by the case's active consents to evaluation and research."""
    covered: dict[int, set[str]] = {}
    consents = Consent.objects.filter(case__in=cases, withdrawn_at__isnull=True, valid_from__lte=now)
    for consent in consents.only(
        "pk", "case_id", "purposes", "categories", "valid_from", "valid_until", "withdrawn_at"
    ):
        if Purpose.EVALUATION_RESEARCH in (consent.purposes or []) and consent.is_active(now):
            covered.setdefault(consent.case_id, set()).update(str(c) for c in consent.categories or [])
    return covered


def _measures_received(case_ids: list[int]) -> dict[int, list[str]]:
    """Case pk -> the keys of the national catalogue's measures the person actually started (sorted). Local
    measures are left out: they name an organisation and may be rare enough to point at a person."""
    received: dict[int, set[str]] = defaultdict(set)
    items = PlanItem.objects.filter(
        plan__case_id__in=case_ids,
        plan__status__in=[PlanStatus.APPROVED, PlanStatus.SUPERSEDED],
        status__in=[ItemStatus.ONGOING, ItemStatus.DONE, ItemStatus.STOPPED],
        measure__owner_org__isnull=True,
    )
    for case_id, key in items.values_list("plan__case_id", "measure__key"):
        received[case_id].add(key)
    return {case_id: sorted(keys) for case_id, keys in received.items()}


def _evaluation_data(
    chosen: Mapping[int, Mapping[str, Any]], covered: dict[int, set[str]]
) -> dict[int, dict[str, Any]]:
    """Case pk -> the non-identifying evaluation data of its row. Data of a category the research consent does not
    cover is left empty (None)."""
    case_ids = list(chosen)
    indicators = list(Indicator.objects.filter(active=True).order_by("position", "key"))
    pairs = _pairs(case_ids, [i.pk for i in indicators])
    measures = _measures_received(case_ids)
    adverse = _adverse_after_closure(
        {pk: _closed_on(row["closed_at"]) if row["phase"] == Phase.CLOSED else None for pk, row in chosen.items()}
    )
    data: dict[int, dict[str, Any]] = {}
    for pk, row in chosen.items():
        categories = covered.get(pk, set())
        # Only the kinds of event whose data category the consent covers may speak.
        kinds = {str(kind) for kind in ADVERSE_OUTCOMES if OUTCOME_CATEGORY[kind] in categories}
        values: dict[str, Any] = {
            "closed": row["phase"] == Phase.CLOSED,
            "reengaged_after_closure": bool(adverse.get(pk, set()) & kinds) if kinds else None,
            "measures": measures.get(pk, []) if DataCategory.PLAN in categories else None,
        }
        for indicator in indicators:
            pair = pairs.get((pk, indicator.pk), _Pair(None, None))
            allowed = indicator.category in categories
            values[f"{indicator.key}_intake"] = pair.intake if allowed else None
            values[f"{indicator.key}_latest"] = pair.later if allowed else None
        data[pk] = values
    return data


def research_extract(*, actor: Membership, evaluation: Evaluation | None = None, k: int = K) -> ExtractResult:
    """A pseudonymised research extract over the principal's analytics cases: one row per person with an active
    research consent on the case (their latest such case), k-anonymous over age band, region, quarter and track.

    Analysts only (NotFound otherwise). Fewer than k rows: refused (`ExtractRefused`) and the refusal audited."""
    cases = _scope(actor, evaluation)
    if isinstance(k, bool) or not isinstance(k, int) or k < K:
        raise UtveiError(_("An extract hides every row among at least five; k cannot be lower."), code="bad_k")
    now = timezone.now()
    key = secrets.token_bytes(32)  # one key per extract, never stored: pseudonyms cannot be linked across extracts
    result: ExtractResult | None = None
    with transaction.atomic():
        rows = list(
            cases.values(
                "pk",
                "person_id",
                "opened_at",
                "closed_at",
                "phase",
                "track",
                "person__public_id",
                "person__age_band",
                "person__municipality",
                "person__region",
                "person__protected_identity",
            )
        )
        covered = _research_consents(cases, now)
        excluded = sum(1 for row in rows if row["pk"] not in covered)
        chosen = {row["pk"]: row for row in _latest_per_person(row for row in rows if row["pk"] in covered).values()}
        records: list[dict[str, str]] = []
        data_by_pseudonym: dict[str, dict[str, Any]] = {}
        evaluation_data = _evaluation_data(chosen, covered) if chosen else {}
        for pk, row in chosen.items():
            alias = pseudonym(key, str(row["person__public_id"]))
            records.append(
                {
                    "pseudonym": alias,
                    "track": str(row["track"]),
                    "age_band": str(row["person__age_band"] or UNKNOWN),
                    "quarter": _quarter(row["opened_at"]),
                    "region": _region(
                        row["person__municipality"], row["person__region"], row["person__protected_identity"]
                    ),
                }
            )
            data_by_pseudonym[alias] = evaluation_data[pk]
        generalised = generalise(records, HIERARCHY, k=k)
        reason = f"rows={len(records)};k={k}"
        if generalised is None:
            audit_by(actor, Action.EXTRACT_REFUSED, object_type="researchextract", reason=reason)
        else:
            released = sorted(generalised.records, key=lambda r: r["pseudonym"])  # the order says nothing
            out = [
                {
                    "pseudonym": r["pseudonym"],
                    **{qi: r[qi] for qi in ("age_band", "region", "quarter", "track")},
                    **data_by_pseudonym[r["pseudonym"]],
                }
                for r in released
            ]
            extract = ResearchExtract.objects.create(
                evaluation=evaluation,
                organisation=actor.organisation,
                released_by=actor.user,
                rows=len(out),
                k=k,
                levels=dict(generalised.levels),
                excluded_without_consent=excluded,
            )
            audit_by(actor, Action.EXTRACT_RELEASE, obj=extract, reason=f"rows={len(out)};k={k}")
            result = ExtractResult(extract=extract, rows=out, levels=dict(generalised.levels))
    if result is None:  # the refusal is committed (audited) before the error leaves
        raise ExtractRefused()
    return result


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text  # a spreadsheet must not run a cell


def extract_csv(result: ExtractResult) -> str:
    """The extract as CSV (comma-separated, header row; lists joined with ";", empty for no data)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = result.columns
    writer.writerow(columns)
    for row in result.rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return buffer.getvalue()


__all__ = [
    "DEFAULT_EPSILON_BUDGET",
    "QUERIES",
    "BudgetSpent",
    "ExtractRefused",
    "ExtractResult",
    "Ledger",
    "available_queries",
    "dataset_key",
    "dp_release",
    "extract_csv",
    "ledger",
    "research_extract",
]
