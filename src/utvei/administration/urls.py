"""The administration pages (docs/urls.md, docs/administration.md)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("organisation/members/", views.member_list, name="admin_members"),
    path("organisation/members/invite/", views.member_invite, name="admin_member_invite"),
    path("organisation/members/<int:member_id>/", views.member_detail, name="admin_member"),
    path("organisation/members/<int:member_id>/active/", views.member_active, name="admin_member_active"),
    path("organisation/members/<int:member_id>/mfa-reset/", views.member_mfa_reset, name="admin_member_mfa_reset"),
    path("organisation/members/<int:member_id>/handover/", views.member_handover, name="admin_member_handover"),
    path("organisation/members/<int:member_id>/invitation/", views.member_invitation, name="admin_member_invitation"),
    path("invitations/accept/", views.invitation_accept_page, name="invitation_accept"),
    path("invitations/<str:token>/", views.invitation_open, name="invitation_open"),
]
