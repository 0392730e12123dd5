"""The subject-access export as a readable document, in bokmål or English: HTML, and PDF rendered from the same
HTML with no network access (core/pdf.py). The JSON is `export.as_json`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from utvei.core.pdf import render_pdf

from .export import NOT_IN_EXPORT, Export

LANGUAGES = ("nb", "en")
HIDDEN_FIELDS = frozenset({"content_base64"})  # a file's content travels in the JSON only


@dataclass
class Row:
    label: str
    value: str


@dataclass
class Shown:
    kind: str
    kind_label: str
    id: str
    rows: list[Row]


def kind_label(kind: str) -> str:
    try:
        return str(apps.get_model(kind)._meta.verbose_name).capitalize()
    except LookupError:
        return kind


def _value(field: Any) -> str:
    value = field.display if field.display not in (None, "") else field.value
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "–"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "–"
    return str(value)


def _context(export: Export) -> dict[str, Any]:
    sections = []
    for s in export.sections:
        shown = [
            Shown(
                i.kind,
                kind_label(i.kind),
                i.id,
                [Row(str(f.label), _value(f)) for f in i.fields if f.name not in HIDDEN_FIELDS],
            )
            for i in s.items
        ]
        sections.append({"key": s.key, "title": str(s.title), "items": shown})
    withheld = [
        {
            "kind": kind_label(w.kind),
            "field": w.field,
            "count": w.count,
            "rule": w.rule,
            "statute": str(w.statute),
            "explanation": str(w.explanation),
        }
        for w in export.withheld
    ]
    not_included = [{"kind": kind_label(k), "why": str(v)} for k, v in sorted(NOT_IN_EXPORT.items())]
    return {
        "export": export,
        "person": export.person,
        "request": export.request,
        "sections": sections,
        "log": export.access_log,
        "withheld": withheld,
        "not_included": not_included,
    }


def as_html(export: Export, *, language: str) -> str:
    """The whole document as one HTML page in the language (bokmål or English)."""
    if language not in LANGUAGES:
        raise ValueError(language)
    with translation.override(language):
        return render_to_string("retention/subject_access_document.html", _context(export))


def as_pdf(export: Export, *, language: str) -> bytes:
    return render_pdf(as_html(export, language=language))
