"""API v1 paths of the person's network (included by api/urls.py)."""

from django.urls import URLPattern, path

from .views.network import (
    ContactDetailView,
    ContactListView,
    NetworkCompareView,
    NetworkSnapshotView,
    ObservationListView,
)

N = "cases/<uuid:case_id>/network/"
C = N + "contacts/<uuid:contact_id>/"

urlpatterns: list[URLPattern] = [
    path(N, NetworkSnapshotView.as_view(), name="network"),
    path(N + "compare/", NetworkCompareView.as_view(), name="network_compare"),
    path(N + "contacts/", ContactListView.as_view(), name="network_contact_list"),
    path(C, ContactDetailView.as_view(), name="network_contact_detail"),
    path(C + "observations/", ObservationListView.as_view(), name="network_observation_list"),
]
