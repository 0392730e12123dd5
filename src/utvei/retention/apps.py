from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "utvei.retention"
    label = "retention"

    def ready(self) -> None:
        from utvei.cases import hooks as case_hooks

        from . import panels

        case_hooks.CASE_PAGE.connect(panels.case_panel)
