from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "utvei.core"
    label = "core"
