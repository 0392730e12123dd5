"""Pages of the sharing app (names and paths: docs/urls.md); emergency access has its own: emergency/urls.py."""

from django.urls import URLPattern, path

from . import views
from .consent import views as consent_views
from .referrals import views as referral_views

urlpatterns: list[URLPattern] = [
    path("legal-bases/", views.legal_basis_list, name="legal_basis_list"),
    path("legal-bases/<slug:key>/note/", views.legal_basis_note, name="legal_basis_note"),
    path("cases/<uuid:case_id>/sharing/", views.case_sharing, name="case_sharing"),
    path("cases/<uuid:case_id>/sharing/attachments/", views.consent_attachment_add, name="consent_attachment_add"),
    path(
        "cases/<uuid:case_id>/sharing/consents/<uuid:consent_id>/withdraw/",
        views.consent_withdraw,
        name="case_consent_withdraw",
    ),
    path(
        "cases/<uuid:case_id>/sharing/disclosures/<uuid:disclosure_id>/revoke/",
        views.disclosure_revoke,
        name="case_disclosure_revoke",
    ),
    path("cases/<uuid:case_id>/sharing/forms/consent/", consent_views.consent_form, name="case_consent_form"),
    path("cases/<uuid:case_id>/sharing/forms/withdrawal/", consent_views.withdrawal_form, name="case_withdrawal_form"),
    path("cases/<uuid:case_id>/referrals/new/", referral_views.referral_new, name="referral_new"),
    path("referrals/", referral_views.referral_list, name="referral_list"),
    path("referrals/<uuid:referral_id>/", referral_views.referral_detail, name="referral_detail"),
    path("referrals/<uuid:referral_id>/accept/", referral_views.referral_accept, name="referral_accept"),
    path("referrals/<uuid:referral_id>/decline/", referral_views.referral_decline, name="referral_decline"),
    path("referrals/<uuid:referral_id>/withdraw/", referral_views.referral_withdraw, name="referral_withdraw"),
]
