from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "utvei.sharing"
    label = "sharing"
