"""Pages of the person's network (names and paths: docs/urls.md)."""

from django.urls import URLPattern, path

from . import views

N = "cases/<uuid:case_id>/network/"
C = N + "contacts/<uuid:contact_id>/"

urlpatterns: list[URLPattern] = [
    path(N, views.network_map, name="network_map"),
    path(N + "compare/", views.network_compare, name="network_compare"),
    path(N + "contacts/new/", views.contact_new, name="network_contact_new"),
    path(C, views.contact_detail, name="network_contact"),
    path(C + "edit/", views.contact_edit, name="network_contact_edit"),
    path(C + "observations/", views.observation_add, name="network_observation_add"),
]
