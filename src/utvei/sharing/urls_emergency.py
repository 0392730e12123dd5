"""Pages of emergency access (names and paths: docs/urls.md, docs/emergency-access.md)."""

from django.urls import URLPattern, path

from . import views_emergency

urlpatterns: list[URLPattern] = [
    path("emergency/", views_emergency.emergency_open, name="emergency_open"),
    path("emergency/<uuid:access_id>/end/", views_emergency.emergency_end, name="emergency_end"),
    path("audit/emergency/", views_emergency.review_queue, name="emergency_queue"),
    path("audit/emergency/<uuid:access_id>/review/", views_emergency.review, name="emergency_review"),
]
