from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "utvei.plans"
    label = "plans"

    def ready(self) -> None:
        from utvei.cases import workflow  # AppConfig.ready runs once the apps are loaded: Django's place for this
        from utvei.cases.models import Phase

        from .checks import plan_approved

        workflow.require(Phase.PLANNING, Phase.ACTIVE, plan_approved)
