from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "utvei.people"
    label = "people"
