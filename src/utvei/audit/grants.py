"""The PostgreSQL rights of the application's runtime role (docs/audit.md).

Two roles: the owner, which runs the migrations and owns every table (and so could lift the guards), and the runtime
role the web workers and the worker connect as, which may read and write the application's tables but may neither
change nor empty the audit log, nor move its head back, nor alter any table (only an owner may disable a trigger).
"""

from __future__ import annotations

from django.db import connection

# What the runtime role may not do to the audit tables, on top of not owning them.
REVOKED = {
    "audit_auditevent": "UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER",
    "audit_auditcheckpoint": "UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER",
    "audit_audithead": "DELETE, TRUNCATE, REFERENCES, TRIGGER",  # UPDATE: the head moves forward (a guard sees to it)
}


def runtime_grants(role: str) -> str:
    """The SQL that gives `role` the rights of the runtime role on this database; run it as the owner after every
    migration (new tables get no rights of their own)."""
    qn = connection.ops.quote_name
    r = qn(role)
    lines = [
        f"-- The runtime role {role}: reads and writes Utvei's tables; appends to the audit log and nothing more.",
        f"GRANT CONNECT ON DATABASE {qn(connection.settings_dict['NAME'])} TO {r};",
        f"GRANT USAGE ON SCHEMA public TO {r};",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r};",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r};",
        *(f"REVOKE {rights} ON {qn(table)} FROM {r};" for table, rights in REVOKED.items()),
    ]
    return "\n".join(lines) + "\n"
