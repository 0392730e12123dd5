"""Reading pages as a user does: following the links a page offers."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

OLDER = re.compile(r'<a href="(\?after=[^"#]+)#timeline" rel="next">')


def whole_timeline(client: Any, case: Any) -> tuple[Any, str]:
    """The case page (its first response) and the HTML of every page of its timeline, following «Older entries»."""
    first = client.get(f"/cases/{case.public_id}/")
    parts, body = [], first.content.decode()
    for _ in range(1000):
        parts.append(body)
        found = OLDER.search(body)
        if found is None or first.status_code != 200:
            break
        body = client.get(f"/cases/{case.public_id}/{html_lib.unescape(found.group(1))}").content.decode()
    return first, "\n".join(parts)
