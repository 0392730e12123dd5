from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "utvei.assessments"
    label = "assessments"
