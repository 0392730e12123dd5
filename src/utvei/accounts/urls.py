from django.urls import path

from . import views, views_notifications

urlpatterns = [
    path("organisation/", views.org_switch, name="org_switch"),
    path("notifications/", views_notifications.notifications, name="notifications"),
    path("notifications/read/", views_notifications.notifications_read, name="notifications_read"),
    path("notifications/<int:pk>/open/", views_notifications.notification_open, name="notification_open"),
]
