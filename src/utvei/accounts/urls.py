from django.urls import path

from . import views

urlpatterns = [
    path("organisation/", views.org_switch, name="org_switch"),
]
