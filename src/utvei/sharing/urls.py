"""Pages of the sharing app (names and paths: docs/urls.md)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("legal-bases/", views.legal_basis_list, name="legal_basis_list"),
]
