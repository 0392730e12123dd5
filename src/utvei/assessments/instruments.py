"""Instrument definition files, and loading them into the database.

Works with the real models and with a migration's historical ones: `sync_definition` takes the model classes.
The rule: a new (key, version) is created; an unchanged one is left alone; a changed one is updated only while
no assessment uses it, otherwise refused (the file needs a new version number, so every assessment keeps the
items it was made with). The format is described in docs/assessments.md.

Built-in, open instruments live in assessments/data/*.yaml and must carry their item texts. A licensed
instrument (VERA-2R, ERG and others) is loaded by an operator from a local file that is never committed
(`utvei instruments load PATH`); its items are known by their codes, and item texts are optional.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone

DATA_DIR = Path(__file__).resolve().parent / "data"
DATA_FILE_SOURCE = "data-file"
LOCAL_FILE_SOURCE = "local-file"

ITEM_TYPES = ("risk", "protective", "need", "motivation")
LICENCES = ("open", "licensed")
UNKNOWN = "unknown"
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}")
KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,59}")
MAX_DOMAINS, MAX_ITEMS, MAX_SCALE = 30, 80, 10
SHORT, LONG = 200, 2000
RESERVED = {"summary"}  # the last part of the assessment form has this name

TOP_FIELDS = {
    "key",
    "version",
    "licence",
    "publisher",
    "name_nb",
    "name_en",
    "description_nb",
    "description_en",
    "licence_note",
    "scale",
    "domains",
}
SCALE_FIELDS = {"code", "label_nb", "label_en"}
DOMAIN_FIELDS = {"code", "name_nb", "name_en", "description_nb", "description_en", "items"}
ITEM_FIELDS = {"code", "type", "text_nb", "text_en", "guidance_nb", "guidance_en"}


class InstrumentError(ValueError):
    """The definition is not valid, or would change a version in use; the message says where."""


def _text(raw: dict[str, Any], name: str, where: str, *, required: bool, limit: int) -> str:
    value = raw.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InstrumentError(f"{where}: {name} must be text")
    value = " ".join(value.split())
    if required and not value:
        raise InstrumentError(f"{where}: {name} is required")
    if len(value) > limit:
        raise InstrumentError(f"{where}: {name} is longer than {limit} characters")
    return value


def _fields(raw: Any, allowed: set[str], where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InstrumentError(f"{where}: not a mapping")
    unknown = set(raw) - allowed
    if unknown:
        raise InstrumentError(f"{where}: unknown fields {sorted(unknown)}")
    return raw


def _code(raw: dict[str, Any], where: str) -> str:
    code = raw.get("code")
    if not isinstance(code, str) or not CODE.fullmatch(code):
        raise InstrumentError(f"{where}: code must be 1–20 letters, digits, '.', '_' or '-'")
    return code


def clean_definition(raw: Any, where: str = "instrument", *, require_texts: bool = True) -> dict[str, Any]:
    """A definition checked and normalised; `require_texts=False` lets a licensed one name items by code only."""
    raw = _fields(raw, TOP_FIELDS, where)
    key = raw.get("key")
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise InstrumentError(f"{where}: key must be a slug of lower-case letters, digits and '-'")
    where = f"{where} ({key})"
    version = raw.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= 10000:
        raise InstrumentError(f"{where}: version must be a whole number from 1")
    licence = raw.get("licence")
    if licence not in LICENCES:
        raise InstrumentError(f"{where}: licence must be one of {list(LICENCES)}")
    texts = require_texts or licence == "open"
    out: dict[str, Any] = {"key": key, "version": version, "licence": licence}
    for name, required, limit in (
        ("name_nb", True, SHORT),
        ("name_en", True, SHORT),
        ("publisher", False, SHORT),
        ("description_nb", False, LONG),
        ("description_en", False, LONG),
        ("licence_note", False, LONG),
    ):
        out[name] = _text(raw, name, where, required=required, limit=limit)
    out["scale"] = _scale(raw.get("scale"), where)
    out["domains"] = _domains(raw.get("domains"), where, texts=texts)
    return out


def _scale(raw: Any, where: str) -> list[dict[str, str]]:
    if not isinstance(raw, list) or not 2 <= len(raw) <= MAX_SCALE:
        raise InstrumentError(f"{where}: scale must list 2–{MAX_SCALE} ratings")
    scale = []
    for i, option in enumerate(raw, start=1):
        at = f"{where} scale {i}"
        option = _fields(option, SCALE_FIELDS, at)
        scale.append(
            {
                "code": _code(option, at),
                "label_nb": _text(option, "label_nb", at, required=True, limit=SHORT),
                "label_en": _text(option, "label_en", at, required=True, limit=SHORT),
            }
        )
    codes = [s["code"] for s in scale]
    if len(set(codes)) != len(codes):
        raise InstrumentError(f"{where}: scale codes must be distinct")
    if UNKNOWN not in codes:
        raise InstrumentError(f"{where}: the scale must include «{UNKNOWN}»")
    return scale


def _domains(raw: Any, where: str, *, texts: bool) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_DOMAINS:
        raise InstrumentError(f"{where}: domains must list 1–{MAX_DOMAINS} domains")
    domains, item_codes = [], []
    for i, d in enumerate(raw, start=1):
        at = f"{where} domain {i}"
        d = _fields(d, DOMAIN_FIELDS, at)
        domain: dict[str, Any] = {"code": _code(d, at)}
        if domain["code"] in RESERVED:
            raise InstrumentError(f"{at}: the domain code {domain['code']!r} is reserved")
        at = f"{where} domain {domain['code']}"
        for name, required, limit in (
            ("name_nb", True, SHORT),
            ("name_en", True, SHORT),
            ("description_nb", False, LONG),
            ("description_en", False, LONG),
        ):
            domain[name] = _text(d, name, at, required=required, limit=limit)
        items = d.get("items")
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
            raise InstrumentError(f"{at}: items must list 1–{MAX_ITEMS} items")
        domain["items"] = []
        for j, item in enumerate(items, start=1):
            item_at = f"{at} item {j}"
            item = _fields(item, ITEM_FIELDS, item_at)
            code = _code(item, item_at)
            item_at = f"{at} item {code}"
            if item.get("type") not in ITEM_TYPES:
                raise InstrumentError(f"{item_at}: type must be one of {list(ITEM_TYPES)}")
            clean = {"code": code, "type": item["type"]}
            for name, required, limit in (
                ("text_nb", texts, LONG),
                ("text_en", texts, LONG),
                ("guidance_nb", False, LONG),
                ("guidance_en", False, LONG),
            ):
                clean[name] = _text(item, name, item_at, required=required, limit=limit)
            domain["items"].append(clean)
            item_codes.append(code)
        domains.append(domain)
    codes = [d["code"] for d in domains]
    if len(set(codes)) != len(codes):
        raise InstrumentError(f"{where}: domain codes must be distinct")
    duplicates = sorted({c for c in item_codes if item_codes.count(c) > 1})
    if duplicates:
        raise InstrumentError(f"{where}: duplicate item codes {duplicates}")
    return domains


def load_file(path: Path, *, require_texts: bool = True) -> dict[str, Any]:
    """One definition file, checked."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InstrumentError(f"{path.name}: not valid YAML ({exc.__class__.__name__})") from exc
    return clean_definition(raw, path.name, require_texts=require_texts)


def builtin_files() -> list[Path]:
    return sorted(DATA_DIR.glob("*.yaml"))


def load_builtin() -> list[dict[str, Any]]:
    """Every built-in definition; they are open instruments and carry their texts."""
    definitions = [load_file(p) for p in builtin_files()]
    for d in definitions:
        if d["licence"] != "open":
            raise InstrumentError(f"{d['key']}: only open instruments are built in; load licensed ones locally")
    return definitions


def checksum(definition: dict[str, Any]) -> str:
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class SyncSummary:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def lines(self) -> list[str]:
        return [
            f"created: {len(self.created)}" + (f" ({', '.join(self.created)})" if self.created else ""),
            f"updated: {len(self.updated)}" + (f" ({', '.join(self.updated)})" if self.updated else ""),
            f"unchanged: {len(self.unchanged)}" + (f" ({', '.join(self.unchanged)})" if self.unchanged else ""),
        ]


def sync_definition(
    definition: dict[str, Any],
    *,
    instrument_model: Any,
    version_model: Any,
    source: str,
    summary: SyncSummary | None = None,
    on_change: Callable[[Any, str], None] | None = None,
) -> SyncSummary:
    """Bring one (key, version) in line with its definition (see the module docstring). One transaction."""
    summary = summary if summary is not None else SyncSummary()
    label = f"{definition['key']} v{definition['version']}"
    digest = checksum(definition)
    now = timezone.now()
    with transaction.atomic():
        instrument = instrument_model.objects.select_for_update().filter(key=definition["key"]).first()
        header = {
            "name_nb": definition["name_nb"],
            "name_en": definition["name_en"],
            "licence": definition["licence"],
            "publisher": definition["publisher"],
        }
        if instrument is None:
            instrument = instrument_model.objects.create(key=definition["key"], updated_at=now, **header)
        existing = version_model.objects.filter(instrument=instrument, version=definition["version"]).first()
        if existing is not None and existing.checksum == digest:
            summary.unchanged.append(label)
            return summary
        if existing is not None:
            in_use = existing.assessments.count() if hasattr(existing, "assessments") else 0
            if in_use:
                raise InstrumentError(
                    f"{label} has changed, but {in_use} assessment(s) use it: give the changed file a new version"
                )
            existing.definition, existing.checksum, existing.source, existing.loaded_at = (
                definition,
                digest,
                source,
                now,
            )
            existing.save()
            summary.updated.append(label)
            what, row = "updated", existing
        else:
            row = version_model.objects.create(
                instrument=instrument,
                version=definition["version"],
                definition=definition,
                checksum=digest,
                source=source,
                loaded_at=now,
            )
            summary.created.append(label)
            what = "created"
        latest = version_model.objects.filter(instrument=instrument).order_by("-version").first()
        if latest is not None and latest.pk == row.pk:  # the instrument's names follow its newest version
            for name, value in header.items():
                setattr(instrument, name, value)
        instrument.updated_at = now
        instrument.save()
        if on_change:
            on_change(row, what)
    return summary
