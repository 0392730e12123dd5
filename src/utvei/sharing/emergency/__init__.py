"""Emergency access (break-the-glass) and the data protection officer's review of it (docs/emergency-access.md).

`services.py` holds the services (writes) and selectors (reads), `forms.py` the web forms, `views.py` and
`urls.py` the pages (/emergency/, /audit/emergency/).
"""
