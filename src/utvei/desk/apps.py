from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "utvei.desk"
    label = "desk"
