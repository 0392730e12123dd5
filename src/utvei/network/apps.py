from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "utvei.network"
    label = "network"
