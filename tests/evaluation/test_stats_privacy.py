"""Differentially private releases through OpenDP, and the budget arithmetic the ledger relies on.

OpenDP draws its noise from the operating system and takes no seed, so the statistical tests use generous
tolerances (four standard errors or more). Each release builds an OpenDP context (tens of milliseconds), so the
number of draws is kept small; the histogram test gets many independent draws from one release instead.
"""

from __future__ import annotations

import math
import statistics

import pytest

from utvei.evaluation.stats.privacy import (
    BudgetExceeded,
    Release,
    check_budget,
    dp_count,
    dp_histogram,
    dp_mean,
    remaining,
)

# --- counts ------------------------------------------------------------------------------------------------------


def test_count_with_a_large_epsilon_is_close_to_the_true_count() -> None:
    release = dp_count(list(range(37)), epsilon=1000)
    assert abs(release.value - 37) <= 1
    assert release.epsilon == 1000
    assert "count" in release.mechanism


def test_count_accepts_any_records_and_an_empty_list() -> None:
    assert abs(dp_count([{"person": i} for i in range(12)], epsilon=1000).value - 12) <= 1
    assert dp_count([], epsilon=1000).value in (0.0, 1.0)


def test_count_noise_is_centred_with_the_laplace_scale() -> None:
    epsilon, true, draws = 0.1, 200, 150
    scale = 1 / epsilon  # sensitivity 1: one person adds or removes one record
    errors = [dp_count([0] * true, epsilon=epsilon).value - true for _ in range(draws)]
    # Laplace(b): mean 0, standard deviation b * sqrt(2), mean absolute deviation b.
    standard_error = scale * math.sqrt(2) / math.sqrt(draws)
    assert abs(statistics.fmean(errors)) < 4.3 * standard_error
    assert 0.65 * scale < statistics.fmean(abs(e) for e in errors) < 1.4 * scale
    assert len(set(errors)) > 10  # really random, not a constant offset


def test_counts_are_whole_and_never_negative() -> None:
    values = [dp_count([1, 2], epsilon=0.05).value for _ in range(30)]
    assert all(v >= 0 and v == int(v) for v in values)
    assert 0.0 in values  # a true count of 2 with noise of scale 20 falls below zero often


@pytest.mark.parametrize("epsilon", [0.0, -1.0, math.nan, math.inf])
def test_a_non_positive_or_non_finite_epsilon_is_refused(epsilon: float) -> None:
    with pytest.raises(ValueError):
        dp_count([1, 2, 3], epsilon=epsilon)
    with pytest.raises(ValueError):
        dp_mean([1.0], bounds=(0.0, 1.0), epsilon=epsilon)
    with pytest.raises(ValueError):
        dp_histogram(["a"], ["a"], epsilon=epsilon)


# --- means -------------------------------------------------------------------------------------------------------


def test_mean_with_a_large_epsilon_is_the_mean_of_clamped_values() -> None:
    release = dp_mean([1.0, 2.0, 3.0, 100.0, -50.0], bounds=(0.0, 10.0), epsilon=1000)
    assert release.value == pytest.approx((1 + 2 + 3 + 10 + 0) / 5, abs=0.1)
    assert release.epsilon == 1000


def test_mean_stays_within_the_bounds_after_clamping_extreme_inputs() -> None:
    extreme = [1e12] * 20 + [-1e12] * 3 + [5.0]
    values = [dp_mean(extreme, bounds=(1.0, 7.0), epsilon=0.2).value for _ in range(30)]
    assert all(1.0 <= v <= 7.0 for v in values)
    assert dp_mean([], bounds=(1.0, 7.0), epsilon=0.2).value == pytest.approx(4.0, abs=3.0)


def test_mean_of_values_at_the_top_of_the_scale_is_near_the_top() -> None:
    release = dp_mean([1e6] * 50, bounds=(0.0, 4.0), epsilon=1000)
    assert release.value == pytest.approx(4.0, abs=0.05)


@pytest.mark.parametrize(
    ("values", "bounds"),
    [([1.0], (5.0, 5.0)), ([1.0], (5.0, 1.0)), ([1.0], (0.0, math.inf)), ([math.nan, 1.0], (0.0, 1.0))],
)
def test_mean_refuses_bad_bounds_and_missing_values(values: list[float], bounds: tuple[float, float]) -> None:
    with pytest.raises(ValueError):
        dp_mean(values, bounds=bounds, epsilon=1.0)


# --- histograms --------------------------------------------------------------------------------------------------


def test_histogram_keys_are_the_public_categories_even_when_empty() -> None:
    categories = ["ideology", "family", "work", "health"]
    histogram = dp_histogram(categories, ["family"] * 9 + ["work"] * 3, epsilon=1000)
    assert list(histogram) == categories
    assert all(isinstance(r, Release) and r.epsilon == 1000 for r in histogram.values())
    assert {k: round(r.value) for k, r in histogram.items()} == pytest.approx(
        {"ideology": 0, "family": 9, "work": 3, "health": 0}, abs=1
    )
    assert list(dp_histogram(categories, [], epsilon=1.0)) == categories


def test_histogram_leaves_out_values_not_in_the_list() -> None:
    histogram = dp_histogram(["a", "b"], ["a"] * 6 + ["not on the list"] * 40, epsilon=1000)
    assert abs(histogram["a"].value - 6) <= 1 and abs(histogram["b"].value) <= 1


def test_histogram_uses_the_full_epsilon_for_every_category() -> None:
    # Parallel composition: each person is in one category, so each count has noise of scale 1 / epsilon,
    # not k / epsilon. 200 categories of 50 records give 200 independent draws in one release.
    epsilon, per_category, k = 0.1, 50, 200
    categories = [f"c{i}" for i in range(k)]
    histogram = dp_histogram(categories, [c for c in categories for _ in range(per_category)], epsilon=epsilon)
    errors = [histogram[c].value - per_category for c in categories]
    scale = 1 / epsilon
    assert 0.7 * scale < statistics.fmean(abs(e) for e in errors) < 1.3 * scale
    assert abs(statistics.fmean(errors)) < 4.3 * scale * math.sqrt(2) / math.sqrt(k)


def test_histogram_refuses_duplicate_or_missing_categories() -> None:
    with pytest.raises(ValueError):
        dp_histogram(["a", "a"], ["a"], epsilon=1.0)
    with pytest.raises(ValueError):
        dp_histogram([], ["a"], epsilon=1.0)


# --- budget ------------------------------------------------------------------------------------------------------


def test_remaining_budget() -> None:
    assert remaining(1.0, []) == 1.0
    assert remaining(1.0, [0.1] * 3) == pytest.approx(0.7)
    assert remaining(1.0, [0.5, 0.7]) == pytest.approx(-0.2)


def test_check_budget_allows_spending_exactly_the_budget() -> None:
    check_budget(1.0, [0.1] * 9, 0.1)  # 0.1 * 10 is not exactly 1.0 in floating point; the tolerance allows it
    check_budget(1.0, [], 1.0)


def test_check_budget_refuses_a_release_past_the_budget() -> None:
    with pytest.raises(BudgetExceeded):
        check_budget(1.0, [0.5, 0.4], 0.2)
    with pytest.raises(BudgetExceeded):
        check_budget(1.0, [], 1.0 + 1e-9)
    with pytest.raises(BudgetExceeded):
        check_budget(0.0, [], 0.1)


@pytest.mark.parametrize("epsilon", [0.0, -0.1, math.nan, math.inf])
def test_check_budget_refuses_a_non_positive_or_non_finite_epsilon(epsilon: float) -> None:
    with pytest.raises(BudgetExceeded):
        check_budget(10.0, [], epsilon)


@pytest.mark.parametrize("spent", [[-0.5], [math.nan], [math.inf]])
def test_a_corrupt_ledger_is_refused(spent: list[float]) -> None:
    with pytest.raises(ValueError):
        remaining(1.0, spent)
    with pytest.raises(ValueError):
        check_budget(1.0, spent, 0.1)


@pytest.mark.parametrize("budget", [-1.0, math.nan, math.inf])
def test_an_invalid_budget_is_refused(budget: float) -> None:
    with pytest.raises(ValueError):
        remaining(budget, [])
    with pytest.raises(ValueError):
        check_budget(budget, [], 0.1)
