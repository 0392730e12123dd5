"""The precondition cases.workflow asks of assessment -> planning."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from utvei.cases.models import Case

from .models import Assessment, AssessmentSkip, AssessmentStatus


def planning_blocker(case: Case) -> str | None:
    """Planning builds on a final assessment of the case, or on a coordinator's recorded reason why there is none.

    Any final assessment counts, also one the coordinator may not read (they see that it exists). Nothing in
    it is read: only that a person has finished it.
    """
    if Assessment.objects.filter(case=case, status=AssessmentStatus.FINAL).exists():
        return None
    if AssessmentSkip.objects.filter(case=case).exists():
        return None
    return str(
        _(
            "Planning needs a final assessment. Finalise one, or record why planning starts without one "
            "(under Assessments on the case page)."
        )
    )
