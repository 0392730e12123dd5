"""The retention rules (data/rules.yaml): loading, checking, and choosing the one that applies to a case.

The file is read as it is, every time (`load_rules` caches it per path and modification time): the rules are not
edited by administrators, so there is nothing to sync into the database. Each step the run takes records the
rule's id and the file's `version`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.utils import timezone
from django.utils.translation import get_language

from utvei.accounts.models import OrgKind
from utvei.cases.models import Case, ClosureReason, Track
from utvei.core.dates import add_months

from .models.steps import Step

DATA_FILE = Path(__file__).resolve().parent / "data" / "rules.yaml"
ENDS = ("anonymise", "delete", "archive")
ARCHIVE_THEN = ("delete", "restrict")
MATCHERS = ("track", "closure_reason", "org_kind")


class RulesError(ValueError):
    """The rules file is not valid; the message names the rule and the field."""


@dataclass(frozen=True)
class Rule:
    id: str
    track: str | None
    closure_reason: str | None
    org_kind: str | None
    restrict_after_months: int
    end_after_months: int
    end: str
    archive_then: str
    statute_nb: str
    statute_en: str
    note_nb: str
    note_en: str

    @property
    def specificity(self) -> tuple[int, bool, bool, bool]:
        """How specific the rule is: how many of the three it names; between equals, the one that names the owning
        organisation's kind (whose law governs its records), then the closure reason, then the track."""
        named = [getattr(self, m) is not None for m in MATCHERS]
        return (sum(named), named[2], named[1], named[0])

    def matches(self, *, track: str, closure_reason: str, org_kind: str) -> bool:
        return (
            self.track in (None, track)
            and self.closure_reason in (None, closure_reason)
            and self.org_kind in (None, org_kind)
        )

    @property
    def end_label(self) -> str:
        """The end step in words, with what follows an archive export (e.g. «Export for archiving → Delete»)."""
        words = str(Step(self.end).label)
        return f"{words} → {Step(self.archive_then).label}" if self.archive_then else words

    @property
    def statute(self) -> str:
        """The statute in the active language (bokmål unless English is chosen)."""
        return self.statute_en if (get_language() or "nb").startswith("en") else self.statute_nb

    @property
    def note(self) -> str:
        return self.note_en if (get_language() or "nb").startswith("en") else self.note_nb


@dataclass(frozen=True)
class RuleSet:
    version: int
    rules: tuple[Rule, ...]

    def rule_for(self, *, track: str, closure_reason: str, org_kind: str) -> Rule:
        """The most specific rule that matches (the file guarantees one: `default`, and no ties)."""
        found = [r for r in self.rules if r.matches(track=track, closure_reason=closure_reason, org_kind=org_kind)]
        return max(found, key=lambda r: r.specificity)

    def for_case(self, case: Case) -> Rule:
        return self.rule_for(track=case.track, closure_reason=case.closure_reason or "", org_kind=case.owning_org.kind)

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


@dataclass(frozen=True)
class Due:
    """When a closed case's steps fall due under its rule."""

    rule: Rule
    restrict_on: dt.date
    end_on: dt.date


def due_dates(case: Case, rule: Rule) -> Due | None:
    """The dates a closed case is restricted and ended on under `rule`; None for a case that is not closed."""
    if case.closed_at is None or case.phase != "closed":
        return None
    closed = timezone.localdate(case.closed_at)
    return Due(rule, add_months(closed, rule.restrict_after_months), add_months(closed, rule.end_after_months))


def _text(raw: dict[str, Any], key: str, where: str, *, required: bool = True, limit: int = 2000) -> str:
    value = raw.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise RulesError(f"{where}: {key} must be a non-empty text")
    if len(value) > limit:
        raise RulesError(f"{where}: {key} is longer than {limit}")
    return value.strip()


def _months(raw: dict[str, Any], key: str, where: str) -> int:
    value = raw.get(key)
    if type(value) is not int or not 0 <= value <= 1200:
        raise RulesError(f"{where}: {key} must be a whole number of months from 0 to 1200")
    return value


def _matcher(raw: dict[str, Any], key: str, allowed: list[str], where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if value not in allowed:
        raise RulesError(f"{where}: {key} {value!r} is not one of {allowed}")
    return str(value)


def _rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, dict):
        raise RulesError(f"{where}: expected a mapping")
    unknown = set(raw) - {
        "id", *MATCHERS, "restrict_after_months", "end_after_months", "end", "archive_then",
        "statute_nb", "statute_en", "note_nb", "note_en",
    }  # fmt: skip
    if unknown:
        raise RulesError(f"{where}: unknown fields {sorted(unknown)}")
    rule_id = _text(raw, "id", where, limit=60)
    where = f"{where} ({rule_id})"
    restrict, end_after = _months(raw, "restrict_after_months", where), _months(raw, "end_after_months", where)
    if end_after < restrict:
        raise RulesError(f"{where}: end_after_months is before restrict_after_months")
    end = raw.get("end")
    if end not in ENDS:
        raise RulesError(f"{where}: end must be one of {list(ENDS)}")
    then = raw.get("archive_then", "")
    if end == "archive" and then not in ARCHIVE_THEN:
        raise RulesError(f"{where}: archive_then must be one of {list(ARCHIVE_THEN)}")
    if end != "archive" and then:
        raise RulesError(f"{where}: archive_then is only for end: archive")
    return Rule(
        id=rule_id,
        track=_matcher(raw, "track", list(Track.values), where),
        closure_reason=_matcher(raw, "closure_reason", list(ClosureReason.values), where),
        org_kind=_matcher(raw, "org_kind", list(OrgKind.values), where),
        restrict_after_months=restrict,
        end_after_months=end_after,
        end=str(end),
        archive_then=str(then or ""),
        statute_nb=_text(raw, "statute_nb", where, limit=400),
        statute_en=_text(raw, "statute_en", where, limit=400),
        note_nb=_text(raw, "note_nb", where, required=False),
        note_en=_text(raw, "note_en", where, required=False),
    )


def parse_rules(text: str, name: str = "rules.yaml") -> RuleSet:
    """Check and read a rules file's text: a version, unique ids, no two rules for one combination, a default."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesError(f"{name}: not valid YAML") from exc
    if not isinstance(data, dict) or type(data.get("version")) is not int or not isinstance(data.get("rules"), list):
        raise RulesError(f"{name}: expected `version: <number>` and a list `rules`")
    rules = tuple(_rule(raw, f"{name} rule {i + 1}") for i, raw in enumerate(data["rules"]))
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise RulesError(f"{name}: duplicate ids {sorted({i for i in ids if ids.count(i) > 1})}")
    combos = [(r.track, r.closure_reason, r.org_kind) for r in rules]
    if len(set(combos)) != len(combos):
        raise RulesError(f"{name}: two rules name the same track, closure reason and organisation kind")
    if (None, None, None) not in combos:
        raise RulesError(f"{name}: a rule that names none of track, closure reason and kind (the default) is needed")
    return RuleSet(version=data["version"], rules=rules)


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> RuleSet:
    return parse_rules(Path(path).read_text(encoding="utf-8"), Path(path).name)


def load_rules(path: Path | None = None) -> RuleSet:
    p = path or DATA_FILE
    return _load(str(p), p.stat().st_mtime)
