from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "utvei.audit"
    label = "audit"
