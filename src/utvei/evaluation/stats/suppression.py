"""Small-cell suppression of a two-way table of counts with its margins.

A published table of counts can single out a person: a cell that says "2" tells a reader who knows one of the two
that the other one exists too. The standard remedy is *cell suppression*, done in two stages.

**Primary suppression.** Every count ``c`` with ``0 < c < THRESHOLD`` is hidden. Row totals, column totals and the
grand total are cells as well and follow the same rule. Zero cells are published: a zero describes nobody.

**Secondary (complementary) suppression.** Hiding a cell is pointless if it can be worked out from what is still
shown. A row ``[3, 9 | 12]`` with the ``3`` hidden gives it back as ``12 - 9``. So further cells are hidden until
no hidden cell can be recovered exactly. We treat the table as an (R+1) x (C+1) grid whose last column holds the row
totals and whose last row holds the column totals (the corner is the grand total). Each row of that grid, including
the totals row, is a *line* whose parts add up to its last cell; each column likewise. The attacker knows every
published cell, every one of these additivity equations, and that counts are non-negative.

The method iterates two steps until nothing changes:

a. *Line rule.* A line holding exactly one hidden cell gives it away by subtraction, so one more cell in that line is
   hidden. The complement is the published cell in the line that costs least, judged in this order: first a cell
   whose crossing line already holds a hidden cell (hiding it then opens no new line that needs a complement of
   its own; this cuts total suppression by about a tenth on typical tables), then a cell with value >= 1 before a
   zero (a hidden zero is pinned from below by non-negativity and protects poorly), an interior cell before a
   margin, the smallest value, and finally the first position (row-major) so the result is deterministic.
b. *Audit.* The line rule is necessary but not sufficient: hidden cells can still be pinned through a chain of
   several lines. For every hidden cell we solve two linear programmes (``scipy.optimize.linprog`` with HiGHS):
   its minimum and maximum over all non-negative tables consistent with what is published. If the gap is less
   than ``PROTECTION`` (one person; values within ``1e-6`` count as equal) the cell is pinned, and the cheapest
   published cell in its row or column (same order as above) is hidden as well; then we go back to (a). Cells are
   audited in row-major order and only the first pinned one is repaired per round, to hide as little as possible.

The protection criterion is only that a hidden value is not pinned: the attacker may still learn an interval (for a
row ``[3, 9 | 12]`` with both counts hidden, that the first is between 0 and 12).

The constraint matrix of a two-way table with margins is totally unimodular, so the LP bounds are integers and the
LP attacker is as strong as an integer one. Hiding more cells only widens the feasible ranges of cells that were
already hidden, so a cell that has passed the audit once stays safe; this keeps the number of LPs small. The loop
terminates because every round hides one more cell, and a fully hidden table is always safe (scaling the true table
and adding one to any cell with its margins stay feasible).

``feasible_range`` is the auditor on its own: given the published grid with ``None`` for hidden cells it reports
the range a hidden cell can take. The tests use it as the attacker.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

THRESHOLD = 5
PROTECTION = 1.0
TOLERANCE = 1e-6

Pos = tuple[int, int]
Grid = list[list[int | None]]
CellRange = tuple[Pos, float, float]


@dataclass(frozen=True)
class Cell:
    """One published cell: ``value`` is ``None`` when the cell is suppressed."""

    value: int | None
    suppressed: bool
    primary: bool


@dataclass(frozen=True)
class ProtectedTable:
    """The protected table: interior cells, row totals, column totals and the grand total."""

    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...]
    col_totals: tuple[Cell, ...]
    total: Cell

    def _all_cells(self) -> Iterable[Cell]:
        for row in self.cells:
            yield from row
        yield from self.row_totals
        yield from self.col_totals
        yield self.total

    @property
    def suppressed_count(self) -> int:
        """Number of suppressed cells, margins and grand total included."""
        return sum(1 for cell in self._all_cells() if cell.suppressed)

    def as_rows(self) -> list[list[int | None]]:
        """The published grid: each row followed by its total, then the totals row ending in the grand total."""
        rows: list[list[int | None]] = [
            [cell.value for cell in row] + [row_total.value]
            for row, row_total in zip(self.cells, self.row_totals, strict=True)
        ]
        rows.append([cell.value for cell in self.col_totals] + [self.total.value])
        return rows


@dataclass(frozen=True)
class _Line:
    """An additivity constraint: the parts add up to the total."""

    parts: tuple[Pos, ...]
    total: Pos

    @property
    def members(self) -> tuple[Pos, ...]:
        return (*self.parts, self.total)


def _lines(n_rows: int, n_cols: int) -> list[_Line]:
    """Lines of an ``n_rows`` x ``n_cols`` grid whose last row and column are totals.

    Order: interior rows, interior columns, then the totals row and the totals column.
    """
    last_row, last_col = n_rows - 1, n_cols - 1
    rows = [_Line(tuple((i, j) for j in range(last_col)), (i, last_col)) for i in range(n_rows)]
    cols = [_Line(tuple((i, j) for i in range(last_row)), (last_row, j)) for j in range(n_cols)]
    return rows[:-1] + cols[:-1] + [rows[-1], cols[-1]]


def _validate_grid(grid: Sequence[Sequence[int | None]]) -> tuple[int, int]:
    n_rows = len(grid)
    if n_rows < 2:
        raise ValueError("a published grid needs at least one row and the totals row")
    n_cols = len(grid[0])
    if n_cols < 2:
        raise ValueError("a published grid needs at least one column and the totals column")
    for row in grid:
        if len(row) != n_cols:
            raise ValueError("ragged grid")
        for value in row:
            if value is not None and value < 0:
                raise ValueError("counts must be non-negative")
    return n_rows, n_cols


def _range_of(grid: Sequence[Sequence[int | None]], lines: Sequence[_Line], targets: Sequence[Pos]) -> list[CellRange]:
    """LP minimum and maximum of each hidden target cell given the published grid."""
    hidden = [(i, j) for i, row in enumerate(grid) for j, value in enumerate(row) if value is None]
    index = {pos: k for k, pos in enumerate(hidden)}
    a_rows: list[list[float]] = []
    b: list[float] = []
    for line in lines:
        coefficients = [0.0] * len(hidden)
        rhs = 0.0
        touched = False
        for pos in line.members:
            sign = -1.0 if pos == line.total else 1.0
            value = grid[pos[0]][pos[1]]
            if value is None:
                coefficients[index[pos]] += sign
                touched = True
            else:
                rhs -= sign * value
        if touched:
            a_rows.append(coefficients)
            b.append(rhs)
        elif abs(rhs) > TOLERANCE:
            raise ValueError("published cells do not add up")
    a_eq = np.array(a_rows) if a_rows else None
    b_eq = np.array(b) if b else None
    results: list[CellRange] = []
    for pos in targets:
        objective = np.zeros(len(hidden))
        objective[index[pos]] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        if low.status != 0:
            raise ValueError(f"published grid admits no non-negative table: {low.message}")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        # The problem is feasible (the minimum exists), so any non-optimal status means unbounded above.
        maximum = float(-high.fun) if high.status == 0 else math.inf
        results.append((pos, float(low.fun), maximum))
    return results


def feasible_range(table_as_rows: list[list[int | None]], row: int, col: int) -> tuple[float, float]:
    """The attacker's view: the least and greatest value of cell ``(row, col)`` consistent with the published grid.

    ``table_as_rows`` is the (R+1) x (C+1) grid of ``ProtectedTable.as_rows`` with ``None`` for hidden cells. A
    published cell returns its own value twice. The maximum is ``math.inf`` when the cell is unbounded.
    """
    _validate_grid(table_as_rows)
    value = table_as_rows[row][col]
    if value is not None:
        return float(value), float(value)
    lines = _lines(len(table_as_rows), len(table_as_rows[0]))
    ((_, low, high),) = _range_of(table_as_rows, lines, [(row, col)])
    return low, high


def _full_grid(counts: Sequence[Sequence[int]]) -> list[list[int]]:
    if len(counts) < 1:
        raise ValueError("a table needs at least one row")
    n_cols = len(counts[0])
    if n_cols < 1:
        raise ValueError("a table needs at least one column")
    grid: list[list[int]] = []
    for row in counts:
        if len(row) != n_cols:
            raise ValueError("ragged table")
        if any(int(value) != value or value < 0 for value in row):
            raise ValueError("counts must be non-negative integers")
        values = [int(value) for value in row]
        grid.append([*values, sum(values)])
    grid.append([sum(row[j] for row in grid) for j in range(n_cols + 1)])
    return grid


def _cheapest(candidates: Iterable[Pos], grid: list[list[int]], hidden: set[Pos]) -> Pos | None:
    """The complement that costs least; see the module docstring for the order."""
    n_rows, n_cols = len(grid), len(grid[0])

    def cost(pos: Pos) -> tuple[int, bool, bool, int, Pos]:
        i, j = pos
        value = grid[i][j]
        row_open = not any((i, jj) in hidden for jj in range(n_cols))
        col_open = not any((ii, j) in hidden for ii in range(n_rows))
        return int(row_open) + int(col_open), value == 0, i == n_rows - 1 or j == n_cols - 1, value, pos

    return min(candidates, key=cost, default=None)


def _apply_line_rule(grid: list[list[int]], lines: Sequence[_Line], hidden: set[Pos]) -> None:
    """Hide complements until no line holds exactly one hidden cell."""
    changed = True
    while changed:
        changed = False
        for line in lines:
            members = line.members
            if sum(1 for pos in members if pos in hidden) == 1:
                choice = _cheapest((pos for pos in members if pos not in hidden), grid, hidden)
                if choice is not None:
                    hidden.add(choice)
                    changed = True
                    break


def _published(grid: list[list[int]], hidden: set[Pos]) -> Grid:
    return [[None if (i, j) in hidden else value for j, value in enumerate(row)] for i, row in enumerate(grid)]


def _suppress(grid: list[list[int]], threshold: int) -> tuple[set[Pos], set[Pos]]:
    """Primary and secondary suppression on a full grid with margins; returns (primary, hidden)."""
    n_rows, n_cols = len(grid), len(grid[0])
    lines = _lines(n_rows, n_cols)
    primary = {(i, j) for i in range(n_rows) for j in range(n_cols) if 0 < grid[i][j] < threshold}
    hidden = set(primary)
    safe: set[Pos] = set()
    while hidden:
        _apply_line_rule(grid, lines, hidden)
        published = _published(grid, hidden)
        pinned: Pos | None = None
        for pos in sorted(hidden - safe):
            ((_, low, high),) = _range_of(published, lines, [pos])
            if high - low < PROTECTION - TOLERANCE:
                pinned = pos
                break
            safe.add(pos)  # more hiding only widens the range, so this cell stays safe
        if pinned is None:
            break
        i, j = pinned
        neighbours = [(i, jj) for jj in range(n_cols)] + [(ii, j) for ii in range(n_rows)]
        choice = _cheapest((pos for pos in neighbours if pos not in hidden), grid, hidden)
        if choice is None:
            choice = _cheapest(
                ((ii, jj) for ii in range(n_rows) for jj in range(n_cols) if (ii, jj) not in hidden), grid, hidden
            )
        if choice is None:  # everything is hidden already; cannot happen for a consistent table
            break
        hidden.add(choice)
    return primary, hidden


def protect(counts: Sequence[Sequence[int]], *, threshold: int = THRESHOLD) -> ProtectedTable:
    """Protect an R x C table of non-negative counts and its margins by primary and secondary suppression."""
    grid = _full_grid(counts)
    primary, hidden = _suppress(grid, threshold)

    def cell(i: int, j: int) -> Cell:
        suppressed = (i, j) in hidden
        return Cell(value=None if suppressed else grid[i][j], suppressed=suppressed, primary=(i, j) in primary)

    n_rows, n_cols = len(grid) - 1, len(grid[0]) - 1
    return ProtectedTable(
        cells=tuple(tuple(cell(i, j) for j in range(n_cols)) for i in range(n_rows)),
        row_totals=tuple(cell(i, n_cols) for i in range(n_rows)),
        col_totals=tuple(cell(n_rows, j) for j in range(n_cols)),
        total=cell(n_rows, n_cols),
    )


def protect_counts(
    counts: Mapping[str, int], *, threshold: int = THRESHOLD
) -> tuple[dict[str, int | None], int | None]:
    """Protect a one-way table (labelled counts) and its total; returns the published counts and total.

    This is ``protect`` on a single row: small counts are hidden, a lone hidden count gets a complement, and when
    there is only one count and it is small the total goes too.
    """
    if not counts:
        raise ValueError("a table needs at least one count")
    labels = list(counts)
    table = protect([[counts[label] for label in labels]], threshold=threshold)
    published = {label: cell.value for label, cell in zip(labels, table.cells[0], strict=True)}
    return published, table.row_totals[0].value
