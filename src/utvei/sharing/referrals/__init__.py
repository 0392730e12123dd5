"""Referrals and transfers of a case between organisations (docs/referrals.md).

`services.py` holds the services (writes) and selectors (reads), `forms.py` the web forms, `views.py` the pages
and the Referrals section of a case's sharing page. Builds on `sharing.consent` (a referral on a legal basis is
checked and recorded as a disclosure); nothing in `sharing.consent` imports this package.
"""
