"""`{% meeting_section %}`: the «Meetings» panel of the case page, from the page's own `ca`.

A tag rather than a line in the case page's view, so that the case page knows nothing about meetings. It reads
through the meeting selectors (which ask `access.meetings`); the case page's `case.view` event covers the read.
"""

from __future__ import annotations

from typing import Any

from django import template

from ..views import case_meeting_context

register = template.Library()


@register.inclusion_tag("meetings/_case_section.html", takes_context=True)
def meeting_section(context: template.Context) -> dict[str, Any]:
    ca = context.get("ca")
    if ca is None:
        return {"show": False}
    return {
        "show": True,
        "ca": ca,
        "case": ca.case,
        "csrf_token": context.get("csrf_token"),
        **case_meeting_context(ca),
    }
