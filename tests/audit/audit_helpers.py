"""Audit test helpers: tampering with the log behind the trigger's back, and MFA for users who need it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import connection

TRIGGER = "audit_auditevent_no_change"


def sqlite_triggers() -> list[tuple[str, str]]:
    """(name, sql) of the triggers on the audit table in SQLite, should a migration add any."""
    with connection.cursor() as cur:
        cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_auditevent'")
        return [(name, sql) for name, sql in cur.fetchall()]


def has_append_only_trigger() -> bool:
    if connection.vendor == "postgresql":
        return True
    return connection.vendor == "sqlite" and bool(sqlite_triggers())


@contextmanager
def trigger_disabled() -> Iterator[None]:
    """The table refuses UPDATE and DELETE; an attacker with DDL rights switches that off first."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {TRIGGER}")
        try:
            yield
        finally:
            with connection.cursor() as cur:
                cur.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {TRIGGER}")
        return
    triggers = sqlite_triggers() if connection.vendor == "sqlite" else []
    with connection.cursor() as cur:
        for name, _ in triggers:
            cur.execute(f'DROP TRIGGER "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cur:
            for _, sql in triggers:
                cur.execute(sql)


def give_mfa(user: Any) -> str:
    """Activate a TOTP authenticator for the user; returns the secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret
