"""k-anonymity: the least generalisation that hides every record among at least k, and keyed pseudonyms."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from utvei.evaluation.stats.kanon import (
    AGE_LEVELS,
    DEFAULT_HIERARCHY,
    QUARTER_LEVELS,
    REGION_LEVELS,
    TRACK_LEVELS,
    Generalised,
    generalise,
    is_k_anonymous,
    pseudonym,
    region_levels,
    smallest_class,
)

KEYS = list(DEFAULT_HIERARCHY)

records_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "age_band": st.sampled_from(["under 15", "15-17", "18-24", "25-34", "35-49", "50+"]),
            "region": st.sampled_from(["Vestland", "Rogaland", "Oslo"]),
            "quarter": st.sampled_from(["2025Q4", "2026Q1", "2026Q2"]),
            "track": st.sampled_from(["exit", "prevent"]),
            "pid": st.text("abcdef0123456789", min_size=4, max_size=4),
        }
    ),
    max_size=40,
)


def generalised_at(records: Sequence[Mapping[str, str]], levels: Mapping[str, int]) -> list[dict[str, str]]:
    return [{**record, **{key: DEFAULT_HIERARCHY[key][levels[key]](record[key]) for key in KEYS}} for record in records]


def within_budget(records: Sequence[Mapping[str, str]], levels: Mapping[str, int], k: int, budget: int) -> bool:
    out = generalised_at(records, levels)
    sizes: dict[tuple[str, ...], int] = {}
    for record in out:
        signature = tuple(record[key] for key in KEYS)
        sizes[signature] = sizes.get(signature, 0) + 1
    return sum(size for size in sizes.values() if size < k) <= budget


@settings(max_examples=150, deadline=None)
@given(records_strategy, st.integers(2, 6))
def test_result_is_k_anonymous_and_minimal(records: list[dict[str, str]], k: int) -> None:
    result = generalise(records, DEFAULT_HIERARCHY, k=k)
    if len(records) < k:
        assert result is None
        return
    assert result is not None
    assert result.suppressed == 0
    assert len(result.records) == len(records)
    assert is_k_anonymous(result.records, KEYS, k)
    assert list(result.records) == generalised_at(records, result.levels)
    # Non-quasi fields are carried through unchanged.
    assert [r["pid"] for r in result.records] == [r["pid"] for r in records]
    # Minimal: lowering any single quasi-identifier by one level breaks k-anonymity.
    for key, level in result.levels.items():
        if level > 0:
            lower = {**result.levels, key: level - 1}
            assert not is_k_anonymous(generalised_at(records, lower), KEYS, k), (key, result.levels)
    assert generalise(records, DEFAULT_HIERARCHY, k=k) == result


@settings(max_examples=100, deadline=None)
@given(records_strategy, st.sampled_from([0.05, 0.1, 0.2]))
def test_outlier_suppression_stays_within_budget(records: list[dict[str, str]], fraction: float) -> None:
    result = generalise(records, DEFAULT_HIERARCHY, max_suppressed=fraction)
    if len(records) < 5:
        assert result is None
        return
    assert result is not None
    budget = math.floor(fraction * len(records))
    assert result.suppressed <= budget
    assert len(result.records) + result.suppressed == len(records)
    assert is_k_anonymous(result.records, KEYS)
    plain = generalise(records, DEFAULT_HIERARCHY)
    assert plain is not None
    assert sum(result.levels.values()) <= sum(plain.levels.values())
    for key, level in result.levels.items():
        if level > 0:
            assert not within_budget(records, {**result.levels, key: level - 1}, 5, budget)


def test_hand_example_with_twelve_records() -> None:
    rows = [
        ("15-17", "Vestland", "2026Q1", "exit"),
        ("15-17", "Vestland", "2026Q2", "exit"),
        ("under 15", "Vestland", "2026Q1", "exit"),
        ("15-17", "Vestland", "2026Q1", "exit"),
        ("under 15", "Vestland", "2026Q2", "exit"),
        ("15-17", "Vestland", "2026Q1", "exit"),
        ("18-24", "Vestland", "2026Q1", "exit"),
        ("25-34", "Vestland", "2026Q2", "exit"),
        ("18-24", "Vestland", "2026Q1", "exit"),
        ("25-34", "Vestland", "2026Q1", "exit"),
        ("18-24", "Vestland", "2026Q2", "exit"),
        ("25-34", "Vestland", "2026Q1", "exit"),
    ]
    records = [
        {"age_band": a, "region": r, "quarter": q, "track": t, "case": f"c{n}"} for n, (a, r, q, t) in enumerate(rows)
    ]
    assert smallest_class(records, KEYS) == 1
    assert not is_k_anonymous(records, KEYS)
    result = generalise(records, DEFAULT_HIERARCHY)
    assert result is not None
    # Age merged into two groups of six and quarters into one year: the sum of levels is 2.
    assert result.levels == {"age_band": 1, "region": 0, "quarter": 1, "track": 0}
    assert result.suppressed == 0
    assert {(r["age_band"], r["quarter"]) for r in result.records} == {("under 18", "2026"), ("18-34", "2026")}
    assert smallest_class(result.records, KEYS) == 6
    assert [r["case"] for r in result.records] == [f"c{n}" for n in range(12)]
    # With k = 7 the two age groups of six are too small: age goes to "*", and then the year is enough.
    seven = generalise(records, DEFAULT_HIERARCHY, k=7)
    assert seven is not None
    assert seven.levels == {"age_band": 2, "region": 0, "quarter": 1, "track": 0}
    assert smallest_class(seven.records, KEYS) == 12


def test_outlier_is_dropped_rather_than_generalising_everyone() -> None:
    records = [{"age_band": "18-24", "region": "Oslo", "quarter": "2026Q1", "track": "exit"} for _ in range(10)]
    records.append({"age_band": "50+", "region": "Oslo", "quarter": "2026Q1", "track": "exit"})
    strict = generalise(records, DEFAULT_HIERARCHY)
    assert strict is not None and strict.levels["age_band"] == 2
    lenient = generalise(records, DEFAULT_HIERARCHY, max_suppressed=0.1)
    assert lenient == Generalised(
        records=tuple(records[:10]), levels={"age_band": 0, "region": 0, "quarter": 0, "track": 0}, suppressed=1
    )


def test_too_few_records_gives_none() -> None:
    records = [{"age_band": "18-24", "region": "Oslo", "quarter": "2026Q1", "track": "exit"}] * 4
    assert generalise(records, DEFAULT_HIERARCHY) is None
    assert generalise([], DEFAULT_HIERARCHY) is None
    assert generalise(records, DEFAULT_HIERARCHY, k=4) is not None


def test_hierarchies() -> None:
    assert [level("15-17") for level in AGE_LEVELS] == ["15-17", "under 18", "*"]
    assert [level("25-34") for level in AGE_LEVELS] == ["25-34", "18-34", "*"]
    assert [level("50+") for level in AGE_LEVELS] == ["50+", "35+", "*"]
    assert AGE_LEVELS[1]("unknown") == "*"
    assert [level("2026Q1") for level in QUARTER_LEVELS] == ["2026Q1", "2026", "*"]
    assert QUARTER_LEVELS[1]("spring") == "*"
    assert [level("Vestland") for level in REGION_LEVELS] == ["Vestland", "*"]
    assert [level("exit") for level in TRACK_LEVELS] == ["exit", "*"]
    counties = region_levels({"Bergen": "Vestland", "Voss": "Vestland"})
    assert [level("Voss") for level in counties] == ["Voss", "Vestland", "*"]
    assert counties[1]("Tromsø") == "*"


def test_custom_county_hierarchy_is_used() -> None:
    counties = region_levels({"Bergen": "Vestland", "Voss": "Vestland", "Stord": "Vestland"})
    towns = ["Bergen", "Voss", "Bergen", "Voss", "Bergen", "Stord"]
    result = generalise([{"region": town} for town in towns], {"region": counties}, k=3)
    assert result is not None
    assert result.levels == {"region": 1}
    assert {r["region"] for r in result.records} == {"Vestland"}
    # "Tromsø" is not in the mapping and becomes "*" at level 1, a class of one; only level 2 is safe.
    result = generalise([{"region": town} for town in [*towns, "Tromsø"]], {"region": counties}, k=3)
    assert result is not None and result.levels == {"region": 2}


def test_invalid_input_is_rejected() -> None:
    records = [{"age_band": "18-24"}] * 5
    with pytest.raises(ValueError):
        generalise(records, DEFAULT_HIERARCHY)
    with pytest.raises(ValueError):
        generalise(records, {"age_band": AGE_LEVELS}, k=0)
    with pytest.raises(ValueError):
        generalise(records, {"age_band": AGE_LEVELS}, max_suppressed=1.5)
    mixed = [{"age_band": band} for band in ["18-24", "25-34"] * 3]
    with pytest.raises(ValueError):
        generalise(mixed, {"age_band": [lambda v: v]})  # no level maps everything together
    with pytest.raises(ValueError):
        generalise(records, {"age_band": []})


def test_class_helpers() -> None:
    assert smallest_class([], KEYS) == 0
    assert is_k_anonymous([], KEYS)
    records = [{"a": "x"}] * 5 + [{"a": "y"}] * 6
    assert smallest_class(records, ["a"]) == 5
    assert is_k_anonymous(records, ["a"])
    assert not is_k_anonymous(records, ["a"], k=6)


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=16, max_size=32), st.binary(min_size=16, max_size=32), st.text(min_size=1, max_size=20))
def test_pseudonyms_are_stable_per_key_and_differ_across_keys(key_a: bytes, key_b: bytes, person: str) -> None:
    first = pseudonym(key_a, person)
    assert first == pseudonym(key_a, person)
    assert len(first) == 16 and all(c in "0123456789abcdef" for c in first)
    if key_a != key_b:
        assert first != pseudonym(key_b, person)


def test_pseudonym_known_value_and_empty_key() -> None:
    assert pseudonym(b"extract-2026-01", "P-0001") != pseudonym(b"extract-2026-01", "P-0002")
    assert pseudonym(b"key", "person") == "644b7ccb39efa01d"  # HMAC-SHA256 checked with openssl
    with pytest.raises(ValueError):
        pseudonym(b"", "person")
