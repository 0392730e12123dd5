from django.urls import path

from . import views

# The notification list (/me/notifications/…) is on the desk (desk/urls.py): its texts and links come from above.
urlpatterns = [
    path("organisation/", views.org_switch, name="org_switch"),
    path("logout-everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("keepalive/", views.keepalive, name="session_keepalive"),
]
