"""The pages of consent: the printable consent and withdrawal forms of a case, in bokmål and English (A4, print CSS).

The page around the form follows the interface language; the form itself follows `?lang=` (nb or en), so a
worker using English can print the bokmål form and the other way round. The wording of each form lives in one
template per language (sharing/forms/<form>_<lang>.html), where it can be reviewed as a whole.

The case's consent and sharing page, where consents and disclosures are recorded, is in sharing/views.py: it also
shows the case's referrals, and sharing.referrals builds on this package.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from utvei.accounts.models import Membership
from utvei.core.web import page

from .printable import CONSENT_FORM, FORM_LANGUAGES, WITHDRAWAL_FORM, form_language, printable_form

LANGUAGE_NAMES = {"nb": "Bokmål", "en": "English"}


def _render(request: HttpRequest, m: Membership, case_id: Any, form: str) -> HttpResponse:
    lang = form_language(request.GET.get("lang"), get_language())
    consent_id = request.GET.get("consent") if form == WITHDRAWAL_FORM else None
    data = printable_form(actor=m, case_id=case_id, form=form, lang=lang, consent_id=consent_id)
    here = reverse(f"case_{form}_form", args=[data.ca.case.public_id])
    switch = []
    for code in FORM_LANGUAGES:
        query = {"lang": code, **({"consent": str(data.consent.public_id)} if data.consent else {})}
        switch.append({"code": code, "name": LANGUAGE_NAMES[code], "url": f"{here}?{urlencode(query)}"})
    context = {
        "form": data,
        "case": data.ca.case,
        "form_lang": lang,
        "form_template": f"sharing/forms/{form}_{lang}.html",
        "languages": switch,
        "other_form_url": reverse(
            f"case_{CONSENT_FORM if form == WITHDRAWAL_FORM else WITHDRAWAL_FORM}_form", args=[data.ca.case.public_id]
        )
        + f"?lang={lang}",
    }
    return render(request, "sharing/forms/page.html", context)


@require_GET
@page
def consent_form(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    return _render(request, m, case_id, CONSENT_FORM)


@require_GET
@page
def withdrawal_form(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    return _render(request, m, case_id, WITHDRAWAL_FORM)
