"""PostgreSQL trigger that refuses UPDATE and DELETE on the audit table."""

FORWARD = """
CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_auditevent_no_change ON audit_auditevent;
CREATE TRIGGER audit_auditevent_no_change BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audit_auditevent_no_change ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_auditevent_append_only();
"""


# ---- The sealed log (0014): guards on the events, the checkpoints and the head, on both databases. -------------
# Every guard's name holds `_guard_`: a flush lifts them for its duration (core/backends), nothing else does.

GUARDED = ("audit_auditevent", "audit_auditcheckpoint")

PG_GUARDS = (
    """
DROP TRIGGER IF EXISTS audit_auditevent_no_change ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_auditevent_append_only();
CREATE OR REPLACE FUNCTION utvei_guard_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION utvei_guard_head_forward() RETURNS trigger AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.seq < OLD.seq OR (NEW.seq = OLD.seq AND NEW.hash <> OLD.hash) THEN
        RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' only moves forward';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""
    + "".join(
        f"""
CREATE TRIGGER {table}_guard_change BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION utvei_guard_append_only();
CREATE TRIGGER {table}_guard_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION utvei_guard_append_only();
"""
        for table in GUARDED
    )
    + """
CREATE TRIGGER audit_audithead_guard_forward BEFORE UPDATE ON audit_audithead
    FOR EACH ROW EXECUTE FUNCTION utvei_guard_head_forward();
CREATE TRIGGER audit_audithead_guard_delete BEFORE DELETE ON audit_audithead
    FOR EACH ROW EXECUTE FUNCTION utvei_guard_append_only();
CREATE TRIGGER audit_audithead_guard_truncate BEFORE TRUNCATE ON audit_audithead
    FOR EACH STATEMENT EXECUTE FUNCTION utvei_guard_append_only();
"""
)

PG_GUARDS_BACKWARD = (
    "".join(
        f"DROP TRIGGER IF EXISTS {table}_guard_{kind} ON {table};\n"
        for table in GUARDED
        for kind in ("change", "truncate")
    )
    + "".join(
        f"DROP TRIGGER IF EXISTS audit_audithead_guard_{kind} ON audit_audithead;\n"
        for kind in ("forward", "delete", "truncate")
    )
    + "DROP FUNCTION IF EXISTS utvei_guard_head_forward();\nDROP FUNCTION IF EXISTS utvei_guard_append_only();\n"
    + FORWARD
)

SQLITE_GUARDS = [
    *(
        f"CREATE TRIGGER {table}_guard_{kind} BEFORE {kind.upper()} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        for table in GUARDED
        for kind in ("update", "delete")
    ),
    "CREATE TRIGGER audit_audithead_guard_forward BEFORE UPDATE ON audit_audithead "
    "WHEN NEW.id <> OLD.id OR NEW.seq < OLD.seq OR (NEW.seq = OLD.seq AND NEW.hash <> OLD.hash) "
    "BEGIN SELECT RAISE(ABORT, 'audit_audithead only moves forward'); END",
    "CREATE TRIGGER audit_audithead_guard_delete BEFORE DELETE ON audit_audithead "
    "BEGIN SELECT RAISE(ABORT, 'audit_audithead is append-only'); END",
]

SQLITE_GUARD_NAMES = [
    *(f"{table}_guard_{kind}" for table in GUARDED for kind in ("update", "delete")),
    "audit_audithead_guard_forward",
    "audit_audithead_guard_delete",
]
