"""The database's own upkeep that the application asks for."""

from __future__ import annotations

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
