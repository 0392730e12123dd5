from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "utvei.meetings"
    label = "meetings"
