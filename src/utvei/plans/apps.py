from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "utvei.plans"
    label = "plans"
