"""`{% network_section %}`: the «Network» panel of the case page, from the page's own `ca`.

A tag rather than a line in the case page's view, so that the case page knows nothing about the network. It reads
through the network selectors (which ask `access.network`); the case page's `case.view` event covers the read.
"""

from __future__ import annotations

from typing import Any

from django import template

from ..views import case_network_context

register = template.Library()


@register.inclusion_tag("network/_case_section.html", takes_context=True)
def network_section(context: template.Context) -> dict[str, Any]:
    ca = context.get("ca")
    if ca is None:
        return {"show": False}
    return {"show": True, "ca": ca, "case": ca.case, **case_network_context(ca)}
