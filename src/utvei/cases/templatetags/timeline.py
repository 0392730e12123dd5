"""`{{ entry.body|excerpt }}`: the start of a long entry, for the timeline to fold the rest behind «Show more».

It shortens only text the template already shows (a readable entry's body); a restricted marker has none.
"""

from __future__ import annotations

from django import template

register = template.Library()

FOLD_CHARS = 700  # an entry longer than this, or of more lines, is folded on the timeline
FOLD_LINES = 10
EXCERPT_CHARS = 400
EXCERPT_LINES = 6


@register.filter
def excerpt(text: str | None) -> str:
    """The first lines of a long text, cut at a word, with «…»; empty when the text is short enough to show whole."""
    text = (text or "").strip()
    lines = text.splitlines()
    if len(text) <= FOLD_CHARS and len(lines) <= FOLD_LINES:
        return ""
    head = "\n".join(lines[:EXCERPT_LINES]).rstrip()
    if len(head) > EXCERPT_CHARS:
        cut = head[:EXCERPT_CHARS]
        space = cut.rfind(" ")
        head = cut[:space] if space > EXCERPT_CHARS // 2 else cut
    return head.rstrip(" ,.;:\n") + " …"
