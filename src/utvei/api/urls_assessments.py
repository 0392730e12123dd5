"""API v1 paths of instruments and assessments (included by api/urls.py; see docs/urls.md)."""

from django.urls import URLPattern, path

from .views.assessments import (
    AssessmentCompareView,
    AssessmentDetailView,
    AssessmentFinaliseView,
    AssessmentListView,
    AssessmentSkipView,
    InstrumentDetailView,
    InstrumentListView,
)

A = "cases/<uuid:case_id>/assessments/<uuid:assessment_id>/"

urlpatterns: list[URLPattern] = [
    path("instruments/", InstrumentListView.as_view(), name="instrument_list"),
    path("instruments/<slug:key>/", InstrumentDetailView.as_view(), name="instrument_detail"),
    path("cases/<uuid:case_id>/assessments/", AssessmentListView.as_view(), name="assessment_list"),
    path("cases/<uuid:case_id>/assessments/skip/", AssessmentSkipView.as_view(), name="assessment_skip"),
    path(A, AssessmentDetailView.as_view(), name="assessment_detail"),
    path(A + "finalise/", AssessmentFinaliseView.as_view(), name="assessment_finalise"),
    path(A + "compare/", AssessmentCompareView.as_view(), name="assessment_compare"),
]
