"""Paired change from baseline: the mean difference, its percentile bootstrap interval, and small-group suppression."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from utvei.evaluation.stats.change import Change, paired_change
from utvei.evaluation.stats.privacy import MIN_COUNT


def _noisy_pairs(n: int, seed: int) -> list[tuple[float, float]]:
    rng = np.random.default_rng(seed)
    baseline = rng.normal(10.0, 2.0, size=n)
    later = baseline + rng.normal(1.5, 3.0, size=n)
    return [(float(b), float(a)) for b, a in zip(baseline, later, strict=True)]


def test_constant_change_gives_zero_width_interval_at_that_value() -> None:
    pairs = [(float(b), float(b) + 2.5) for b in range(8)]
    result = paired_change(pairs)
    assert not result.suppressed
    assert result.n == 8
    assert result.mean_change == pytest.approx(2.5, abs=1e-12)
    assert result.lo == pytest.approx(2.5, abs=1e-12)
    assert result.hi == pytest.approx(2.5, abs=1e-12)


def test_means_are_per_measurement_and_change_is_their_difference() -> None:
    pairs = [(1.0, 2.0), (2.0, 2.0), (3.0, 5.0), (4.0, 3.0), (5.0, 9.0)]
    result = paired_change(pairs)
    assert result.baseline_mean == pytest.approx(3.0)
    assert result.later_mean == pytest.approx(4.2)
    assert result.mean_change == pytest.approx(1.2)


def test_interval_contains_the_mean() -> None:
    result = paired_change(_noisy_pairs(40, seed=1))
    assert result.lo is not None and result.hi is not None and result.mean_change is not None
    assert result.lo < result.mean_change < result.hi


def test_interval_matches_a_plain_bootstrap_loop() -> None:
    pairs = _noisy_pairs(12, seed=2)
    result = paired_change(pairs, resamples=500, seed=7)
    diffs = np.array([a - b for b, a in pairs])
    rng = np.random.default_rng(7)
    means = [diffs[rng.integers(0, len(diffs), size=len(diffs))].mean() for _ in range(500)]
    lo, hi = np.quantile(means, [0.025, 0.975])
    assert (result.lo, result.hi) == pytest.approx((lo, hi), abs=1e-12)


def test_more_persons_narrow_the_interval() -> None:
    small = paired_change(_noisy_pairs(15, seed=3))
    large = paired_change(_noisy_pairs(600, seed=3))
    assert small.lo is not None and small.hi is not None and large.lo is not None and large.hi is not None
    # The half-width shrinks roughly with 1/sqrt(n): sqrt(600 / 15) is about 6.
    assert (large.hi - large.lo) < (small.hi - small.lo) / 3


def test_higher_level_widens_the_interval() -> None:
    pairs = _noisy_pairs(50, seed=4)
    narrow, wide = paired_change(pairs, level=0.8), paired_change(pairs, level=0.99)
    assert wide.lo is not None and narrow.lo is not None and wide.hi is not None and narrow.hi is not None
    assert wide.lo < narrow.lo and narrow.hi < wide.hi


@pytest.mark.parametrize("n", [0, 1, MIN_COUNT - 1])
def test_fewer_than_min_count_is_suppressed_without_showing_n(n: int) -> None:
    result = paired_change([(1.0, 2.0 + i) for i in range(n)])
    assert result == Change(
        n=0, baseline_mean=None, later_mean=None, mean_change=None, lo=None, hi=None, suppressed=True
    )


def test_exactly_min_count_is_reported() -> None:
    result = paired_change([(1.0, 2.0 + i) for i in range(MIN_COUNT)])
    assert not result.suppressed and result.n == MIN_COUNT


def test_a_higher_min_n_suppresses_more_but_a_lower_one_is_refused() -> None:
    pairs = [(1.0, 2.0 + i) for i in range(8)]
    assert paired_change(pairs, min_n=10).suppressed
    with pytest.raises(ValueError, match="MIN_COUNT"):
        paired_change(pairs, min_n=MIN_COUNT - 1)


def test_same_input_and_seed_give_the_same_interval() -> None:
    pairs = _noisy_pairs(30, seed=5)
    assert paired_change(pairs) == paired_change(list(pairs))
    other = paired_change(pairs, seed=1)
    assert other.mean_change == paired_change(pairs).mean_change
    assert (other.lo, other.hi) != (paired_change(pairs).lo, paired_change(pairs).hi)


def test_large_groups_are_resampled_in_chunks_with_the_same_result_shape() -> None:
    result = paired_change(_noisy_pairs(5000, seed=6), resamples=1000)
    assert result.lo is not None and result.hi is not None and result.mean_change is not None
    assert result.lo < result.mean_change < result.hi
    assert result.hi - result.lo == pytest.approx(2 * 1.96 * 3.0 / np.sqrt(5000), rel=0.2)


@pytest.mark.parametrize(
    ("pairs", "kwargs"),
    [
        ([(1.0, float("nan"))] * 6, {}),
        ([(1.0, 2.0, 3.0)] * 6, {}),
        ([(1.0, 2.0)] * 6, {"resamples": 0}),
        ([(1.0, 2.0)] * 6, {"level": 1.0}),
    ],
)
def test_invalid_input_is_refused(pairs: list[tuple[float, ...]], kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        paired_change(pairs, **kwargs)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-100, 100, allow_nan=False), st.floats(-100, 100, allow_nan=False)),
        min_size=MIN_COUNT,
        max_size=30,
    )
)
def test_interval_lies_within_the_range_of_the_differences(pairs: list[tuple[float, float]]) -> None:
    result = paired_change(pairs, resamples=200)
    diffs = [a - b for b, a in pairs]
    assert result.lo is not None and result.hi is not None
    assert min(diffs) - 1e-9 <= result.lo <= result.hi <= max(diffs) + 1e-9


def test_a_large_cohort_with_few_distinct_changes_is_resampled_by_counts_with_the_same_interval():
    """At scale the bootstrap draws multinomial counts over the distinct changes: the interval agrees with the
    normal approximation of the mean's standard error, as resampling persons one by one would."""
    import numpy as np

    rng = np.random.default_rng(3)
    baseline = rng.integers(0, 4, size=20_000).astype(float)
    later = np.clip(baseline + rng.integers(-1, 3, size=20_000), 0, 3)
    result = paired_change(list(zip(baseline, later, strict=True)))
    diffs = later - baseline
    se = diffs.std(ddof=1) / np.sqrt(diffs.size)
    assert result.lo is not None and result.hi is not None
    assert abs((result.hi - result.lo) - 2 * 1.96 * se) < 0.2 * (2 * 1.96 * se)
    assert result.lo < diffs.mean() < result.hi
