from django.urls import path

from . import views

urlpatterns = [
    path("", views.audit_report, name="audit_report"),
    path("export/", views.audit_export, name="audit_export"),
    path("verify/", views.audit_verify_chain, name="audit_verify"),
]
