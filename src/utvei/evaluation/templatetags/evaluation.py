"""`{% outcomes_section %}`: the «Outcomes and follow-up» panel of the case page, from the page's own `ca`."""

from __future__ import annotations

from typing import Any

from django import template

from ..views import case_outcomes_context

register = template.Library()


@register.inclusion_tag("evaluation/_case_section.html", takes_context=True)
def outcomes_section(context: template.Context) -> dict[str, Any]:
    ca = context.get("ca")
    if ca is None or not ca.full:
        return {"show": False}
    return {"show": True, "ca": ca, "case": ca.case, **case_outcomes_context(ca)}


@register.filter
def level(measurement: Any) -> str:
    """A measurement's value in its indicator's words."""
    return str(measurement.indicator.level_label(measurement.value))
