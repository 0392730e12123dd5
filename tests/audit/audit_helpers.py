"""Audit test helpers: tampering with the log behind the trigger's back, and MFA for users who need it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import connection

AUDIT_TABLES = ("audit_auditevent", "audit_auditcheckpoint", "audit_audithead")


def sqlite_triggers(tables: tuple[str, ...] = AUDIT_TABLES) -> list[tuple[str, str]]:
    """(name, sql) of the triggers on the audit tables in SQLite."""
    with connection.cursor() as cur:
        cur.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        return [(name, sql) for name, table, sql in cur.fetchall() if table in tables]


def guard_names() -> set[str]:
    """The guard triggers on the audit tables, on either database."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND c.relname = ANY(%s)",
                [list(AUDIT_TABLES)],
            )
            return {name for (name,) in cur.fetchall()}
    return {name for name, _ in sqlite_triggers()}


@contextmanager
def trigger_disabled() -> Iterator[None]:
    """The audit tables refuse changes; an attacker with the owner's rights (DDL) switches that off first."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for table in AUDIT_TABLES:
                cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        try:
            yield
        finally:
            with connection.cursor() as cur:
                for table in AUDIT_TABLES:
                    cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        return
    triggers = sqlite_triggers()
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
