"""The evaluation's part of a subject-access export (docs/subject-access.md): the follow-ups, measurements and
outcome events of the person's cases. Connected to `cases.subject_access.SECTIONS` in `apps.py`, since the export
(retention) may not import this app; what is withheld is decided for every app alike (`Section.add`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from utvei.cases.subject_access import Ledger, Section

from .models import FollowUp, Measurement, OutcomeEvent

# The models this part gives (the completeness test holds the export to them).
MODELS = ("evaluation.FollowUp", "evaluation.Measurement", "evaluation.OutcomeEvent")


def section(*, person: Any, cases: list[Any], ledger: Ledger, **_kw: Any) -> Section:
    out = Section("evaluation", _("Follow-ups, measurements and outcomes"), ledger)
    ids = [c.pk for c in cases]
    out.add_all(FollowUp.objects.filter(case_id__in=ids).select_related("case").order_by("due_on", "pk"))
    out.add_all(
        Measurement.objects.filter(case_id__in=ids)
        .select_related("case", "indicator", "follow_up")
        .order_by("measured_on", "pk")
    )
    out.add_all(
        OutcomeEvent.objects.filter(case_id__in=ids).select_related("case", "follow_up").order_by("occurred_on", "pk")
    )
    return out
