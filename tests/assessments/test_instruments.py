"""Instrument files: the format's checks, syncing, versions that never change under an assessment, a licensed
instrument loaded from a local file by its item codes, the command and the API."""

from __future__ import annotations

import copy
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import CommandError, call_command

from utvei.assessments import instruments, services
from utvei.assessments.models import Instrument, InstrumentVersion
from utvei.audit.models import Action

from .helpers import case_in_assessment, events_since, seq

FAKE = Path(__file__).parent / "data" / "fake-licensed.yaml"


def builtin() -> dict[str, Any]:
    return yaml.safe_load((instruments.DATA_DIR / "utvei-open-v1.yaml").read_text(encoding="utf-8"))


def test_the_builtin_files_are_valid_and_open():
    definitions = instruments.load_builtin()
    assert [d["key"] for d in definitions] == ["utvei-open"]
    d = definitions[0]
    assert all(i["text_nb"] and i["text_en"] for dom in d["domains"] for i in dom["items"])


def _broken(change) -> dict[str, Any]:
    raw = copy.deepcopy(builtin())
    change(raw)
    return raw


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["scale"].pop(), "must include «unknown»"),
        (lambda r: r.update(version=0), "version"),
        (lambda r: r.update(licence="secret"), "licence"),
        (lambda r: r.update(key="Not A Slug"), "key"),
        (lambda r: r.update(extra=1), "unknown fields"),
        (lambda r: r["domains"][0]["items"][0].update(type="danger"), "type must be"),
        (lambda r: r["domains"][0]["items"][0].update(code="IB2"), "duplicate item codes"),
        (lambda r: r["domains"][0]["items"][0].pop("text_en"), "text_en is required"),
        (lambda r: r["domains"][1].update(code="ideology"), "domain codes"),
        (lambda r: r["domains"][1].update(code="summary"), "reserved"),
        (lambda r: r["domains"][0].update(items=[]), "items must list"),
        (lambda r: r["scale"].append({"code": "unknown", "label_nb": "x", "label_en": "x"}), "distinct"),
    ],
)
def test_invalid_definitions_are_refused_with_a_message(change, message):
    with pytest.raises(instruments.InstrumentError) as exc:
        instruments.clean_definition(_broken(change))
    assert message in str(exc.value)


def test_a_licensed_definition_may_name_items_by_code_only():
    d = instruments.load_file(FAKE, require_texts=False)
    assert d["licence"] == "licensed"
    assert [i["code"] for dom in d["domains"] for i in dom["items"]] == ["ZZ1", "ZZ2", "YY1"]
    with pytest.raises(instruments.InstrumentError):
        instruments.load_file(FAKE, require_texts=True)


def test_syncing_is_idempotent(db):
    assert not services.instruments_sync().changed
    assert InstrumentVersion.objects.filter(instrument__key="utvei-open").count() == 1


def test_loading_a_local_licensed_file_and_using_it(world):
    n = seq()
    summary = services.instrument_load(path=FAKE)
    assert summary.created == ["fake-licensed v1"]
    assert [(e.action, e.object_id) for e in events_since(n)] == [(Action.INSTRUMENT_LOAD, "fake-licensed@1")]
    version = InstrumentVersion.objects.get(instrument__key="fake-licensed")
    assert version.source == "local-file" and version.instrument.licence == "licensed"
    case = case_in_assessment(world)
    a = services.assessment_create(actor=world.m["ola"], case=case, instrument_key="fake-licensed")
    assert list(a.items.values_list("code", flat=True)) == ["ZZ1", "ZZ2", "YY1"]
    assert not services.instrument_load(path=FAKE).changed


def test_a_version_in_use_never_changes(world, tmp_path):
    services.instrument_load(path=FAKE)
    raw = yaml.safe_load(FAKE.read_text())
    raw["name_en"] = "Renamed while unused"
    changed = tmp_path / "fake.yaml"
    changed.write_text(yaml.safe_dump(raw))
    assert services.instrument_load(path=changed).updated == ["fake-licensed v1"]  # unused: updated in place
    case = case_in_assessment(world)
    services.assessment_create(actor=world.m["ola"], case=case, instrument_key="fake-licensed")
    raw["domains"][0]["items"].pop()
    changed.write_text(yaml.safe_dump(raw))
    with pytest.raises(instruments.InstrumentError) as exc:
        services.instrument_load(path=changed)
    assert "new version" in str(exc.value)
    raw["version"] = 2
    changed.write_text(yaml.safe_dump(raw))
    assert services.instrument_load(path=changed).created == ["fake-licensed v2"]
    assert Instrument.objects.get(key="fake-licensed").versions.count() == 2


def test_the_command(db, tmp_path):
    out = StringIO()
    call_command("instruments", "sync", stdout=out)
    assert "OK: nothing to change" in out.getvalue()
    out = StringIO()
    call_command("instruments", "load", str(FAKE), stdout=out)
    assert "created: 1" in out.getvalue()
    out = StringIO()
    call_command("instruments", "list", stdout=out)
    assert "fake-licensed\tlicensed" in out.getvalue() and "utvei-open\topen" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("instruments", "load")
    with pytest.raises(CommandError):
        call_command("instruments", "load", str(tmp_path / "missing.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("key: [unclosed")
    with pytest.raises(CommandError):
        call_command("instruments", "load", str(bad))


def test_the_api_lists_instruments_and_shows_one(world):
    services.instrument_load(path=FAKE)
    api = world.api("mona")  # not case data: any membership reads it
    r = api.get("/api/v1/instruments/")
    assert r.status_code == 200
    keys = [i["key"] for i in r.json()["results"]]
    assert keys == ["fake-licensed", "utvei-open"]
    r = api.get("/api/v1/instruments/utvei-open/", HTTP_ACCEPT_LANGUAGE="en")
    data = r.json()
    assert r.status_code == 200 and data["version"] == 1 and data["licence"] == "open"
    assert [s["code"] for s in data["scale"]][-1] == "unknown"
    assert data["domains"][0]["name"] == "Ideology and beliefs"
    assert data["domains"][0]["items"][0]["code"] == "IB1"
    assert api.get("/api/v1/instruments/utvei-open/", {"version": 9}).status_code == 404
    assert api.get("/api/v1/instruments/utvei-open/", {"version": "x"}).status_code == 400
    assert api.get("/api/v1/instruments/nope/").status_code == 404
    assert world.api("dina").get("/api/v1/instruments/").status_code == 200
    from django.test import Client

    assert Client().get("/api/v1/instruments/").status_code == 401
