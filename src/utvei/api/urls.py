"""API v1 under /api/v1/ (see docs/urls.md). Anything else under it is a JSON 404."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from .errors import not_found
from .urls_assessments import urlpatterns as assessment_urls
from .urls_evaluation import urlpatterns as evaluation_urls
from .urls_meetings import urlpatterns as meeting_urls
from .urls_network import urlpatterns as network_urls
from .urls_plans import urlpatterns as plan_urls
from .urls_retention import urlpatterns as retention_urls
from .views.administration import (
    MemberDetailView,
    MemberHandoverView,
    MemberInvitationView,
    MemberListView,
    MemberMfaResetView,
)
from .views.attachments import AttachmentDownloadView, EntryAttachmentsView
from .views.auth import TokenView
from .views.cases import (
    CaseCloseView,
    CaseDetailView,
    CaseListView,
    CaseReopenView,
    CaseSearchView,
    CaseTransitionView,
)
from .views.concerns import (
    ConcernAnswerView,
    ConcernDetailView,
    ConcernListView,
    ConcernTakeView,
    ConcernTriageView,
)
from .views.emergency import EmergencyAccessEndView, EmergencyAccessListView, EmergencyAccessReviewView
from .views.entries import EntryDetailView, EntryListView
from .views.export import CaseExportView
from .views.history import CaseHistoryView, CasePersonView
from .views.legal_bases import LegalBasisDetailView, LegalBasisListView
from .views.me import (
    MeAccessLogView,
    MeAnswerView,
    MeAppointmentsView,
    MeConsentsView,
    MeConsentWithdrawView,
    MeDetailView,
    MeDocumentsView,
    MeEntriesView,
    MeGoalRateView,
    MeIndicatorsView,
    MePlanView,
)
from .views.oversight import (
    AccessReportSearchView,
    AccessReportView,
    AlertDetailView,
    AlertListView,
    AlertReviewView,
)
from .views.referrals import (
    CaseReferralListView,
    ReferralAcceptView,
    ReferralDeclineView,
    ReferralDetailView,
    ReferralListView,
    ReferralWithdrawView,
)
from .views.sharing import ConsentListView, ConsentWithdrawView, DisclosureListView, DisclosureRevokeView
from .views.subject_access import (
    SubjectAccessAnswerView,
    SubjectAccessDetailView,
    SubjectAccessExportView,
    SubjectAccessExtendView,
    SubjectAccessListView,
    SubjectAccessRefuseView,
)
from .views.tasks import TaskDetailView, TaskListView
from .views.team import TeamCandidatesView, TeamMemberView, TeamView

app_name = "api"

urlpatterns = [
    path("auth/token", TokenView.as_view(), name="token"),
    path("auth/token/", TokenView.as_view(schema=None)),  # the same, forgiving a trailing slash
    path("organisations/<slug:org>/members/", MemberListView.as_view(), name="member_list"),
    path("organisations/<slug:org>/members/<int:member_id>/", MemberDetailView.as_view(), name="member_detail"),
    path(
        "organisations/<slug:org>/members/<int:member_id>/mfa-reset/",
        MemberMfaResetView.as_view(),
        name="member_mfa_reset",
    ),
    path(
        "organisations/<slug:org>/members/<int:member_id>/handover/",
        MemberHandoverView.as_view(),
        name="member_handover",
    ),
    path(
        "organisations/<slug:org>/members/<int:member_id>/invitation/",
        MemberInvitationView.as_view(),
        name="member_invitation",
    ),
    path("concerns/", ConcernListView.as_view(), name="concern_list"),
    path("concerns/<uuid:concern_id>/", ConcernDetailView.as_view(), name="concern_detail"),
    path("concerns/<uuid:concern_id>/triage/", ConcernTriageView.as_view(), name="concern_triage"),
    path("concerns/<uuid:concern_id>/take/", ConcernTakeView.as_view(), name="concern_take"),
    path("concerns/<uuid:concern_id>/answer/", ConcernAnswerView.as_view(), name="concern_answer"),
    path("cases/", CaseListView.as_view(), name="case_list"),
    path("cases/search/", CaseSearchView.as_view(), name="case_search"),
    path("cases/<uuid:case_id>/", CaseDetailView.as_view(), name="case_detail"),
    path("cases/<uuid:case_id>/history/", CaseHistoryView.as_view(), name="case_history"),
    path("cases/<uuid:case_id>/person/", CasePersonView.as_view(), name="case_person"),
    path("cases/<uuid:case_id>/transition/", CaseTransitionView.as_view(), name="case_transition"),
    path("cases/<uuid:case_id>/close/", CaseCloseView.as_view(), name="case_close"),
    path("cases/<uuid:case_id>/reopen/", CaseReopenView.as_view(), name="case_reopen"),
    path("cases/<uuid:case_id>/export/", CaseExportView.as_view(), name="case_export"),
    path("cases/<uuid:case_id>/entries/", EntryListView.as_view(), name="entry_list"),
    path("cases/<uuid:case_id>/entries/<uuid:entry_id>/", EntryDetailView.as_view(), name="entry_detail"),
    path(
        "cases/<uuid:case_id>/entries/<uuid:entry_id>/attachments/",
        EntryAttachmentsView.as_view(),
        name="entry_attachments",
    ),
    path("attachments/<uuid:attachment_id>/", AttachmentDownloadView.as_view(), name="attachment_download"),
    path("cases/<uuid:case_id>/team/", TeamView.as_view(), name="team"),
    path("cases/<uuid:case_id>/team/candidates/", TeamCandidatesView.as_view(), name="team_candidates"),
    path("cases/<uuid:case_id>/team/<int:member_id>/", TeamMemberView.as_view(), name="team_member"),
    path("cases/<uuid:case_id>/consents/", ConsentListView.as_view(), name="consent_list"),
    path(
        "cases/<uuid:case_id>/consents/<uuid:consent_id>/withdraw/",
        ConsentWithdrawView.as_view(),
        name="consent_withdraw",
    ),
    path("cases/<uuid:case_id>/disclosures/", DisclosureListView.as_view(), name="disclosure_list"),
    path(
        "cases/<uuid:case_id>/disclosures/<uuid:disclosure_id>/revoke/",
        DisclosureRevokeView.as_view(),
        name="disclosure_revoke",
    ),
    path("cases/<uuid:case_id>/referrals/", CaseReferralListView.as_view(), name="case_referral_list"),
    path("referrals/", ReferralListView.as_view(), name="referral_list"),
    path("referrals/<uuid:referral_id>/", ReferralDetailView.as_view(), name="referral_detail"),
    path("referrals/<uuid:referral_id>/accept/", ReferralAcceptView.as_view(), name="referral_accept"),
    path("referrals/<uuid:referral_id>/decline/", ReferralDeclineView.as_view(), name="referral_decline"),
    path("referrals/<uuid:referral_id>/withdraw/", ReferralWithdrawView.as_view(), name="referral_withdraw"),
    path("subject-access/", SubjectAccessListView.as_view(), name="subject_access_list"),
    path("subject-access/<uuid:request_id>/", SubjectAccessDetailView.as_view(), name="subject_access_detail"),
    path("subject-access/<uuid:request_id>/extend/", SubjectAccessExtendView.as_view(), name="subject_access_extend"),
    path("subject-access/<uuid:request_id>/refuse/", SubjectAccessRefuseView.as_view(), name="subject_access_refuse"),
    path("subject-access/<uuid:request_id>/answer/", SubjectAccessAnswerView.as_view(), name="subject_access_answer"),
    path("subject-access/<uuid:request_id>/export/", SubjectAccessExportView.as_view(), name="subject_access_export"),
    path("emergency-access/", EmergencyAccessListView.as_view(), name="emergency_access_list"),
    path("emergency-access/<uuid:access_id>/end/", EmergencyAccessEndView.as_view(), name="emergency_access_end"),
    path(
        "emergency-access/<uuid:access_id>/review/",
        EmergencyAccessReviewView.as_view(),
        name="emergency_access_review",
    ),
    path("alerts/", AlertListView.as_view(), name="alert_list"),
    path("alerts/<uuid:alert_id>/", AlertDetailView.as_view(), name="alert_detail"),
    path("alerts/<uuid:alert_id>/review/", AlertReviewView.as_view(), name="alert_review"),
    path("access-reports/search/", AccessReportSearchView.as_view(), name="access_report_search"),
    path("access-reports/<uuid:person_id>/", AccessReportView.as_view(), name="access_report"),
    path("tasks/", TaskListView.as_view(), name="task_list"),
    path("tasks/<uuid:task_id>/", TaskDetailView.as_view(), name="task_detail"),
    path("legal-bases/", LegalBasisListView.as_view(), name="legal_basis_list"),
    path("legal-bases/<slug:key>/", LegalBasisDetailView.as_view(), name="legal_basis_detail"),
    path("me/", MeDetailView.as_view(), name="me"),
    path("me/plan/", MePlanView.as_view(), name="me_plan"),
    path("me/appointments/", MeAppointmentsView.as_view(), name="me_appointments"),
    path("me/entries/", MeEntriesView.as_view(), name="me_entries"),
    path("me/documents/", MeDocumentsView.as_view(), name="me_documents"),
    path("me/consents/", MeConsentsView.as_view(), name="me_consents"),
    path("me/indicators/", MeIndicatorsView.as_view(), name="me_indicators"),
    path("me/access-log/", MeAccessLogView.as_view(), name="me_access_log"),
    path("me/goals/<uuid:goal_id>/ratings/", MeGoalRateView.as_view(), name="me_goal_rate"),
    path("me/answers/", MeAnswerView.as_view(), name="me_answer"),
    path("me/consents/<uuid:consent_id>/withdraw/", MeConsentWithdrawView.as_view(), name="me_consent_withdraw"),
    *assessment_urls,
    *plan_urls,
    *meeting_urls,
    *network_urls,
    *retention_urls,
    *evaluation_urls,
    path(
        "schema/",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="schema",
    ),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", authentication_classes=[], permission_classes=[AllowAny]
        ),
        name="docs",
    ),
    re_path(r"^(?P<path>[\s\S]*)$", not_found),  # [\s\S]: a newline in the path too
]
