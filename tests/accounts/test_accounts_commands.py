"""`utvei createorg` and `utvei createuser`: the way organisations and users come into being."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from utvei.accounts.models import Membership, Organisation, User
from utvei.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db

GOOD = "a long and unusual passphrase"


@pytest.fixture(autouse=True)
def _default_language():
    """The commands speak the site's language (bokmål) when nothing else is asked for, as on a console."""
    translation.deactivate()


def run(*args: str, stdin: str | None = None, monkeypatch=None) -> str:
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def org(db):
    run("createorg", "--slug", "testby", "--name", "Testby kommune", "--kind", "municipality")
    return Organisation.objects.get(slug="testby")


def test_createorg_creates_and_audits(org):
    assert org.name == "Testby kommune"
    assert org.kind == "municipality"
    event = AuditEvent.objects.get(action=Action.ORG_CREATE)
    assert event.object_id == "testby"


def test_createorg_with_jurisdiction(db):
    run("createorg", "--slug", "oslo-pd", "--name", "Oslo politidistrikt", "--kind", "police", "--jurisdiction", "Oslo")
    assert Organisation.objects.get(slug="oslo-pd").jurisdiction == "Oslo"


def test_createorg_refuses_an_unknown_kind(db):
    with pytest.raises(CommandError, match="kind"):
        run("createorg", "--slug", "x", "--name", "X", "--kind", "club")
    assert not Organisation.objects.exists()


def test_createorg_refuses_a_bad_slug(db):
    with pytest.raises(CommandError, match="Kortnavnet"):  # commands answer in bokmål
        run("createorg", "--slug", "Not A Slug", "--name", "X", "--kind", "ngo")


def test_createorg_refuses_a_duplicate(org):
    with pytest.raises(CommandError, match="finnes allerede"):
        run("createorg", "--slug", "testby", "--name", "Again", "--kind", "municipality")


def test_createuser_takes_the_password_from_the_environment(org, monkeypatch):
    monkeypatch.setenv("UTVEI_PASSWORD", GOOD)
    out = run("createuser", "--username", "kari", "--org", "testby", "--role", "coordinator")
    assert "kari is coordinator in testby" in out
    assert authenticate(username="kari", password=GOOD) is not None
    m = Membership.objects.get(user__username="kari")
    assert (m.organisation, m.role) == (org, "coordinator")
    assert AuditEvent.objects.filter(action=Action.MEMBERSHIP_CREATE, object_id=str(m.pk)).count() == 1


def test_createuser_reads_the_password_from_stdin(org, monkeypatch):
    monkeypatch.delenv("UTVEI_PASSWORD", raising=False)
    run(
        "createuser",
        "--username",
        "ola",
        "--org",
        "testby",
        "--role",
        "caseworker",
        stdin=GOOD + "\n",
        monkeypatch=monkeypatch,
    )
    assert authenticate(username="ola", password=GOOD) is not None


def test_the_password_is_not_echoed(org, monkeypatch):
    monkeypatch.setenv("UTVEI_PASSWORD", GOOD)
    out = run("createuser", "--username", "kari", "--org", "testby", "--role", "coordinator")
    assert GOOD not in out


def test_createuser_adds_a_membership_to_an_existing_user(org, monkeypatch):
    monkeypatch.setenv("UTVEI_PASSWORD", GOOD)
    run("createorg", "--slug", "politi", "--name", "Politiet", "--kind", "police")
    run("createuser", "--username", "kari", "--org", "testby", "--role", "coordinator")
    run("createuser", "--username", "kari", "--org", "politi", "--role", "caseworker")
    assert User.objects.filter(username="kari").count() == 1
    assert Membership.objects.filter(user__username="kari").count() == 2


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--role", "superuser"], "role"),
        (["--role", ""], "role"),
    ],
)
def test_createuser_refuses_an_unknown_role(org, monkeypatch, args, match):
    monkeypatch.setenv("UTVEI_PASSWORD", GOOD)
    with pytest.raises(CommandError, match=match):
        run("createuser", "--username", "x", "--org", "testby", *args)
    assert not User.objects.filter(username="x").exists()


def test_createuser_refuses_an_unknown_organisation(org, monkeypatch):
    monkeypatch.setenv("UTVEI_PASSWORD", GOOD)
    with pytest.raises(CommandError, match="ingen organisasjon"):
        run("createuser", "--username", "x", "--org", "nowhere", "--role", "reporter")


def test_createuser_refuses_an_empty_password(org, monkeypatch):
    monkeypatch.delenv("UTVEI_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="password"):
        run(
            "createuser",
            "--username",
            "x",
            "--org",
            "testby",
            "--role",
            "reporter",
            stdin="\n",
            monkeypatch=monkeypatch,
        )
    assert not User.objects.filter(username="x").exists()


def test_createuser_refuses_a_weak_password(org, monkeypatch):
    monkeypatch.setenv("UTVEI_PASSWORD", "password")
    with pytest.raises(CommandError):
        run("createuser", "--username", "x", "--org", "testby", "--role", "reporter")
    assert not User.objects.filter(username="x").exists()
