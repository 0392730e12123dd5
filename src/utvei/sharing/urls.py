"""Pages of the sharing app (names and paths: docs/urls.md)."""

from django.urls import URLPattern, path

from . import views, views_case, views_forms, views_referrals

urlpatterns: list[URLPattern] = [
    path("legal-bases/", views.legal_basis_list, name="legal_basis_list"),
    path("cases/<uuid:case_id>/sharing/", views_case.case_sharing, name="case_sharing"),
    path(
        "cases/<uuid:case_id>/sharing/consents/<uuid:consent_id>/withdraw/",
        views_case.consent_withdraw,
        name="case_consent_withdraw",
    ),
    path(
        "cases/<uuid:case_id>/sharing/disclosures/<uuid:disclosure_id>/revoke/",
        views_case.disclosure_revoke,
        name="case_disclosure_revoke",
    ),
    path("cases/<uuid:case_id>/sharing/forms/consent/", views_forms.consent_form, name="case_consent_form"),
    path("cases/<uuid:case_id>/sharing/forms/withdrawal/", views_forms.withdrawal_form, name="case_withdrawal_form"),
    path("cases/<uuid:case_id>/referrals/new/", views_referrals.referral_new, name="referral_new"),
    path("referrals/", views_referrals.referral_list, name="referral_list"),
    path("referrals/<uuid:referral_id>/", views_referrals.referral_detail, name="referral_detail"),
    path("referrals/<uuid:referral_id>/accept/", views_referrals.referral_accept, name="referral_accept"),
    path("referrals/<uuid:referral_id>/decline/", views_referrals.referral_decline, name="referral_decline"),
    path("referrals/<uuid:referral_id>/withdraw/", views_referrals.referral_withdraw, name="referral_withdraw"),
]
