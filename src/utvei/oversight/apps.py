from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "utvei.oversight"
    label = "oversight"
