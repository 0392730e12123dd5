"""The rules file: valid, versioned, and the most specific rule wins."""

from __future__ import annotations

import pytest

from utvei.retention.rules import RulesError, load_rules, parse_rules


def test_the_shipped_rules_load_with_a_version_and_a_statute_in_both_languages() -> None:
    rules = load_rules()
    assert rules.version >= 1
    assert rules.get("default") is not None
    for rule in rules.rules:
        assert rule.statute_nb and rule.statute_en
        assert rule.end_after_months >= rule.restrict_after_months


@pytest.mark.parametrize(
    ("track", "reason", "kind", "expected"),
    [
        ("exit", "goals_met", "ngo", "default"),  # nothing more specific
        ("exit", "goals_met", "municipality", "municipality-archive"),  # the owner's kind
        ("exit", "not_substantiated", "ngo", "not-substantiated"),  # the closure reason
        ("exit", "not_substantiated", "municipality", "municipality-not-substantiated"),  # two beat one
        ("returnee", "criminal_justice", "municipality", "returnee-criminal-justice"),  # two beat one
        ("exit", "not_substantiated", "police", "police"),  # one each: the owner's kind wins the tie
        ("prevention", "not_substantiated", "police", "police-prevention-not-substantiated"),  # three beat all
        ("exit", "declined", "health", "health"),
    ],
)
def test_the_most_specific_rule_wins(track: str, reason: str, kind: str, expected: str) -> None:
    assert load_rules().rule_for(track=track, closure_reason=reason, org_kind=kind).id == expected


BASE = """
version: 3
rules:
  - id: default
    restrict_after_months: 1
    end_after_months: 2
    end: anonymise
    statute_nb: lov
    statute_en: act
"""


def test_a_valid_file_parses() -> None:
    assert parse_rules(BASE).version == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("end: anonymise", "end: shred"), "end must be one of"),
        (("end_after_months: 2", "end_after_months: 0"), "before restrict_after_months"),
        (("id: default", "id: default\n    track: nowhere"), "is not one of"),
        (("version: 3", "version: three"), "version"),
        (("    statute_en: act\n", ""), "statute_en"),
        (("id: default", "id: default\n    org_kind: police"), "the default"),
    ],
)
def test_an_invalid_file_is_refused_with_the_rule_and_field_named(change: tuple[str, str], message: str) -> None:
    with pytest.raises(RulesError, match=message):
        parse_rules(BASE.replace(*change))


def test_two_rules_for_one_combination_are_refused() -> None:
    twice = BASE + BASE.split("rules:\n", 1)[1].replace("id: default", "id: again")
    with pytest.raises(RulesError, match="same track"):
        parse_rules(twice)
