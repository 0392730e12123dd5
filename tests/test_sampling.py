"""The sample of the large tables on the second database (tests/sampling.py): a share of the rows, the same in every
worker for one seed, never none; every row when not sampling."""

from __future__ import annotations

from typing import Any

from tests import sampling


def test_without_sampling_every_row_runs(monkeypatch: Any) -> None:
    monkeypatch.setattr(sampling, "SAMPLED", False)
    assert sampling.pick(list(range(10)), 0.25, salt="t") == list(range(10))


def test_a_sample_is_a_share_in_order_the_same_for_the_same_seed(monkeypatch: Any) -> None:
    monkeypatch.setattr(sampling, "SAMPLED", True)
    rows = list(range(40))
    drawn = sampling.pick(rows, 0.25, salt="t")
    assert len(drawn) == 10 and drawn == sorted(drawn) and set(drawn) <= set(rows)
    assert sampling.pick(rows, 0.25, salt="t") == drawn  # another worker draws the same
    assert sampling.pick([1, 2], 0.01, salt="t") != []  # a table is never dropped
    days = set()
    for seed in range(40):  # day by day the sample moves over the whole table
        monkeypatch.setattr(sampling, "SEED", seed)
        days |= set(sampling.pick(rows, 0.25, salt="t"))
    assert days == set(rows)
