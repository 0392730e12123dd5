"""PostgreSQL, whose flush disables the guard triggers around its TRUNCATE (backends/__init__)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(
        self, style: Any, tables: Sequence[str], *, reset_sequences: bool = False, allow_cascade: bool = False
    ) -> list[str]:
        statements = super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        if not statements:
            return statements
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgname LIKE '%%\\_guard\\_%%' AND c.relname = ANY(%s)",
                [list(tables)],
            )
            guarded = [self.quote_name(name) for (name,) in cursor.fetchall()]
        before = [f"ALTER TABLE {name} DISABLE TRIGGER USER;" for name in guarded]
        after = [f"ALTER TABLE {name} ENABLE TRIGGER USER;" for name in guarded]
        return [*before, *statements, *after]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
