"""The indicator catalogue: the data file is valid, syncing is idempotent, a changed entry gets a new version, and
a broken file is refused with a message naming the entry."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from utvei.evaluation.catalogue import DATA_FILE, CatalogueError, clean_entry, load_entries
from utvei.evaluation.models import Indicator, IndicatorRevision


def test_the_data_file_is_valid_and_bilingual():
    entries = load_entries()
    assert 15 <= len(entries) <= 22
    for e in entries:
        assert e["name_nb"] and e["name_en"] and e["description_nb"] and e["description_en"]


def test_sync_is_idempotent_and_versions_a_change(db, tmp_path: Path):
    out = StringIO()
    call_command("indicators", "sync", stdout=out)
    assert "nothing to change" in out.getvalue()
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    data[0]["name_en"] = "Contact with the extremist milieu (revised)"
    changed = tmp_path / "indicators.yaml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    call_command("indicators", "sync", "--file", str(changed), stdout=StringIO())
    row = Indicator.objects.get(key=data[0]["key"])
    assert row.version == 2 and row.name_en.endswith("(revised)")
    assert IndicatorRevision.objects.filter(indicator=row).count() == 2
    listing = StringIO()
    call_command("indicators", "list", stdout=listing)
    assert f"{row.key} v2" in listing.getvalue()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"direction": "sideways"}, "direction"),
        ({"min": 3, "max": 1}, "min and max"),
        ({"category": "secrets"}, "category"),
        ({"levels": [{"value": 0, "nb": "x", "en": "y"}]}, "ordinal"),
        ({"sources": []}, "sources"),
    ],
)
def test_a_broken_entry_is_refused(db, change, message, tmp_path: Path):
    entry = dict(yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))[0]) | change
    with pytest.raises(CatalogueError, match=message):
        clean_entry(entry)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump([entry], allow_unicode=True), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("indicators", "sync", "--file", str(bad), stdout=StringIO())
