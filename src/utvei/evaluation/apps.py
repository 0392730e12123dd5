from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "utvei.evaluation"
    label = "evaluation"
