"""Organisation administration: an organisation's administrator invites users, changes roles and periods,
deactivates memberships, resets a second factor and hands a leaving person's work to a colleague
(docs/administration.md). At the domain floor, because the handover moves cases, tasks, follow-ups and meeting
decisions."""
