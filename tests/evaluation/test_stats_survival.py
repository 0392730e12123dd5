"""Kaplan–Meier time to re-engagement: checked against the product-limit formula by hand, cut and suppressed."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import pytest

from utvei.evaluation.stats.privacy import MIN_COUNT
from utvei.evaluation.stats.survival import Curve, at_risk_table, kaplan_meier

T, F = True, False
DURATIONS = [30, 60, 60, 90, 120, 150, 200, 250, 300, 365]
OBSERVED = [T, T, F, T, F, T, F, F, T, F]


def _hand_survival() -> dict[float, float]:
    """S(t) written out with the product-limit formula: at each event time multiply by (at risk - events) / at risk.

    at risk:   t=30: 10 | t=60: 9 (1 event, 1 censored) | t=90: 7 | t=120: 6 (censored only) | t=150: 5 | ...
    """
    s30 = 9 / 10
    s60 = 9 / 10 * 8 / 9
    s90 = 9 / 10 * 8 / 9 * 6 / 7
    s150 = 9 / 10 * 8 / 9 * 6 / 7 * 4 / 5
    s300 = 9 / 10 * 8 / 9 * 6 / 7 * 4 / 5 * 1 / 2
    return {
        0.0: 1.0,
        30.0: s30,
        60.0: s60,
        90.0: s90,
        120.0: s90,  # censoring only: no step
        150.0: s150,
        200.0: s150,
        250.0: s150,
        300.0: s300,
        365.0: s300,
    }


def test_survival_matches_the_product_limit_formula_by_hand() -> None:
    curve = kaplan_meier(DURATIONS, OBSERVED)
    hand = _hand_survival()
    assert not curve.suppressed
    assert curve.n == 10
    assert [p.t for p in curve.points] == [0.0, 30.0, 60.0, 90.0, 120.0, 150.0]
    for point in curve.points:
        assert point.survival == pytest.approx(hand[point.t], abs=1e-9)
        assert point.lo <= point.survival <= point.hi


def test_event_table_columns_per_point() -> None:
    curve = kaplan_meier(DURATIONS, OBSERVED)
    rows = [(p.t, p.at_risk, p.events, p.censored) for p in curve.points]
    assert rows == [
        (0.0, 10, 0, 0),
        (30.0, 10, 1, 0),
        (60.0, 9, 1, 1),
        (90.0, 7, 1, 0),
        (120.0, 6, 0, 1),
        (150.0, 5, 1, 0),
    ]
    assert curve.events == 4  # the event at t=300 lies in the cut-off tail and is not shown


def test_confidence_interval_is_the_exponential_greenwood_interval() -> None:
    curve = kaplan_meier(DURATIONS, OBSERVED)
    point = next(p for p in curve.points if p.t == 60.0)
    s = 9 / 10 * 8 / 9
    greenwood = 1 / (10 * 9) + 1 / (9 * 8)  # sum of d / (r (r - d)) over event times <= 60
    z = 1.959963984540054
    spread = z * math.sqrt(greenwood) / abs(math.log(s))
    assert point.lo == pytest.approx(s ** math.exp(spread), abs=1e-9)
    assert point.hi == pytest.approx(s ** math.exp(-spread), abs=1e-9)


def test_curve_stops_at_the_last_time_with_enough_at_risk() -> None:
    curve = kaplan_meier(DURATIONS, OBSERVED)
    assert curve.stopped_at == 150.0  # at t=200 only 4 remain
    assert all(p.at_risk >= MIN_COUNT for p in curve.points)

    stricter = kaplan_meier(DURATIONS, OBSERVED, min_at_risk=7)
    assert [p.t for p in stricter.points] == [0.0, 30.0, 60.0, 90.0]
    assert stricter.stopped_at == 90.0


def test_curve_is_not_cut_when_enough_persons_share_the_last_time() -> None:
    curve = kaplan_meier([10, 20, 400, 400, 400, 400, 400], [T, F, F, F, F, F, F])
    assert curve.stopped_at is None
    assert [p.t for p in curve.points] == [0.0, 10.0, 20.0, 400.0]
    assert curve.points[-1].survival == pytest.approx(6 / 7)


def test_event_on_the_day_of_closure_is_counted_at_time_zero() -> None:
    curve = kaplan_meier([0, 0, 30, 60, 90, 120, 150], [T, F, T, T, F, T, F])
    first = curve.points[0]
    assert (first.t, first.at_risk, first.events, first.censored) == (0.0, 7, 1, 1)
    assert first.survival == pytest.approx(6 / 7)


@pytest.mark.parametrize("n", [0, 1, MIN_COUNT - 1])
def test_fewer_than_min_count_persons_is_suppressed(n: int) -> None:
    curve = kaplan_meier(DURATIONS[:n], OBSERVED[:n])
    assert curve == Curve(points=(), n=0, events=0, stopped_at=None, suppressed=True)
    assert at_risk_table(curve, [0, 90]) == [(0.0, None), (90.0, None)]


def test_a_lower_threshold_than_min_count_is_refused() -> None:
    with pytest.raises(ValueError, match="MIN_COUNT"):
        kaplan_meier(DURATIONS, OBSERVED, min_at_risk=MIN_COUNT - 1)


def test_at_risk_table_at_reporting_times() -> None:
    curve = kaplan_meier(DURATIONS, OBSERVED)
    table = at_risk_table(curve, [0, 90, 100, 150, 180, 365, 730])
    # at risk at t = persons followed for at least t days
    assert table == [(0.0, 10), (90.0, 7), (100.0, 6), (150.0, 5), (180.0, None), (365.0, None), (730.0, None)]


def test_at_risk_table_beyond_the_last_time_of_an_uncut_curve() -> None:
    curve = kaplan_meier([10, 20, 400, 400, 400, 400, 400], [T, F, F, F, F, F, F])
    assert at_risk_table(curve, [0, 15, 365, 400, 730]) == [(0.0, 7), (15.0, 6), (365.0, 5), (400.0, 5), (730.0, None)]


@pytest.mark.parametrize(
    ("durations", "observed"),
    [([1, 2, 3, 4, 5], [T, T, T, T]), ([1, 2, -3, 4, 5], [T] * 5), ([1, 2, float("nan"), 4, 5], [T] * 5)],
)
def test_invalid_input_is_refused(durations: list[float], observed: list[bool]) -> None:
    with pytest.raises(ValueError):
        kaplan_meier(durations, observed)


def test_no_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kaplan_meier(DURATIONS, OBSERVED)
        kaplan_meier([5] * 6, [F] * 6)
        kaplan_meier([5] * 6, [T] * 6)


def test_fitting_a_curve_does_not_load_a_plotting_library() -> None:
    code = (
        "import sys\n"
        "from utvei.evaluation.stats.survival import kaplan_meier\n"
        f"kaplan_meier({DURATIONS!r}, {OBSERVED!r})\n"
        "print('matplotlib' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "False"
    assert done.stderr == ""
