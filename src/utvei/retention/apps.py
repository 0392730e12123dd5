from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "utvei.retention"
    label = "retention"
