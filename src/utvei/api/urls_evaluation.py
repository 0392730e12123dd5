"""API v1 paths of the evidence engine (included by api/urls.py)."""

from django.urls import URLPattern, path

from .views.evaluation import (
    AnalyticsView,
    FollowUpListView,
    IndicatorListView,
    MeasurementListView,
    OutcomeEventListView,
)

urlpatterns: list[URLPattern] = [
    path("indicators/", IndicatorListView.as_view(), name="indicator_list"),
    path("cases/<uuid:case_id>/measurements/", MeasurementListView.as_view(), name="measurement_list"),
    path("cases/<uuid:case_id>/outcome-events/", OutcomeEventListView.as_view(), name="outcome_event_list"),
    path("cases/<uuid:case_id>/follow-ups/", FollowUpListView.as_view(), name="follow_up_list"),
    path("analytics/", AnalyticsView.as_view(), name="analytics"),
]
