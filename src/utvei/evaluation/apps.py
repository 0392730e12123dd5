from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "utvei.evaluation"
    label = "evaluation"

    def ready(self) -> None:
        # The evidence engine records outcomes as a by-product of the case's and the plan's life: it takes part in
        # their services' transactions through their hooks, so neither imports it (docs/architecture.md).
        from utvei.cases import hooks as case_hooks  # AppConfig.ready: Django's place for wiring
        from utvei.cases import subject_access
        from utvei.core import anonymity
        from utvei.plans import hooks as plan_hooks

        from . import services
        from . import subject_access as evaluation_subject_access
        from .anonymity import POLICIES, follow_ups_ahead

        case_hooks.MEASURES_ENDED.connect(services.follow_ups_schedule)
        case_hooks.CLOSED.connect(services.on_case_closed)
        case_hooks.MOTIVATION_STAGE_CHANGED.connect(services.motivation_stage_record)
        plan_hooks.REVIEWED.connect(services.on_plan_reviewed)
        # What anonymising a case keeps of the evidence (core/anonymity.py; retention anonymises).
        anonymity.register(*POLICIES)
        case_hooks.ANONYMISE_CHECK.connect(follow_ups_ahead)
        # Its part of a subject-access export (retention may not import evaluation).
        subject_access.SECTIONS.connect(evaluation_subject_access.section)
