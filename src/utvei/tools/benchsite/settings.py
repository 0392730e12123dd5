"""Settings of the bench server: production's (utvei.settings), with the bench URLs and one bench-only switch.

UTVEI_BENCH_AUDIT_WRITE=0 in the environment turns the audit write into a no-op in this server (see apps.py, the
one place that reads it), so the bench can measure what the audit write costs. Production never loads this module.
"""

from __future__ import annotations

import os

from utvei.settings import *  # noqa: F403
from utvei.settings import INSTALLED_APPS

ROOT_URLCONF = "utvei.tools.benchsite.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "utvei.tools.benchsite"]

# True (the default): every page appends its audit events as in production. False: nothing is appended.
UTVEI_BENCH_AUDIT_WRITE = os.environ.get("UTVEI_BENCH_AUDIT_WRITE", "1").strip().lower() not in {"0", "false", "no"}
