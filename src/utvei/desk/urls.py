"""The desk's pages (names and paths: docs/urls.md): the start page and the user's notifications."""

from django.urls import URLPattern, path

from . import notifications, participant_views, views

urlpatterns: list[URLPattern] = [
    path("", views.dashboard, name="dashboard"),
    path("me/notifications/", notifications.notifications, name="notifications"),
    path("me/notifications/read/", notifications.notifications_read, name="notifications_read"),
    path("me/notifications/<int:pk>/open/", notifications.notification_open, name="notification_open"),
    # The person's own page (docs/participant.md).
    path("me/", participant_views.home, name="participant_home"),
    path("me/goals/<uuid:goal_id>/rate/", participant_views.goal_rate, name="participant_goal_rate"),
    path("me/answers/", participant_views.answer, name="participant_answer"),
    path(
        "me/consents/<uuid:consent_id>/withdraw/",
        participant_views.consent_withdraw,
        name="participant_consent_withdraw",
    ),
    path("me/documents/<uuid:attachment_id>/", participant_views.document, name="participant_document"),
    path("me/join/", participant_views.join, name="participant_join"),
    path("me/join/<str:token>/", participant_views.join_link, name="participant_join_link"),
]
