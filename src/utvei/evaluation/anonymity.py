"""What anonymising a case does to the evidence engine's records (`core.anonymity`; docs/anonymisation.md).

Registered in `EvaluationConfig.ready`, so that retention, on the same floor, anonymises them without importing
this app. Everything the figures read stays: the indicator, occasion, value and source of each measurement, the kind
and source of each outcome event, the status and reason of each follow-up; their dates move back with the rest of
the case, so every interval the figures compute is unchanged. Only the notes go.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from utvei.core.anonymity import CATEGORY, FIGURE, Policy

from .models import FollowUp, FollowUpStatus, Measurement, OutcomeEvent

FOLLOW_UPS_AHEAD = "follow_ups_ahead"


def follow_ups_ahead(*, case: Any, today: dt.date, **kw: Any) -> str | None:
    """A case with a follow-up still pending and not yet due waits (`cases.hooks.ANONYMISE_CHECK`): once the
    identity is gone nobody can hold it, and its due date, moved back with the case's, would make it overdue
    early — the follow-up figures would change."""
    pending = FollowUp.objects.filter(case=case, status=FollowUpStatus.PENDING, due_on__gte=today)
    return FOLLOW_UPS_AHEAD if pending.exists() else None


POLICIES: tuple[Policy, ...] = (
    Policy(
        FollowUp,
        "case",
        "keep",
        "follow-ups by state, and the last day the person was followed (time to re-engagement)",
        kept={"status": FIGURE, "missed_reason": FIGURE},
        blank=frozenset({"note"}),
    ),
    Policy(
        Measurement,
        "case",
        "keep",
        "indicator values at occasions: change from baseline",
        kept={
            "occasion": FIGURE,
            "source": FIGURE + " (worker or self-report)",
            "category": CATEGORY,
            "classification": CATEGORY,
        },
        blank=frozenset({"note"}),
    ),
    Policy(
        OutcomeEvent,
        "case",
        "keep",
        "outcome events: re-engagement after closure, outcomes by measure",
        kept={"kind": FIGURE, "source": FIGURE, "category": CATEGORY, "classification": CATEGORY},
        blank=frozenset({"note"}),
    ),
)
