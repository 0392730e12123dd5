"""Pages of the evidence engine (names and paths: docs/urls.md)."""

from django.urls import URLPattern, path

from . import views, views_analytics

OUT = "cases/<uuid:case_id>/outcomes/"
F = "cases/<uuid:case_id>/follow-ups/<uuid:follow_up_id>/"

urlpatterns: list[URLPattern] = [
    path(OUT, views.case_outcomes, name="case_outcomes"),
    path(OUT + "measurements/new/", views.measurements_new, name="measurements_new"),
    path(OUT + "events/new/", views.event_new, name="outcome_event_new"),
    path(F, views.follow_up_detail, name="follow_up_detail"),
    path(F + "owner/", views.follow_up_owner, name="follow_up_owner"),
    path("analytics/", views_analytics.dashboard, name="analytics"),
    path("analytics/report/", views_analytics.report, name="analytics_report"),
    path("analytics/report.pdf", views_analytics.report_pdf, name="analytics_report_pdf"),
    path("analytics/evaluations/", views_analytics.evaluations, name="analytics_evaluations"),
    path("analytics/releases/", views_analytics.dp_releases, name="analytics_releases"),
    path("analytics/extract/", views_analytics.research_extract, name="analytics_extract"),
    path("evaluations/", views_analytics.evaluation_admin, name="evaluation_admin"),
]
