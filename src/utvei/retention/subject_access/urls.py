"""The subject-access pages (names and paths: docs/urls.md). Requests by their opaque id only."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("subject-access/", views.request_list, name="subject_access_list"),
    path("subject-access/<uuid:request_id>/", views.request_detail, name="subject_access_detail"),
    path("subject-access/<uuid:request_id>/extend/", views.request_extend, name="subject_access_extend"),
    path("subject-access/<uuid:request_id>/refuse/", views.request_refuse, name="subject_access_refuse"),
    path("subject-access/<uuid:request_id>/answer/", views.request_answer, name="subject_access_answer"),
    path(
        "subject-access/<uuid:request_id>/export.<str:fmt>",
        views.request_download,
        name="subject_access_download",
    ),
]
