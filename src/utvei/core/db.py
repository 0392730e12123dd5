"""The database's own upkeep that the application asks for."""

from __future__ import annotations

from django.db import connection


def refresh_statistics() -> None:
    """Give SQLite's query planner fresh table statistics (a bounded ANALYZE, some milliseconds at 100,000 cases).

    Without them SQLite guesses, and may walk an index on status and date for the overdue list instead of the one
    on the case. PostgreSQL keeps its statistics itself (autovacuum); there this does nothing. Called after
    migrations, after `utvei synth` and by the background worker's pass.
    """
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit=1000")
        cursor.execute("ANALYZE")
