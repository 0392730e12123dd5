from django.apps import AppConfig


class ToolsConfig(AppConfig):
    name = "utvei.tools"
    label = "tools"
