from django.urls import path

from . import views

# The notification list (/me/notifications/…) is in sharing/urls.py: its texts and links come from above accounts.
urlpatterns = [
    path("organisation/", views.org_switch, name="org_switch"),
]
