"""The web toolkit every app's pages share: the page decorator, friendly error pages, htmx helpers, safe
redirects. The ground floor: it knows requests and templates, nothing of any domain."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from .errors import Forbidden, NotFound, UtveiError

View = Callable[..., HttpResponse]


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
        membership = getattr(request, "membership", None)  # set by accounts' middleware
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
