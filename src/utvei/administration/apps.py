from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    name = "utvei.administration"
    label = "administration"
