"""The points in the case's life where apps above `cases` take part (`core.hooks`): sent by `cases.services`
inside the write's transaction, connected by those apps in their `AppConfig.ready`."""

from __future__ import annotations

from utvei.core.hooks import Hook

# The case went to follow-up: its measures ended on `ended`. Sent with actor, case, ended.
MEASURES_ENDED = Hook("case.measures_ended")
# The case was closed from `from_phase` with `reason`. Sent with actor, case, from_phase, reason.
CLOSED = Hook("case.closed")
# The case's motivation stage changed to `stage`. Sent with actor, case, stage.
MOTIVATION_STAGE_CHANGED = Hook("case.motivation_stage_changed")
# May the closed case be anonymised today? Sent with case, today; a handler returns a code of what must come first
# (e.g. "follow_ups_ahead"), or None. Sent by retention.anonymise before anything is changed.
ANONYMISE_CHECK = Hook("case.anonymise_check")

# The case page asks apps above `cases` for panels of their own (retention: the «Sperret» banner, legal holds). Sent
# with ca (the request's CaseAccess); a handler returns None or a dict with `template` and what the template reads.
CASE_PAGE = Hook("case.page")
