from django.urls import include, path
from django.views.generic import TemplateView

from utvei.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # No e-mail password reset: accounts belong to organisations, whose administrators set new passwords.
    path("accounts/password/reset/", TemplateView.as_view(template_name="account/password_reset.html")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("utvei.api.urls")),
    path("", include("utvei.sharing.emergency.urls")),
    path("audit/", include("utvei.oversight.urls")),
    path("me/", include("utvei.accounts.urls")),
    path("", include("utvei.sharing.urls")),
    path("", include("utvei.assessments.urls")),
    path("", include("utvei.plans.urls")),
    path("", include("utvei.meetings.urls")),
    path("", include("utvei.network.urls")),
    path("", include("utvei.evaluation.urls")),
    path("", include("utvei.administration.urls")),
    path("", include("utvei.retention.urls")),
    path("", include("utvei.retention.subject_access.urls")),
    path("", include("utvei.cases.urls")),
    path("", include("utvei.desk.urls")),
]
