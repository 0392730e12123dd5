"""API v1 paths of retention (included by api/urls.py)."""

from django.urls import URLPattern, path

from .views.retention import (
    CaseRetentionView,
    HoldLiftView,
    HoldListView,
    RectificationAnswerView,
    RectificationListView,
    RestrictedOpenView,
    RestrictView,
    RetentionOverviewView,
    UnrestrictView,
)

R = "retention/cases/<uuid:retention_case_id>/"

urlpatterns: list[URLPattern] = [
    path("retention/", RetentionOverviewView.as_view(), name="retention_overview"),
    path(R, CaseRetentionView.as_view(), name="retention_case"),
    path(R + "holds/", HoldListView.as_view(), name="retention_hold_list"),
    path(R + "holds/<uuid:hold_id>/lift/", HoldLiftView.as_view(), name="retention_hold_lift"),
    path(R + "open/", RestrictedOpenView.as_view(), name="retention_open"),
    path(R + "restrict/", RestrictView.as_view(), name="retention_restrict"),
    path(R + "unrestrict/", UnrestrictView.as_view(), name="retention_unrestrict"),
    path(R + "rectification/", RectificationListView.as_view(), name="retention_rectification_list"),
    path(
        R + "rectification/<uuid:rectification_id>/answer/",
        RectificationAnswerView.as_view(),
        name="retention_rectification_answer",
    ),
]
