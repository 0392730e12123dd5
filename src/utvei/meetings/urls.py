"""Pages of case meetings (names and paths: docs/urls.md)."""

from django.urls import URLPattern, path

from . import views

M = "cases/<uuid:case_id>/meetings/<uuid:meeting_id>/"
D = M + "decisions/<uuid:decision_id>/"

urlpatterns: list[URLPattern] = [
    path("cases/<uuid:case_id>/meetings/new/", views.meeting_new, name="meeting_new"),
    path(M, views.meeting_detail, name="meeting_detail"),
    path(M + "edit/", views.meeting_edit, name="meeting_edit"),
    path(M + "cancel/", views.meeting_cancel, name="meeting_cancel"),
    path(M + "print/", views.meeting_print, name="meeting_print"),
    path(M + "attachments/", views.meeting_attachment_add, name="meeting_attachment_add"),
    path(M + "decisions/", views.decision_add, name="meeting_decision_add"),
    path(D, views.decision_edit, name="meeting_decision_edit"),
    path(D + "remove/", views.decision_remove, name="meeting_decision_remove"),
    path(D + "status/", views.decision_status, name="meeting_decision_status"),
]
