"""Pages of retention (names and paths: docs/urls.md)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("retention/", views.overview, name="retention_overview"),
    path("retention/cases/<uuid:retention_case_id>/", views.case_page, name="retention_case"),
    path("retention/cases/<uuid:retention_case_id>/holds/", views.hold_set, name="retention_hold_set"),
    path(
        "retention/cases/<uuid:retention_case_id>/holds/<uuid:hold_id>/lift/",
        views.hold_lift,
        name="retention_hold_lift",
    ),
    path("retention/cases/<uuid:retention_case_id>/open/", views.restricted_open, name="retention_open"),
    path("retention/cases/<uuid:retention_case_id>/restrict/", views.restrict, name="retention_restrict"),
    path("retention/cases/<uuid:retention_case_id>/unrestrict/", views.unrestrict, name="retention_unrestrict"),
    path(
        "retention/cases/<uuid:retention_case_id>/rectification/",
        views.rectification_new,
        name="retention_rectification",
    ),
    path(
        "retention/cases/<uuid:retention_case_id>/rectification/<uuid:rectification_id>/answer/",
        views.rectification_answer,
        name="retention_rectification_answer",
    ),
]
