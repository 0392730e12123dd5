"""Consent and disclosure: the person's consents and the disclosures on a legal basis of one case, the catalogue
of legal bases as users read and edit it, and the printable consent and withdrawal forms (docs/sharing.md).

`services.py` writes, `selectors.py` reads, `forms.py` parses the web forms, `printable.py` gathers what a
printable form shows and `views.py` serves it. The case's consent and sharing page, which also shows the case's
referrals, is `sharing/views.py`.
"""
