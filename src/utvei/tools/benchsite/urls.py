"""Utvei's URLs and, for the bench only, `bench/bare/`: a page that needs a logged-in session and does nothing else
(the middleware runs as for every page: session, user, membership, MFA requirement)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


@login_required
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare, name="bench_bare"),
    path("", include("utvei.urls")),
]
