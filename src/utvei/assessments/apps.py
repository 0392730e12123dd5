from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "utvei.assessments"
    label = "assessments"

    def ready(self) -> None:
        from utvei.cases import workflow  # AppConfig.ready runs once the apps are loaded: Django's place for this
        from utvei.cases.models import Phase

        from .checks import planning_blocker

        workflow.require(Phase.ASSESSMENT, Phase.PLANNING, planning_blocker)
