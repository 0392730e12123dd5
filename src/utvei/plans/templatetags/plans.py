"""`{% plan_section %}`: the «Individual plan» panel of the case page, from the page's own `ca`.

A tag rather than a line in the case page's view, so that the case page knows nothing about plans. It reads through
the plan selectors (which ask `access.plans`); the case page's `case.view` event covers the read.
"""

from __future__ import annotations

from typing import Any

from django import template

from ..views_plan import case_plan_context

register = template.Library()


@register.inclusion_tag("plans/_case_section.html", takes_context=True)
def plan_section(context: template.Context) -> dict[str, Any]:
    ca = context.get("ca")
    if ca is None:
        return {"show": False}
    return {
        "show": True,
        "ca": ca,
        "case": ca.case,
        "csrf_token": context.get("csrf_token"),
        **case_plan_context(ca),
    }
