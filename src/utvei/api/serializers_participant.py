"""The person's own page in the API (/api/v1/me/…, docs/participant.md): what the page shows, as JSON."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from utvei.access.access_log import LogRow
from utvei.desk.participant import ConsentView, GoalView, IndicatorView, PlanPart


class MyRatingSerializer(serializers.Serializer):
    rating = serializers.IntegerField()
    rated_on = serializers.DateField()
    by = serializers.CharField(help_text=_("«person» (you) or «team»."))


class MyItemSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    measure = serializers.CharField()
    organisation = serializers.CharField(allow_null=True)
    start_on = serializers.DateField(allow_null=True)
    end_on = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    goal = serializers.UUIDField(allow_null=True)


class MyGoalSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    text = serializers.CharField(help_text=_("The goal in your own words."))
    domain = serializers.CharField()
    target_date = serializers.DateField(allow_null=True)
    ratings = MyRatingSerializer(many=True)


class MyPlanSerializer(serializers.Serializer):
    goals = MyGoalSerializer(many=True)
    items = MyItemSerializer(many=True)


class MyAppointmentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    starts_at = serializers.DateTimeField()
    place = serializers.CharField()
    status = serializers.CharField()


class MyEntrySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    organisation = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()


class MyDocumentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    filename = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    size = serializers.IntegerField()


class MyConsentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    given_by = serializers.CharField()
    organisations = serializers.ListField(child=serializers.CharField())
    categories = serializers.ListField(child=serializers.CharField())
    purposes = serializers.ListField(child=serializers.CharField())
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    active = serializers.BooleanField()
    status = serializers.CharField()


class MyLevelSerializer(serializers.Serializer):
    value = serializers.IntegerField()
    text = serializers.CharField()


class MyIndicatorSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    levels = MyLevelSerializer(many=True)
    last_value = serializers.FloatField(allow_null=True)
    last_on = serializers.DateField(allow_null=True)


class MyLogRowSerializer(serializers.Serializer):
    day = serializers.DateField()
    who = serializers.CharField(help_text=_("The organisation (never a worker's name), or «You»."))
    what = serializers.CharField()
    why = serializers.CharField()
    basis = serializers.CharField(help_text=_("you, team, coordinator, referral, emergency or other."))
    times = serializers.IntegerField()


class MyPageSerializer(serializers.Serializer):
    given_as = serializers.CharField()
    plan = MyPlanSerializer(allow_null=True)
    appointments = MyAppointmentSerializer(many=True)
    entries = MyEntrySerializer(many=True)
    documents = MyDocumentSerializer(many=True)
    consents = MyConsentSerializer(many=True)
    indicators = MyIndicatorSerializer(many=True)
    access_log = MyLogRowSerializer(many=True)


class MyRateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=-2, max_value=2)


class MyAnswerSerializer(serializers.Serializer):
    indicator = serializers.CharField(max_length=60)
    value = serializers.FloatField()


# ---- Rendering -----------------------------------------------------------------------------------------------


def goal_data(g: GoalView) -> dict[str, Any]:
    return {
        "id": g.goal.public_id,
        "text": g.goal.text,
        "domain": g.goal.domain,
        "target_date": g.goal.target_date,
        "ratings": [
            {"rating": r.rating, "rated_on": r.rated_on, "by": "person" if r.source == "person" else "team"}
            for r in g.ratings
        ],
    }


def plan_data(p: PlanPart) -> dict[str, Any] | None:
    if p.plan is None:
        return None
    goal_ids = {g.goal.pk: g.goal.public_id for g in p.goals}
    return {
        "goals": [goal_data(g) for g in p.goals],
        "items": [
            {
                "id": i.public_id,
                "measure": i.measure.name,
                "organisation": i.responsible_org.name if i.responsible_org else None,
                "start_on": i.start_on,
                "end_on": i.end_on,
                "status": i.status,
                "goal": goal_ids.get(i.goal_id),
            }
            for i in p.items
        ],
    }


def appointment_data(m: Any) -> dict[str, Any]:
    return {"id": m.public_id, "kind": m.kind, "starts_at": m.starts_at, "place": m.place, "status": m.status}


def entry_data(e: Any) -> dict[str, Any]:
    return {
        "id": e.public_id,
        "kind": e.kind,
        "occurred_at": e.occurred_at,
        "organisation": e.author_org.name,
        "title": e.title,
        "body": e.body,
    }


def document_data(a: Any) -> dict[str, Any]:
    return {"id": a.public_id, "filename": a.filename, "uploaded_at": a.uploaded_at, "size": a.size}


def consent_data(c: ConsentView) -> dict[str, Any]:
    return {
        "id": c.consent.public_id,
        "given_by": c.given_by,
        "organisations": c.organisations,
        "categories": c.categories,
        "purposes": c.purposes,
        "valid_from": c.consent.valid_from,
        "valid_until": c.consent.valid_until,
        "withdrawn_at": c.consent.withdrawn_at,
        "active": c.active,
        "status": c.status,
    }


def indicator_data(q: IndicatorView) -> dict[str, Any]:
    return {
        "key": q.indicator.key,
        "name": q.indicator.name,
        "description": q.indicator.description,
        "levels": [{"value": v, "text": label} for v, label in q.choices],
        "last_value": q.last_value,
        "last_on": q.last_on,
    }


def log_data(r: LogRow) -> dict[str, Any]:
    return {"day": r.day, "who": r.who, "what": r.what, "why": r.why, "basis": r.why_code, "times": r.times}
