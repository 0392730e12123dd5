"""Why a reader could read: the one place oversight uses the rules of the person's own access log
(`access.participant`: which actions are reads, and the basis of each read). Kept in one module so that moving
that log's core elsewhere changes one import here."""

from __future__ import annotations

from utvei.access.participant import LOG_READS, log_basis

# The reads of a case's data by staff (the person reading their own page is not staff reading theirs).
READS = frozenset(LOG_READS - {"participant.view"})

__all__ = ["READS", "log_basis"]
