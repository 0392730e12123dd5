from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "utvei.api"
    label = "api"
