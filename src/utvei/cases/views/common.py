"""What every case page shares: the page decorator, error pages, safe redirects, URLs."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership
from utvei.core.errors import Forbidden, NotFound, UtveiError

from ..models import Case

CASE_LIST_PAGE_SIZE = 50
DASHBOARD_ROWS = 10
TIMELINE_PAGE_SIZE = 25  # the newest entries on the case page; the older ones a page at a time

View = Callable[..., HttpResponse]


# ---- Plumbing ------------------------------------------------------------------------------------------


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def whole_page(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An error page answering an htmx request replaces the main content, not the section that asked."""
    if is_htmx(request):
        response["HX-Retarget"] = "#main"
        response["HX-Reswap"] = "outerHTML"
        response["HX-Reselect"] = "#main"
    return response


def not_found(request: HttpRequest, message: Any = None) -> HttpResponse:
    return whole_page(request, render(request, "404.html", {"message": message}, status=404))


def forbidden(request: HttpRequest, message: Any = None) -> HttpResponse:
    return whole_page(request, render(request, "403.html", {"message": message}, status=403))


def page(view: View) -> View:
    """Login required; hands the view the acting membership; turns NotFound/Forbidden into friendly pages."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership: Membership | None = getattr(request, "membership", None)
        if membership is None:
            return not_found(request, _("You have no active membership in an organisation."))
        try:
            return view(request, membership, *args, **kwargs)
        except NotFound as exc:
            return not_found(request, exc.message)
        except Forbidden as exc:
            return forbidden(request, exc.message)
        except UtveiError as exc:  # a service error a view did not attach to a form
            response = render(request, "cases/error.html", {"message": exc.message}, status=exc.status)
            return whole_page(request, response)

    return login_required(wrapper)


def safe_next(request: HttpRequest, target: str, fallback: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def case_url(case: Case, anchor: str = "") -> str:
    url = reverse("case_detail", args=[case.public_id])
    return f"{url}#{anchor}" if anchor else url
