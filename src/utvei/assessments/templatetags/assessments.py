"""`{% assessment_section %}`: the Assessments panel of the case page, from the page's own `ca`.

A tag rather than a line in the case page's view, so that the case page knows nothing about assessments. It
reads through the selectors (which ask the access policy); the case page's `case.view` event covers the read.
"""

from __future__ import annotations

from typing import Any

from django import template

from utvei.access import assessments as access
from utvei.cases.models import Phase

from .. import selectors

register = template.Library()


@register.inclusion_tag("assessments/_case_section.html", takes_context=True)
def assessment_section(context: template.Context) -> dict[str, Any]:
    ca = context.get("ca")
    if ca is None or not ca.full:  # mentors do not see assessments, nor that there are any
        return {"show": False}
    rows = selectors.case_assessments(ca)
    skips = selectors.case_skips(ca)
    has_final = any(r.assessment.is_final for r in rows)
    in_assessment = ca.case.phase == Phase.ASSESSMENT
    return {
        "show": True,
        "case": ca.case,
        "rows": rows,
        "skips": skips,
        "may_create": bool(access.may_create(ca)),
        "needs_reason": in_assessment and not has_final and not skips,
        "may_skip": in_assessment and not has_final and bool(access.may_record_skip(ca.membership, ca)),
    }
