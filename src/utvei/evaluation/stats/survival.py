"""Time to re-engagement after closure: the Kaplan–Meier (product-limit) estimate, cut where too few remain.

The method
----------
Each person has a duration in days from the closure of their case, and a flag: ``observed=True`` means they
re-engaged (the event) on that day, ``observed=False`` means follow-up ended that day without re-engagement
(censored: we only know it had not happened yet). At each time ``t`` with ``d`` events among the ``r`` persons still
at risk (duration >= t), the estimate of "not yet re-engaged" is multiplied by ``(r - d) / r``:
``S(t) = product over event times t_i <= t of (1 - d_i / r_i)``. Censored persons count in the risk set up to their
own time and then leave it, so short follow-up is used without being mistaken for "never re-engaged". The estimate,
its 95 % confidence interval (lifelines' default exponential Greenwood, a log(-log) interval) and the event table come
from lifelines' ``KaplanMeierFitter``.

What the curve can and cannot say
---------------------------------
* It estimates the share of closed cases *not yet* re-engaged by a given time, assuming that those censored would
  have re-engaged at the same rate as those still followed (non-informative censoring). If people are lost to
  follow-up *because* things went well or badly, the curve is biased.
* It says nothing about why people re-engage, and nothing about cases that were never closed.
* The tail rests on few persons and is very uncertain. The curve is therefore cut at the last time where at least
  ``min_at_risk`` persons (at least ``MIN_COUNT``) were at risk: no point with a smaller risk set is returned, and
  ``stopped_at`` says where the cut was. With fewer than ``min_at_risk`` persons in all, the curve is suppressed.
* ``events`` on the curve counts only the events at the returned points (events in the cut-off tail are not shown).
  The per-point ``events`` and ``censored`` counts can be small; a published table should show the risk set at a
  few fixed times (``at_risk_table``), not every row.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from lifelines import KaplanMeierFitter

from .privacy import MIN_COUNT


@dataclass(frozen=True)
class Point:
    """The estimate at one event or censoring time: ``at_risk`` persons at the start of ``t``, then the removals."""

    t: float
    survival: float
    lo: float
    hi: float
    at_risk: int
    events: int
    censored: int


@dataclass(frozen=True)
class Curve:
    """A Kaplan–Meier curve cut where the risk set falls below the threshold.

    ``stopped_at`` is the last returned time when later times were cut (fewer than the threshold remained after it),
    ``None`` if no time was cut. A suppressed curve has no points and ``n`` and ``events`` 0.
    """

    points: tuple[Point, ...]
    n: int
    events: int
    stopped_at: float | None
    suppressed: bool


SUPPRESSED = Curve(points=(), n=0, events=0, stopped_at=None, suppressed=True)


def kaplan_meier(durations: Sequence[float], observed: Sequence[bool], *, min_at_risk: int = MIN_COUNT) -> Curve:
    """Kaplan–Meier curve of days from closure to re-engagement, with points only while ``min_at_risk`` remain."""
    if min_at_risk < MIN_COUNT:
        raise ValueError(f"min_at_risk must be at least MIN_COUNT ({MIN_COUNT}), got {min_at_risk}")
    if len(durations) != len(observed):
        raise ValueError("durations and observed must have the same length")
    times = np.asarray(durations, dtype=float).reshape(-1)
    if not (np.isfinite(times).all() and (times >= 0).all()):
        raise ValueError("durations must be finite and non-negative")
    flags = np.asarray([bool(o) for o in observed], dtype=bool)
    n = int(times.shape[0])
    if n < min_at_risk:
        return SUPPRESSED

    fitter = KaplanMeierFitter(alpha=0.05, label="KM_estimate")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter.fit(times, event_observed=flags)
    table = fitter.event_table
    estimate = fitter.survival_function_.iloc[:, 0]
    interval = fitter.confidence_interval_

    points: list[Point] = []
    cut = False
    for t, row in table.iterrows():
        at_risk = int(row["at_risk"])
        if at_risk < min_at_risk:
            cut = True
            break
        lo, hi = float(interval.loc[t].iloc[0]), float(interval.loc[t].iloc[1])
        survival = float(estimate.loc[t])
        points.append(
            Point(
                t=float(t),
                survival=survival,
                # lifelines gives NaN bounds only in degenerate cases (e.g. S = 0); fall back to the estimate.
                lo=lo if math.isfinite(lo) else survival,
                hi=hi if math.isfinite(hi) else survival,
                at_risk=at_risk,
                events=int(row["observed"]),
                censored=int(row["censored"]),
            )
        )
    return Curve(
        points=tuple(points),
        n=n,
        events=sum(p.events for p in points),
        stopped_at=points[-1].t if cut else None,
        suppressed=False,
    )


def at_risk_table(curve: Curve, times: Sequence[float]) -> list[tuple[float, int | None]]:
    """Number at risk (follow-up of at least ``t`` days) at each reporting time, e.g. 0, 90, 180, 365 and 730 days.

    ``None`` where the curve is suppressed, the time lies beyond the cut (``stopped_at``) or beyond the last time, or
    the risk set is below the threshold (which the returned points never are).
    """
    result: list[tuple[float, int | None]] = []
    for t in times:
        tf = float(t)
        value: int | None = None
        if not curve.suppressed and (curve.stopped_at is None or tf <= curve.stopped_at):
            # Persons at risk at tf are those with a duration >= tf: the risk set of the first point at or after tf.
            value = next((p.at_risk for p in curve.points if p.t >= tf), None)
        result.append((tf, value))
    return result
