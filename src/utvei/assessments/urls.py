"""Pages of the assessments app (names and paths: docs/urls.md)."""

from django.urls import URLPattern, path

from . import views

A = "cases/<uuid:case_id>/assessments/<uuid:assessment_id>/"

urlpatterns: list[URLPattern] = [
    path("cases/<uuid:case_id>/assessments/new/", views.assessment_new, name="assessment_new"),
    path("cases/<uuid:case_id>/assessments/skip/", views.assessment_skip, name="assessment_skip"),
    path(A, views.assessment_detail, name="assessment_detail"),
    path(A + "edit/<str:part>/", views.assessment_edit, name="assessment_edit"),
    path(A + "finalise/", views.assessment_finalise, name="assessment_finalise"),
    path(A + "compare/", views.assessment_compare, name="assessment_compare"),
]
