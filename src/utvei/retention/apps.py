from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "utvei.retention"
    label = "retention"

    def ready(self) -> None:
        # What anonymisation does to each model of the apps below retention (core/anonymity.py's registry; the
        # evidence engine places its own models).
        from utvei.core import anonymity  # AppConfig.ready: Django's place for wiring

        from .anonymise import CASE_POLICIES, PERSON_POLICIES

        anonymity.register(*CASE_POLICIES, *PERSON_POLICIES)
        from utvei.cases import hooks as case_hooks

        from . import panels

        case_hooks.CASE_PAGE.connect(panels.case_panel)
