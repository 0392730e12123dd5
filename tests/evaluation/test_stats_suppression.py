"""Small-cell suppression: no small count is published and no hidden count can be recovered from the rest."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from utvei.evaluation.stats.suppression import (
    PROTECTION,
    THRESHOLD,
    TOLERANCE,
    Cell,
    ProtectedTable,
    feasible_range,
    protect,
    protect_counts,
)

counts_value = st.one_of(st.integers(0, 12), st.integers(0, 12), st.integers(0, 12), st.integers(0, 60))


@st.composite
def tables(draw: st.DrawFn) -> list[list[int]]:
    n_rows = draw(st.integers(1, 5))
    n_cols = draw(st.integers(1, 5))
    return [[draw(counts_value) for _ in range(n_cols)] for _ in range(n_rows)]


def full_grid(counts: list[list[int]]) -> list[list[int]]:
    grid = [[*row, sum(row)] for row in counts]
    grid.append([sum(row[j] for row in grid) for j in range(len(grid[0]))])
    return grid


def assert_safe(counts: list[list[int]], table: ProtectedTable) -> None:
    published = table.as_rows()
    truth = full_grid(counts)
    assert len(published) == len(truth)
    for i, row in enumerate(published):
        assert len(row) == len(truth[i])
        for j, value in enumerate(row):
            if value is None:
                low, high = feasible_range(published, i, j)
                assert high - low >= PROTECTION - TOLERANCE, (i, j, low, high, published)
                # The true value is always consistent with what is published.
                assert low - TOLERANCE <= truth[i][j] <= high + TOLERANCE
            else:
                assert not 0 < value < THRESHOLD, (i, j, value)
                assert value == truth[i][j]


@settings(max_examples=150, deadline=None)
@given(tables())
def test_random_tables_are_safe(counts: list[list[int]]) -> None:
    table = protect(counts)
    assert_safe(counts, table)
    assert protect(counts) == table
    for row in table.cells:
        for cell in row:
            assert cell.suppressed == (cell.value is None)
            assert not cell.primary or cell.suppressed


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdefg"), counts_value, min_size=1))
def test_random_one_way_tables_are_safe(counts: dict[str, int]) -> None:
    published, total = protect_counts(counts)
    assert list(published) == list(counts)
    truth = [*counts.values(), sum(counts.values())]
    row: list[int | None] = [*published.values(), total]
    grid = [row, list(row)]  # a single row is its own totals row
    for j, value in enumerate(row):
        if value is None:
            low, high = feasible_range(grid, 0, j)
            assert high - low >= PROTECTION - TOLERANCE, (j, low, high, row)
        else:
            assert value == truth[j]
            assert not 0 < value < THRESHOLD
    assert protect_counts(counts) == (published, total)


def test_two_by_two_with_one_small_cell_hides_the_whole_interior() -> None:
    table = protect([[2, 10], [10, 10]])
    assert table.as_rows() == [[None, None, 12], [None, None, 20], [12, 20, 32]]
    assert table.cells[0][0] == Cell(value=None, suppressed=True, primary=True)
    assert table.cells[1][1] == Cell(value=None, suppressed=True, primary=False)
    assert table.suppressed_count == 4
    assert feasible_range(table.as_rows(), 0, 0) == (0.0, 12.0)


def test_table_without_small_cells_is_published_whole() -> None:
    counts = [[5, 0, 12], [7, 30, 0]]
    table = protect(counts)
    assert table.suppressed_count == 0
    assert table.as_rows() == full_grid(counts)


def test_all_zero_table_is_published() -> None:
    assert protect([[0, 0], [0, 0]]).as_rows() == [[0, 0, 0], [0, 0, 0], [0, 0, 0]]


def test_single_row_with_a_small_cell_hides_a_complement() -> None:
    published, total = protect_counts({"exit": 3, "prevent": 0, "follow-up": 12, "other": 7})
    # The complement is the smallest non-zero count, not the zero: a hidden zero is pinned from below.
    assert published == {"exit": None, "prevent": 0, "follow-up": 12, "other": None}
    assert total == 22


def test_single_small_count_hides_the_total() -> None:
    assert protect_counts({"exit": 3}) == ({"exit": None}, None)
    assert protect_counts({"exit": 9}) == ({"exit": 9}, 9)


def test_small_total_is_hidden() -> None:
    published, total = protect_counts({"a": 2, "b": 1})
    assert published == {"a": None, "b": None}
    assert total is None


def test_small_margin_is_primary() -> None:
    table = protect([[0, 3], [20, 30]])
    assert table.row_totals[0] == Cell(value=None, suppressed=True, primary=True)
    # The complements close the pattern: the 30 in the small cell's column and the 50 in the totals column.
    assert table.as_rows() == [[0, None, None], [20, None, None], [20, 33, 53]]
    assert_safe([[0, 3], [20, 30]], table)


def test_line_rule_alone_is_not_enough() -> None:
    counts = [[2, 6, 10], [0, 0, 6], [3, 0, 10]]
    # The pattern the line rule alone gives: every row and column holds zero or at least two hidden cells ...
    line_rule_only: list[list[int | None]] = [
        [None, None, 10, 18],
        [0, 0, None, None],
        [None, 0, None, None],
        [None, None, 26, 37],
    ]
    for line in [*line_rule_only, *zip(*line_rule_only, strict=True)]:
        assert sum(value is None for value in line) != 1
    # ... yet chaining the lines through the zeros pins the 3.
    assert feasible_range(line_rule_only, 2, 0) == (3.0, 3.0)
    table = protect(counts)
    assert table.as_rows() != line_rule_only
    assert_safe(counts, table)


def test_naive_primary_suppression_is_recoverable() -> None:
    counts = [[2, 10], [10, 10]]
    naive: list[list[int | None]] = [[None, 10, 12], [10, 10, 20], [12, 20, 32]]
    assert feasible_range(naive, 0, 0) == (2.0, 2.0)
    # Hiding a whole row is not enough either: the column totals give each cell back.
    row_only: list[list[int | None]] = [[None, None, 12], [10, 10, 20], [12, 20, 32]]
    assert feasible_range(row_only, 0, 0) == (2.0, 2.0)
    assert protect(counts).as_rows() != naive


def test_feasible_range_of_published_and_unbounded_cells() -> None:
    grid: list[list[int | None]] = [[None, None, None], [None, None, None], [None, None, None]]
    low, high = feasible_range(grid, 1, 1)
    assert low == 0.0 and math.isinf(high)
    assert feasible_range([[5, 5], [5, 5]], 0, 0) == (5.0, 5.0)


def test_everything_tiny_is_hidden_and_safe() -> None:
    counts = [[1, 1], [1, 1]]
    table = protect(counts)
    assert table.suppressed_count == 9
    assert_safe(counts, table)


def test_threshold_is_configurable() -> None:
    assert protect([[7, 20], [20, 20]], threshold=10).cells[0][0].suppressed
    assert not protect([[7, 20], [20, 20]]).cells[0][0].suppressed


@pytest.mark.parametrize(
    "counts",
    [[], [[]], [[1, 2], [3]], [[1, -1]]],
)
def test_invalid_tables_are_rejected(counts: list[list[int]]) -> None:
    with pytest.raises(ValueError):
        protect(counts)


def test_inconsistent_published_grid_is_rejected() -> None:
    with pytest.raises(ValueError):
        feasible_range([[1, None, 5], [1, 1, 2], [2, 3, 4]], 0, 1)
    with pytest.raises(ValueError):
        feasible_range([[1, 2], [3]], 0, 0)
