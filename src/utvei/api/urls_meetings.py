"""API v1 paths of case meetings and their decisions (included by api/urls.py)."""

from django.urls import URLPattern, path

from .views.meetings import (
    CaseMeetingListView,
    DecisionDetailView,
    DecisionListView,
    MeetingCancelView,
    MeetingDetailView,
    MeetingHoldView,
)

M = "meetings/<uuid:meeting_id>/"

urlpatterns: list[URLPattern] = [
    path("cases/<uuid:case_id>/meetings/", CaseMeetingListView.as_view(), name="meeting_list"),
    path(M, MeetingDetailView.as_view(), name="meeting_detail"),
    path(M + "hold/", MeetingHoldView.as_view(), name="meeting_hold"),
    path(M + "cancel/", MeetingCancelView.as_view(), name="meeting_cancel"),
    path(M + "decisions/", DecisionListView.as_view(), name="meeting_decision_list"),
    path(M + "decisions/<uuid:decision_id>/", DecisionDetailView.as_view(), name="meeting_decision_detail"),
]
