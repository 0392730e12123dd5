"""Anonymising a case — a MINIMAL STAND-IN, REPLACED AT INTEGRATION.

Engineer C of issue 15 writes the real `case_anonymise` (deliverable 3: what evaluation needs survives, identity,
free text and the network's third parties go). This stand-in exists only so that the retention run
(`retention/run.py`, its one caller) and its tests can be built at the same time: it blanks the case's own free
text and its timeline's text. The retention run sets `Case.retention_state` itself after calling it.
"""

from __future__ import annotations

import datetime as dt

from utvei.cases.models import Case, Entry, EntryRevision


def case_anonymise(case: Case, *, at: dt.datetime) -> None:
    """Remove what a person could be recognised by from the case (stand-in: the case's and its entries' text)."""
    Case.objects.filter(pk=case.pk).update(closure_summary="", safety_plan="")
    EntryRevision.objects.filter(entry__case=case).update(title="", body="")
    Entry.objects.filter(case=case).update(title="", body="")
