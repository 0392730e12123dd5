"""docs/processing.md, the record of processing (GDPR Art. 30), stays true to the code: every data category,
purpose and legal basis the code knows is named in it, and every file it points to exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from utvei.core.vocabulary import DataCategory
from utvei.sharing.models import Purpose

ROOT = Path(__file__).resolve().parents[2]
RECORD = ROOT / "docs" / "processing.md"
CATALOGUE = ROOT / "src" / "utvei" / "sharing" / "data" / "legal_bases.yaml"


@pytest.fixture(scope="module")
def record() -> str:
    return RECORD.read_text(encoding="utf-8")


@pytest.mark.parametrize("value", DataCategory.values)
def test_every_data_category_is_in_the_record(record, value):
    assert f"`{value}`" in record, f"DataCategory {value!r} is not described in docs/processing.md"


@pytest.mark.parametrize("value", Purpose.values)
def test_every_purpose_is_in_the_record(record, value):
    assert f"`{value}`" in record, f"Purpose {value!r} is not described in docs/processing.md"


def test_every_legal_basis_of_the_catalogue_is_in_the_record(record):
    keys = [entry["key"] for entry in yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))]
    missing = [k for k in keys if f"`{k}`" not in record]
    assert not missing, f"legal bases missing from docs/processing.md: {missing}"


def test_every_file_the_record_points_to_exists(record):
    paths = set(re.findall(r"`((?:src|tests|docs)/[^`\s]+)`", record))
    paths |= set(re.findall(r"\b(docs/[\w./-]+\.md)\b", record))
    assert paths, "the record points to no file"
    missing = sorted(p for p in paths if not (ROOT / p.rstrip("/")).exists())
    assert not missing, f"docs/processing.md points to files that do not exist: {missing}"


def test_the_record_covers_the_required_headings(record):
    for heading in (
        "Purposes",
        "Categories of personal data",
        "Data subjects",
        "Recipients",
        "Legal bases",
        "Retention",
        "Security measures",
        "Transfers",
        "DPIA",
    ):
        assert re.search(rf"^## \d+\. .*{heading}", record, re.M), heading
