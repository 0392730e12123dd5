"""The database's own upkeep that the application asks for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection


def refresh_statistics(*, bulk: bool = False) -> None:
    """Give the query planner fresh table statistics.

    SQLite gathers none itself: a bounded ANALYZE (some milliseconds at 100,000 cases), after migrations and after
    a bulk load. Without them it may walk an index on status and date for the overdue list instead of the one on
    the case. PostgreSQL's autovacuum gathers them in its own time, which after a bulk load (`bulk=True`: `utvei
    synth`) is too late: a plain ANALYZE then (seconds at 100,000 persons; the dashboard took 111 s on a
    just-loaded database without it, 0.1 s with it).
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("ANALYZE")
        elif connection.vendor == "postgresql" and bulk:
            cursor.execute("ANALYZE")


def insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert rows of driver values (what each field's get_db_prep_save gives) into `table`, at once: PostgreSQL
    with COPY (one stream; an INSERT each, even pipelined, waits on the server), elsewhere with one prepared INSERT
    run for every row (executemany). For bulk loads that bypass the ORM's model instances (`utvei synth`'s bulk
    writer, audit.services.audit_record_bulk)."""
    if not rows:
        return
    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {qn(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {qn(table)} ({names}) VALUES ({marks})", rows)  # noqa: S608
