from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "utvei.access"
    label = "access"
