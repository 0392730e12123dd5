"""The unusual-access rules as data (`data/alert_rules.yaml`): loading, checking, and the calendar they use."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from django.utils.translation import get_language

RULES_FILE = Path(__file__).resolve().parent / "data" / "alert_rules.yaml"
RULE_IDS = ("emergency_access", "volume_spike", "outside_office_hours", "other_jurisdiction", "repeated_emergency")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class RulesError(ValueError):
    """The rules file is missing something or holds a value the detector cannot use."""


@dataclass(frozen=True)
class Rule:
    id: str
    version: int
    enabled: bool
    params: dict[str, Any]
    title: dict[str, str]
    reason: dict[str, str]

    def text(self, which: str) -> str:
        """The title or reason in the active language (bokmål unless English is asked for)."""
        words = self.title if which == "title" else self.reason
        lang = (get_language() or "nb")[:2]
        return words.get("en" if lang == "en" else "nb") or words.get("nb") or self.id


@dataclass(frozen=True)
class Rules:
    version: int
    tz: ZoneInfo
    rules: dict[str, Rule] = field(default_factory=dict)

    def get(self, rule_id: str) -> Rule | None:
        rule = self.rules.get(rule_id)
        return rule if rule is not None and rule.enabled else None


def _int(params: dict[str, Any], key: str, rule_id: str, *, low: int = 1) -> int:
    value = params.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise RulesError(f"{rule_id}: {key} must be a whole number of at least {low}")
    return value


def _time(value: Any, key: str, rule_id: str) -> dt.time:
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError as exc:
        raise RulesError(f"{rule_id}: {key} must be a time such as 07:00") from exc


def _check(rule_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters each rule needs, checked and converted."""
    p = dict(params)
    if rule_id == "volume_spike":
        hours = _int(p, "window_hours", rule_id)
        if 24 % hours:
            raise RulesError(f"{rule_id}: window_hours must divide 24")
        for key in ("max_cases", "baseline_days", "baseline_min_cases"):
            _int(p, key, rule_id)
        multiple = p.get("baseline_multiple")
        if isinstance(multiple, bool) or not isinstance(multiple, int | float) or multiple <= 1:
            raise RulesError(f"{rule_id}: baseline_multiple must be a number above 1")
    elif rule_id == "outside_office_hours":
        days = p.get("weekdays")
        if not isinstance(days, list) or any(d not in WEEKDAYS for d in days):
            raise RulesError(f"{rule_id}: weekdays must be a list of {', '.join(WEEKDAYS)}")
        p["weekdays"] = frozenset(WEEKDAYS.index(d) for d in days)
        p["start"] = _time(p.get("start"), "start", rule_id)
        p["end"] = _time(p.get("end"), "end", rule_id)
        if p["start"] >= p["end"]:
            raise RulesError(f"{rule_id}: start must be before end")
        p["public_holidays"] = bool(p.get("public_holidays", True))
    elif rule_id == "other_jurisdiction":
        p["include_emergency"] = bool(p.get("include_emergency", False))
        p["different_region_only"] = bool(p.get("different_region_only", False))
    elif rule_id == "repeated_emergency":
        _int(p, "count", rule_id, low=2)
        _int(p, "days", rule_id)
    return p


def parse_rules(data: Any) -> Rules:
    """Rules from the file's parsed YAML; RulesError for anything the detector could not use."""
    if not isinstance(data, dict) or not isinstance(data.get("rules"), dict):
        raise RulesError("the rules file needs a `rules` mapping")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise RulesError("the rules file needs a `version` number")
    try:
        tz = ZoneInfo(str(data.get("timezone", "Europe/Oslo")))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RulesError("unknown timezone") from exc
    rules: dict[str, Rule] = {}
    for rule_id, entry in data["rules"].items():
        if rule_id not in RULE_IDS:
            raise RulesError(f"unknown rule {rule_id!r}: the detector knows {', '.join(RULE_IDS)}")
        if not isinstance(entry, dict):
            raise RulesError(f"{rule_id}: a mapping of settings is needed")
        params = {k: v for k, v in entry.items() if k not in {"version", "enabled", "title", "reason"}}
        rv = entry.get("version")
        if isinstance(rv, bool) or not isinstance(rv, int) or rv < 1:
            raise RulesError(f"{rule_id}: version must be a number of at least 1")
        title, reason = entry.get("title") or {}, entry.get("reason") or {}
        if not isinstance(title, dict) or not isinstance(reason, dict) or not title.get("nb") or not reason.get("nb"):
            raise RulesError(f"{rule_id}: title and reason need bokmål (nb) and English (en)")
        rules[rule_id] = Rule(
            id=rule_id,
            version=rv,
            enabled=bool(entry.get("enabled", True)),
            params=_check(rule_id, params),
            title={k: str(v) for k, v in title.items()},
            reason={k: str(v) for k, v in reason.items()},
        )
    return Rules(version=version, tz=tz, rules=rules)


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> Rules:
    with open(path, encoding="utf-8") as f:
        return parse_rules(yaml.safe_load(f))


def load_rules(path: Path | None = None) -> Rules:
    """The rules file as it is now (read again when it changes)."""
    p = path or RULES_FILE
    return _load(str(p), p.stat().st_mtime)


def rule_title(rule_id: str) -> str:
    """A rule's title in the active language, for lists of alerts (the id if the file no longer has it)."""
    try:
        rule = load_rules().rules.get(rule_id)
    except (OSError, RulesError):
        rule = None
    return rule.text("title") if rule is not None else rule_id


# ---- The calendar: Norwegian public holidays ----------------------------------------------------------------


def _easter(year: int) -> dt.date:
    """Easter Sunday (the Gregorian computus, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month = (h + ell - 7 * m + 114) // 31
    day = (h + ell - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


@functools.lru_cache(maxsize=32)
def norwegian_holidays(year: int) -> frozenset[dt.date]:
    """The public holidays (helligdager and 1 and 17 May) of one year: the fixed ones and those that follow Easter."""
    easter = _easter(year)
    moving = (-3, -2, 0, 1, 39, 49, 50)  # Maundy Thursday, Good Friday, Easter, Easter Monday, Ascension, Whitsun
    fixed = (dt.date(year, 1, 1), dt.date(year, 5, 1), dt.date(year, 5, 17), dt.date(year, 12, 25))
    return frozenset({*fixed, dt.date(year, 12, 26), *(easter + dt.timedelta(days=n) for n in moving)})


def outside_office_hours(at: dt.datetime, params: dict[str, Any], tz: ZoneInfo) -> bool:
    """Whether a moment lies outside the office hours of `outside_office_hours`'s parameters, in local time."""
    local = at.astimezone(tz)
    if local.weekday() not in params["weekdays"]:
        return True
    if params["public_holidays"] and local.date() in norwegian_holidays(local.year):
        return True
    return not params["start"] <= local.time() < params["end"]
