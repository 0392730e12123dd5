"""Differentially private releases (OpenDP) and privacy-budget arithmetic.

What a release means
--------------------
Each function here returns a figure with calibrated random noise added, so that the published number is almost as
likely whether or not any one person's record is in the data. The privacy unit is one person contributing at most one
record (``dp.unit_of(contributions=1)``): callers must first reduce the data to one record per person. ``epsilon`` is
the privacy loss of the release; smaller means more noise and stronger protection. The noise is drawn by OpenDP from
the operating system's secure randomness, so a release cannot be reproduced with a seed, and the same query asked
twice gives two different answers *and spends the budget twice*.

What a release can and cannot say
---------------------------------
* A noisy count is unbiased before post-processing: the noise has mean 0 and, for the Laplace mechanism used here,
  standard deviation ``sqrt(2) / epsilon`` for a count. With ``epsilon = 0.1`` a count is typically off by about ten;
  small counts are therefore dominated by noise and should be read as "few", not as a number.
* Counts are post-processed by rounding and clipping at 0 (a negative count is impossible). Post-processing never
  weakens the guarantee, but clipping makes very small counts biased upwards.
* ``dp_mean`` clamps every value into the indicator's *public* scale ``bounds`` (never bounds read from the data,
  which would leak). Values outside the scale are pulled to the nearest end, so the mean is of the clamped values.
  It splits epsilon evenly between a noisy count and a noisy sum, and reports ``sum / max(count, 1)`` clipped to the
  bounds. That is a ratio of two noisy figures: for small groups it is biased and very uncertain.
* ``dp_histogram`` counts over a fixed, public category list. Each person falls in exactly one category, so adding or
  removing one person changes one count by one (L1 sensitivity 1): the whole histogram costs ``epsilon``, not
  ``epsilon`` per category (parallel composition). Records whose value is not in the list are not counted. Categories
  with no records are still reported (with noise), so an empty category is indistinguishable from a small one.
* Budget: sequential releases about the same people add up. ``check_budget`` refuses a release that would take the
  total past the dataset's budget; the persistent ledger that records what was spent lives elsewhere.

``MIN_COUNT`` is the project-wide small-cell threshold for *non*-private figures (means, curves, tables): no such figure
may rest on fewer than five persons. It lives here, with the rest of disclosure control.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import opendp.prelude as dp

dp.enable_features("contrib")

MIN_COUNT = 5
"""No published figure may rest on fewer than this many persons."""

BUDGET_TOLERANCE = 1e-12
"""Floating-point slack when comparing the spent total to the budget."""

_ONE_RECORD_PER_PERSON = dp.unit_of(contributions=1)


@dataclass(frozen=True)
class Release:
    """One differentially private figure: the noisy value, the privacy loss it cost, and how it was made."""

    value: float
    epsilon: float
    mechanism: str


class BudgetExceeded(Exception):
    """A release would spend more privacy budget than the dataset has left, or asks for a non-positive epsilon."""


def _check_epsilon(epsilon: float) -> float:
    eps = float(epsilon)
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"epsilon must be a positive finite number, got {epsilon!r}")
    return eps


def _context(data: list[Any], domain: Any, epsilon: float, parts: int) -> dp.Context:
    return dp.Context.compositor(
        data=data,
        privacy_unit=_ONE_RECORD_PER_PERSON,
        privacy_loss=dp.loss_of(epsilon=epsilon),
        split_evenly_over=parts,
        domain=domain,
    )


def _nonnegative_count(noisy: Any) -> float:
    """Post-processing of a noisy count: round to a whole number and clip at 0."""
    return float(max(0, round(float(noisy))))


def dp_count(values: Sequence[Any], *, epsilon: float) -> Release:
    """Number of records, each person contributing at most one, released with (discrete) Laplace noise.

    Only the number of records matters, so each record is replaced by the constant 1 before it reaches OpenDP (a
    record-by-record map, which does not change who is in the data). Sensitivity 1, noise scale ``1 / epsilon``.
    """
    eps = _check_epsilon(epsilon)
    data = [1] * len(values)
    context = _context(data, dp.vector_domain(dp.atom_domain(T=int)), eps, 1)
    noisy = context.query().count().laplace().release()
    return Release(value=_nonnegative_count(noisy), epsilon=eps, mechanism="opendp:count+laplace(discrete)")


def dp_mean(values: Sequence[float], *, bounds: tuple[float, float], epsilon: float) -> Release:
    """Mean of values clamped to the public ``bounds``, as a noisy sum over a noisy count (epsilon split evenly).

    OpenDP's own ``mean`` needs the number of records to be public, which it is not here, so this uses the standard
    construction of two releases in one sequential compositor: ``count`` with ``epsilon / 2`` and ``clamp -> sum`` with
    ``epsilon / 2``. Before the data reaches OpenDP every value is shifted by the midpoint of the bounds (a public,
    per-record map), so the sum is of values in ``[-half_width, half_width]``: then an error in the noisy count only
    scales the distance of the true mean from the midpoint, not the whole mean. The result is
    ``midpoint + noisy_sum / max(noisy_count, 1)`` clipped to the bounds (post-processing).
    """
    eps = _check_epsilon(epsilon)
    lower, upper = float(bounds[0]), float(bounds[1])
    if not (math.isfinite(lower) and math.isfinite(upper) and lower < upper):
        raise ValueError(f"bounds must be finite with lower < upper, got {bounds!r}")
    floats = [float(v) for v in values]
    if not all(math.isfinite(v) for v in floats):
        raise ValueError("values must be finite numbers; drop missing answers before the release")
    mid = (lower + upper) / 2.0
    shifted = [v - mid for v in floats]
    context = _context(shifted, dp.vector_domain(dp.atom_domain(T=float, nan=False)), eps, 2)
    noisy_count = float(context.query().count().laplace().release())
    noisy_sum = float(context.query().clamp((lower - mid, upper - mid)).sum().laplace().release())
    mean = mid + noisy_sum / max(noisy_count, 1.0)
    return Release(
        value=min(upper, max(lower, mean)),
        epsilon=eps,
        mechanism="opendp:clamp+sum+laplace / count+laplace (epsilon split evenly)",
    )


def dp_histogram(categories: Sequence[str], values: Sequence[str], *, epsilon: float) -> dict[str, Release]:
    """Noisy count per category of a fixed, public list; every count uses the full epsilon (parallel composition).

    ``categories`` must be decided without looking at the data (e.g. the options of a form field). The keys of the
    result are exactly ``categories`` in that order, including categories with no records. Values that are not in
    the list are left out of every count.
    """
    eps = _check_epsilon(epsilon)
    cats = [str(c) for c in categories]
    if not cats:
        raise ValueError("categories must not be empty")
    if len(set(cats)) != len(cats):
        raise ValueError("categories must be distinct")
    data = [str(v) for v in values]
    context = _context(data, dp.vector_domain(dp.atom_domain(T=str)), eps, 1)
    noisy = context.query().count_by_categories(categories=cats, null_category=False).laplace().release()
    mechanism = "opendp:count_by_categories+laplace(discrete)"
    return {
        cat: Release(value=_nonnegative_count(count), epsilon=eps, mechanism=mechanism)
        for cat, count in zip(cats, noisy, strict=True)
    }


def _spent_total(spent: Sequence[float]) -> float:
    amounts = [float(s) for s in spent]
    if not all(math.isfinite(s) and s >= 0 for s in amounts):
        raise ValueError("every spent amount must be a finite, non-negative epsilon")
    return math.fsum(amounts)


def _check_budget_value(budget: float) -> float:
    total = float(budget)
    if not (math.isfinite(total) and total >= 0):
        raise ValueError(f"budget must be a finite, non-negative epsilon, got {budget!r}")
    return total


def remaining(budget: float, spent: Sequence[float]) -> float:
    """Epsilon left of ``budget`` after the releases in ``spent`` (negative if the ledger is already over)."""
    return _check_budget_value(budget) - _spent_total(spent)


def check_budget(budget: float, spent: Sequence[float], epsilon: float) -> None:
    """Refuse (raise ``BudgetExceeded``) a release of ``epsilon`` that is not positive or would exceed ``budget``."""
    total = _check_budget_value(budget)
    eps = float(epsilon)
    if not (eps > 0 and math.isfinite(eps)):
        raise BudgetExceeded(f"epsilon must be positive and finite, got {epsilon!r}")
    already = _spent_total(spent)
    if already + eps > total + BUDGET_TOLERANCE:
        raise BudgetExceeded(f"release of epsilon={eps:g} would spend {already + eps:g} of a budget of {total:g}")
