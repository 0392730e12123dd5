"""The bokmål catalogs are complete and compiled: no English string left in a Norwegian page by accident.

`scripts/messages.sh` regenerates them from the sources; these tests catch a catalog that was edited and not
compiled, or a fuzzy or empty translation that was committed."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "utvei"
CATALOGS = [SRC / "locale/nb/LC_MESSAGES/django.po", SRC / "api/locale/nb/LC_MESSAGES/django.po"]


def _entries(po: Path) -> list[tuple[str, str, str, bool, str]]:
    """(msgctxt, msgid, msgstr, fuzzy, msgid_plural) for every entry but the header; a plural entry gives its
    first form."""
    entries = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith("#~")]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields: dict[str, str] = {}
        key = ""
        for line in lines:
            if line.startswith("#"):
                continue
            m = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[0\])?|msgstr\[\d+\]) (".*")$', line)
            if m:
                key = m.group(1)
                fields[key] = ast.literal_eval(m.group(2))
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        if fields.get("msgid"):
            text = fields.get("msgstr", fields.get("msgstr[0]", ""))
            entries.append((fields.get("msgctxt", ""), fields["msgid"], text, fuzzy, fields.get("msgid_plural", "")))
    return entries


@pytest.mark.parametrize("po", CATALOGS, ids=["utvei", "api"])
def test_every_message_is_translated_and_none_is_fuzzy(po: Path) -> None:
    entries = _entries(po)
    assert len(entries) > 100
    assert [e[1] for e in entries if e[3]] == []
    assert [e[1] for e in entries if not e[2].strip()] == []


@pytest.mark.parametrize("po", CATALOGS, ids=["utvei", "api"])
def test_the_compiled_catalog_says_what_the_source_says(po: Path) -> None:
    with po.with_suffix(".mo").open("rb") as f:
        mo = gettext.GNUTranslations(f)
    for ctxt, msgid, msgstr, _fuzzy, plural in _entries(po):
        if plural:
            got = mo.npgettext(ctxt, msgid, plural, 1) if ctxt else mo.ngettext(msgid, plural, 1)
        else:
            got = mo.pgettext(ctxt, msgid) if ctxt else mo.gettext(msgid)
        assert got == msgstr, f"{po.name}: {msgid!r} is not compiled: run scripts/messages.sh"
