"""The desk's pages (names and paths: docs/urls.md): the start page and the user's notifications."""

from django.urls import URLPattern, path

from . import notifications, views

urlpatterns: list[URLPattern] = [
    path("", views.dashboard, name="dashboard"),
    path("me/notifications/", notifications.notifications, name="notifications"),
    path("me/notifications/read/", notifications.notifications_read, name="notifications_read"),
    path("me/notifications/<int:pk>/open/", notifications.notification_open, name="notification_open"),
]
