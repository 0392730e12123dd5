from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "utvei.api"
    label = "api"

    def ready(self) -> None:
        # Registers the bearer scheme with drf-spectacular.
        from . import schema  # noqa: F401
