"""SQLite, whose flush drops the guard triggers before its DELETEs and creates them again after (backends/__init__)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.backends.sqlite3 import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(
        self, style: Any, tables: Sequence[str], *, reset_sequences: bool = False, allow_cascade: bool = False
    ) -> list[str]:
        statements = super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        if not statements:
            return statements
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' AND name GLOB '*_guard_*'"
            )
            guards = [(name, sql) for name, table, sql in cursor.fetchall() if table in tables]
        drop = [f'DROP TRIGGER "{name}";' for name, _ in guards]
        return [*drop, *statements, *(f"{sql};" for _, sql in guards)]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
