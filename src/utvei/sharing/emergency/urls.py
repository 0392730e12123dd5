"""Pages of emergency access (names and paths: docs/urls.md, docs/emergency-access.md)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("emergency/", views.emergency_open, name="emergency_open"),
    path("emergency/<uuid:access_id>/end/", views.emergency_end, name="emergency_end"),
    path("audit/emergency/", views.review_queue, name="emergency_queue"),
    path("audit/emergency/<uuid:access_id>/review/", views.review, name="emergency_review"),
]
