"""Database backends: Django's own, with one change — a flush (the test suite's reset, the bench's scratch database)
lifts the guard triggers that keep the audit tables append-only for its duration and puts them back after.

Guards are the triggers whose name holds `_guard_` (audit/migrations_sql.py). Lifting them needs the rights of the
tables' owner (PostgreSQL: ALTER TABLE … DISABLE TRIGGER; SQLite: DROP/CREATE TRIGGER), which the application's
runtime role does not have (docs/audit.md); for it a flush fails, as it should.
"""
