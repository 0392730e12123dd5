from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "utvei.cases"
    label = "cases"
