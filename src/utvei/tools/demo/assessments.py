"""The demo story's assessment step (`do: assessment` in tools/data/demo.yaml), told through the assessment services.

A draft is started by `by` (default: the owning organisation's coordinator) with the co-assessors named, its items
rated with the evidence and confidence behind each rating, its summary written, and (unless `final: false`)
finalised. Afterwards the timestamps the services set to "now" are moved to the story's date, as the demo loader
does for everything else; the audit log keeps the true time.

    - do: assessment
      at: 62                       # days ago: finalised (a draft: last saved)
      started: 70                  # optional: days ago the draft was started (default: `at`)
      by: saksbehandler            # optional
      assessors: [politi, nav]     # optional: co-assessors, on the team and not mentors
      classification: team         # optional: team | own_org | police | health
      final: true                  # optional: false leaves a draft
      level: moderate              # low | moderate | high: the assessor's own level of concern
      judgement: "…"               # the summary judgement
      formulation: "…"
      scenarios: "…"               # optional
      management: "…"              # the management recommendations
      changes: "…"                 # a reassessment: what has changed since last time
      reassess: 30                 # optional: days from today (default: three months after `at`)
      carry: true                  # optional, for a reassessment: items not listed keep last time's rating,
                                   # confidence and evidence (the evidence marked as unchanged)
      items:                       # item code -> [rating, confidence, evidence]; unknown: [unknown, evidence]
        IB1: [partly, medium, "…"]
        HC4: [unknown, "…"]

Finalising needs a reassessment date after today; an assessment finalised long ago gets its story date
(`reassess`, or three months on) afterwards, like the other timestamps.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from utvei.assessments import services
from utvei.assessments.models import Assessment, AssessmentItem, AssessmentRevision
from utvei.cases.models import Case
from utvei.core.dates import add_months

INSTRUMENT = "utvei-open"
UNCHANGED = "Uendret siden forrige kartlegging. "


def _item(code: str, value: list[str]) -> services.ItemInput:
    if len(value) == 2:  # unknown: no confidence, the evidence says what is missing
        rating, evidence = value
        return services.ItemInput(code, rating, "", evidence)
    rating, confidence, evidence = value
    return services.ItemInput(code, rating, confidence, evidence)


def _carried(assessment: Assessment, listed: set[str]) -> list[services.ItemInput]:
    if assessment.previous_id is None:
        raise CommandError("`carry` needs an earlier final assessment of the case with the same instrument")
    rows = AssessmentItem.objects.filter(assessment_id=assessment.previous_id).exclude(code__in=listed)
    return [services.ItemInput(r.code, r.rating, r.confidence, UNCHANGED + r.evidence) for r in rows]


def assessment_step(loader: Any, case: Case, step: dict[str, Any]) -> Assessment:
    clock = loader.clock
    started = clock.at(step.get("started", step["at"]))
    saved = clock.at(step["at"])
    author = loader.m[step["by"]] if "by" in step else loader._manager(case, {})
    assessment = services.assessment_create(
        actor=author,
        case=case,
        instrument_key=step.get("instrument", INSTRUMENT),
        classification=step.get("classification", "team"),
        assessors=[loader.m[u].user for u in step.get("assessors", [])],
    )
    items = [_item(str(code), value) for code, value in step.get("items", {}).items()]
    if step.get("carry"):
        items += _carried(assessment, {i.code for i in items})
    due = clock.date(step["reassess"]) if "reassess" in step else add_months(saved.date(), services.REASSESS_MONTHS)
    assessment = services.assessment_update(
        actor=author,
        assessment=assessment,
        expected_version=assessment.version,
        items=items,
        summary_level=step.get("level"),
        summary_judgement=step.get("judgement"),
        formulation=step.get("formulation"),
        scenarios=step.get("scenarios"),
        management=step.get("management"),
        changes_since_last=step.get("changes"),
        reassessment_due=due if due > clock.today else None,  # the service takes only future dates
    )
    final = step.get("final", True)
    if final:
        assessment = services.assessment_finalise(
            actor=author, assessment=assessment, expected_version=assessment.version
        )
    Assessment.objects.filter(pk=assessment.pk).update(
        created_at=started,
        updated_at=saved,
        finalised_at=saved if final else None,
        reassessment_due=due,
    )
    revisions = AssessmentRevision.objects.filter(assessment=assessment)
    revisions.filter(version=1).update(saved_at=started)
    revisions.exclude(version=1).update(saved_at=saved)
    return Assessment.objects.get(pk=assessment.pk)
