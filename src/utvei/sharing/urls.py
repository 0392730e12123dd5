"""Pages of the sharing app (names and paths: docs/urls.md)."""

from django.urls import URLPattern, path

from . import views, views_case

urlpatterns: list[URLPattern] = [
    path("legal-bases/", views.legal_basis_list, name="legal_basis_list"),
    path("cases/<uuid:case_id>/sharing/", views_case.case_sharing, name="case_sharing"),
    path(
        "cases/<uuid:case_id>/sharing/consents/<uuid:consent_id>/withdraw/",
        views_case.consent_withdraw,
        name="case_consent_withdraw",
    ),
    path(
        "cases/<uuid:case_id>/sharing/disclosures/<uuid:disclosure_id>/revoke/",
        views_case.disclosure_revoke,
        name="case_disclosure_revoke",
    ),
]
