from django.urls import path

from . import views, views_alerts, views_report

urlpatterns = [
    path("", views.audit_report, name="audit_report"),
    path("export/", views.audit_export, name="audit_export"),
    path("verify/", views.audit_verify_chain, name="audit_verify"),
    path("alerts/", views_alerts.alert_list, name="alert_list"),
    path("alerts/<uuid:alert_id>/", views_alerts.alert_detail, name="alert_detail"),
    path("people/", views_report.access_report, name="access_report"),
    path("people/<uuid:person_id>/", views_report.access_report_person, name="access_report_person"),
    path("people/<uuid:person_id>/export/", views_report.access_report_export, name="access_report_export"),
]
