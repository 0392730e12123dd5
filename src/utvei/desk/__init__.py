"""The user's desk: the start page (dashboard), what needs attention across the cases the user leads — overdue
tasks, plan reviews, reassessments, follow-ups (`overdue.py`) — the reminder pass that tells them by notification
and e-mail (`reminders.py`, `utvei reminders`), and the notification list.

It reads every domain app (cases, plans, assessments, evaluation, sharing), so it sits on the floor above them and
below `api` (docs/architecture.md): no domain app imports it."""
