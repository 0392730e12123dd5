"""Change from baseline, paired per person, with a percentile bootstrap interval.

The method
----------
Each person contributes one pair: the indicator at baseline and the same indicator later. The figure is the mean of
the per-person differences ``later - baseline``. Its uncertainty is estimated by the percentile bootstrap: persons
(whole pairs, never single measurements) are drawn with replacement ``resamples`` times, the mean difference is
recomputed for each resample, and the interval is the central ``level`` share of those means. The random generator
is seeded, so the same data and seed always give the same interval.

What the figure can and cannot say
----------------------------------
* It describes change *within the persons who have both measurements*. People who left before the later measurement
  are not in it, and if they differ from those who stayed the figure is biased.
* There is no comparison group: a change is not an effect of the work. Regression to the mean (people often enter
  when things are at their worst), maturation and changed circumstances all move the figure too.
* The interval reflects sampling variation among these persons only, not measurement error or missing data. With
  few persons the percentile bootstrap is too narrow; treat intervals from small groups with care.
* If fewer than ``min_n`` persons (at least ``MIN_COUNT``) have a pair, nothing is reported: every figure is ``None``
  and ``n`` is 0, so that the small number itself is not shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .privacy import MIN_COUNT

_MAX_CELLS = 2_000_000
"""Upper limit on resample-by-person index cells drawn at once, to bound memory for large groups."""


@dataclass(frozen=True)
class Change:
    """Mean change from baseline with its bootstrap interval; all figures ``None`` (and ``n`` 0) when suppressed."""

    n: int
    baseline_mean: float | None
    later_mean: float | None
    mean_change: float | None
    lo: float | None
    hi: float | None
    suppressed: bool


SUPPRESSED = Change(n=0, baseline_mean=None, later_mean=None, mean_change=None, lo=None, hi=None, suppressed=True)


# From this many persons on, and when the changes take few distinct values (indicator scales are short), a resample
# is drawn as multinomial counts over the distinct values instead of n individual draws: the same distribution of
# resampled means, in time that grows with the number of distinct values rather than with the number of persons.
_BY_COUNTS_FROM = 200


def _bootstrap_means(diffs: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    n = diffs.shape[0]
    if n >= _BY_COUNTS_FROM:
        values, counts = np.unique(diffs, return_counts=True)
        if values.shape[0] * 20 <= n:
            draws = rng.multinomial(n, counts / n, size=resamples)
            return np.asarray(draws @ values / n, dtype=float)
    rows = max(1, _MAX_CELLS // n)
    chunks = []
    for start in range(0, resamples, rows):
        size = min(rows, resamples - start)
        idx = rng.integers(0, n, size=(size, n))
        chunks.append(diffs[idx].mean(axis=1))
    return np.concatenate(chunks)


def paired_change(
    pairs: Sequence[tuple[float, float]],
    *,
    resamples: int = 2000,
    seed: int = 20261206,
    level: float = 0.95,
    min_n: int = MIN_COUNT,
) -> Change:
    """Mean of ``later - baseline`` over ``(baseline, later)`` pairs, one per person, with a percentile bootstrap CI."""
    if min_n < MIN_COUNT:
        raise ValueError(f"min_n must be at least MIN_COUNT ({MIN_COUNT}), got {min_n}")
    if resamples < 1:
        raise ValueError(f"resamples must be positive, got {resamples}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    data = np.asarray(pairs, dtype=float) if len(pairs) else np.empty((0, 2))
    if data.ndim != 2 or data.shape[1] != 2:
        raise ValueError("pairs must be a sequence of (baseline, later) pairs")
    if not np.isfinite(data).all():
        raise ValueError("pairs must hold finite numbers; drop persons with a missing measurement first")
    n = data.shape[0]
    if n < min_n:
        return SUPPRESSED

    baseline, later = data[:, 0], data[:, 1]
    diffs = later - baseline
    means = _bootstrap_means(diffs, resamples, np.random.default_rng(seed))
    tail = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [tail, 1.0 - tail])
    return Change(
        n=n,
        baseline_mean=float(baseline.mean()),
        later_mean=float(later.mean()),
        mean_change=float(diffs.mean()),
        lo=float(lo),
        hi=float(hi),
        suppressed=False,
    )
