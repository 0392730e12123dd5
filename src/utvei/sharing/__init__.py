"""Sharing across organisations (one Django app, label `sharing`), in folders by subject.

- `consent/`: consents and disclosures of a case, the catalogue of legal bases as read and edited by users, and
  the printable consent and withdrawal forms.
- `referrals/`: referrals and transfers of a case to another organisation (builds on `consent/`: a referral on a
  legal basis is recorded as a disclosure).
- `emergency/`: emergency access (break-the-glass) and the data protection officer's review of it.

Outside the folders: `models.py`, `catalogue.py` (the data file of legal bases and its sync), `views.py` (the
pages that span the subjects: the catalogue and a case's sharing page), `notifications.py` (the user's
notification list, /me/notifications/), `urls.py`, `migrations/`, `management/`, `templates/`. Who may do what is
decided in `utvei.access` (`access/sharing.py`), not here.

Imports go one way: `referrals` → `consent` → the shared `models.py` and `catalogue.py`; `emergency` → `models.py`;
`views.py`, `notifications.py` and `urls.py` → the sub-packages, never back.
"""
