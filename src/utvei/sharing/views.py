"""The catalogue page: read-only, for every logged-in user with a membership."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from utvei.accounts.models import Membership
from utvei.core.web import page

from . import selectors
from .models import COUNSEL_NOTE


@require_GET
@page
def legal_basis_list(request: HttpRequest, m: Membership) -> HttpResponse:
    bases = list(selectors.legal_basis_list(actor=m))
    return render(request, "sharing/legal_basis_list.html", {"bases": bases, "counsel_note": COUNSEL_NOTE})
