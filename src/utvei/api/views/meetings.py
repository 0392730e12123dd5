"""cases/{id}/meetings/ and meetings/{id}/: case meetings and their decisions. Every read and write is audited.

A coordinator or caseworker who may not read a meeting's minutes gets a restricted marker (with the decisions,
which are the team's tasks); a mentor sees the meetings they take part in and their own decisions; anyone else
gets 404. Writes follow access.meetings: the organisation that called a meeting changes it, records it as held,
cancels it and records its decisions; a decision's state changes through its task (its owner or a coordinator).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.audit.models import Action
from utvei.cases import selectors as case_selectors
from utvei.core.errors import Conflict
from utvei.meetings import selectors, services
from utvei.meetings.models import MeetingDecision
from utvei.meetings.selectors import MeetingAccess

from ..fields import VersionQuery
from ..schema import PAGE_PARAMETERS, errors, page_of
from ..serializers_meetings import (
    DecisionSerializer,
    HoldSerializer,
    MeetingSerializer,
    MeetingSummarySerializer,
    VersionSerializer,
)
from .base import ApiView, conflict


def render_meeting(ma: MeetingAccess) -> dict[str, Any]:
    context = {
        "view": ma.view.value,
        "readable": ma.readable,
        "details": ma.details,
        "attendees": ma.attendees if ma.details else [],
        "decisions": [r.decision for r in ma.decisions],
    }
    return dict(MeetingSerializer(ma.meeting, context=context).data)


def render_summary(ma: MeetingAccess) -> dict[str, Any]:
    context = {"view": ma.view.value, "restricted": not ma.readable, "decisions": len(ma.decisions)}
    return dict(MeetingSummarySerializer(ma.meeting, context=context).data)


def render_decision(decision: MeetingDecision) -> dict[str, Any]:
    return dict(DecisionSerializer(decision).data)


def _meeting(actor: Any, meeting_id: uuid.UUID, *, audit: bool = True) -> MeetingAccess:
    return selectors.meeting_get(actor=actor, meeting_id=meeting_id, audit=audit)


def _fresh(actor: Any, ma: MeetingAccess) -> MeetingAccess:
    return _meeting(actor, ma.meeting.public_id, audit=False)


def _attendees(v: dict[str, Any]) -> Any:
    if "attendees" not in v:
        return None
    return [(a.get("user"), a.get("organisation")) for a in v["attendees"]]


_FIELDS = (
    "kind",
    "starts_at",
    "place",
    "agenda",
    "minutes",
    "classification",
    "category",
    "person_present",
    "guardian_present",
)


def _fields(v: dict[str, Any]) -> dict[str, Any]:
    return {k: v[k] for k in _FIELDS if k in v}


class CaseMeetingListView(ApiView):
    @extend_schema(
        operation_id="meetings_list",
        summary="The meetings of a case",
        description=(
            "Newest first, without agenda, minutes or attendees. Meetings whose minutes you may not read are marked "
            "`restricted: true`. A mentor gets the meetings they take part in or own a decision of. One "
            "`meeting.list` event."
        ),
        parameters=PAGE_PARAMETERS,
        responses={200: page_of("MeetingPage", MeetingSummarySerializer(many=True)), **errors(401, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        ca = case_selectors.case_get(actor=self.actor, case_id=case_id, audit_action=Action.MEETING_LIST)
        return self.page(selectors.case_meetings(ca), render_summary)

    @extend_schema(
        operation_id="meetings_create",
        summary="Call a meeting",
        description=(
            "Coordinators and caseworkers with a full relation to the case. Needs `kind` and `starts_at`; the "
            "meeting starts as a draft (planned). Classify the agenda and minutes (`classification`, default team; "
            "`category`, default plan) only into compartments your organisation may read."
        ),
        request=MeetingSerializer,
        responses={201: MeetingSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        ca = case_selectors.case_get(actor=actor, case_id=case_id, audit=False)
        v = self.parse(MeetingSerializer)
        fields = _fields(v)
        fields.pop("minutes", None)  # the minutes are written after the meeting
        meeting = services.meeting_create(actor=actor, case=ca.case, attendees=_attendees(v) or (), **fields)
        return Response(render_meeting(_meeting(actor, meeting.public_id, audit=False)), status=201)


class MeetingDetailView(ApiView):
    @extend_schema(
        operation_id="meetings_retrieve",
        summary="One meeting",
        description=(
            "`view: full` for coordinators and caseworkers who may read the minutes; `marker` for those who may not "
            "(kind, date, status, organiser and the decisions); `mentor` for a mentor who takes part (the agenda and "
            "minutes only when their classification admits mentors); `owner` for a mentor who owns one of its "
            "decisions. One `meeting.view` event."
        ),
        responses={200: MeetingSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, meeting_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        return Response(render_meeting(_meeting(self.actor, meeting_id)))

    @extend_schema(
        operation_id="meetings_partial_update",
        summary="Change a meeting",
        description=(
            "Send `version` and the fields to change; `attendees` replaces the list. The organisation that called "
            "the meeting, while it is planned or held (a correction; every version is kept). A stale version gives "
            "409 with the saved meeting in `current`."
        ),
        request=MeetingSerializer,
        responses={200: MeetingSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, meeting_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        ma = _meeting(actor, meeting_id, audit=False)
        v = self.parse(MeetingSerializer, partial=True)
        try:
            services.meeting_update(
                actor=actor, meeting=ma.meeting, expected_version=v["version"], attendees=_attendees(v), **_fields(v)
            )
        except Conflict as exc:
            return conflict(exc, render_meeting(_fresh(actor, ma)))
        return Response(render_meeting(_fresh(actor, ma)))


class MeetingHoldView(ApiView):
    @extend_schema(
        operation_id="meetings_hold",
        summary="Record a planned meeting as held",
        description=(
            "Send `version` and any last changes (the minutes above all). Needs minutes (400 meeting_incomplete) and "
            "a start that has passed. Every proposed decision becomes a task on the case. 409 meeting_not_draft when "
            "it is held or cancelled already; a stale version gives 409 with the meeting."
        ),
        request=HoldSerializer,
        responses={200: MeetingSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, meeting_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        ma = _meeting(actor, meeting_id, audit=False)
        v = self.parse(HoldSerializer, partial=True)
        try:
            services.meeting_hold(
                actor=actor, meeting=ma.meeting, expected_version=v["version"], attendees=_attendees(v), **_fields(v)
            )
        except Conflict as exc:
            return conflict(exc, render_meeting(_fresh(actor, ma)))
        return Response(render_meeting(_fresh(actor, ma)))


class MeetingCancelView(ApiView):
    @extend_schema(
        operation_id="meetings_cancel",
        summary="Cancel a planned meeting",
        description="Send `version`. The meeting is kept; its proposed decisions never become tasks.",
        request=VersionSerializer,
        responses={200: MeetingSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, meeting_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        ma = _meeting(actor, meeting_id, audit=False)
        v = self.parse(VersionSerializer)
        try:
            services.meeting_cancel(actor=actor, meeting=ma.meeting, expected_version=v["version"])
        except Conflict as exc:
            return conflict(exc, render_meeting(_fresh(actor, ma)))
        return Response(render_meeting(_fresh(actor, ma)))


# ---- Decisions -----------------------------------------------------------------------------------------


class DecisionListView(ApiView):
    @extend_schema(
        operation_id="meeting_decisions_list",
        summary="The decisions of a meeting",
        description="Coordinators and caseworkers: every decision; a mentor: their own. One `meeting.view` event.",
        parameters=PAGE_PARAMETERS,
        responses={200: page_of("MeetingDecisionPage", DecisionSerializer(many=True)), **errors(401, 404)},
    )
    def get(self, request: Request, meeting_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        ma = _meeting(self.actor, meeting_id)
        return self.page([r.decision for r in ma.decisions], render_decision)

    @extend_schema(
        operation_id="meeting_decisions_create",
        summary="Record a decision",
        description=(
            "`text`, `due_on` and an owner: `owner_user` (on the team) and/or `owner_organisation` (on the team). "
            "On a held meeting it becomes a task at once; on a planned one, when the meeting is recorded as held."
        ),
        request=DecisionSerializer,
        responses={201: DecisionSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, meeting_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        ma = _meeting(actor, meeting_id, audit=False)
        v = self.parse(DecisionSerializer)
        if "status" in v:
            raise serializers.ValidationError({"status": [_("A new decision has no status yet.")]}, code="rule")
        decision = services.decision_add(
            actor=actor,
            meeting=ma.meeting,
            text=v["text"],
            due_on=v["due_on"],
            owner_user=v.get("owner_user"),
            owner_org=v.get("owner_org"),
        )
        fresh = _fresh(actor, ma)
        return Response(render_decision(selectors.decision_in(fresh, decision.public_id)), status=201)


class DecisionDetailView(ApiView):
    @extend_schema(
        operation_id="meeting_decisions_retrieve",
        summary="One decision",
        responses={200: DecisionSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, meeting_id: uuid.UUID, decision_id: uuid.UUID, **kw: Any) -> Response:
        ma = _meeting(self.actor, meeting_id)
        return Response(render_decision(selectors.decision_in(ma, decision_id)))

    @extend_schema(
        operation_id="meeting_decisions_partial_update",
        summary="Change a decision, or its state",
        description=(
            "Only `status` (open, done, cancelled): its owner (a mentor too) or a coordinator, once it is a task. "
            "Text, owner or due date: the organisation that called the meeting, with `version`; the task follows. "
            "A stale version gives 409 with the saved decision."
        ),
        request=DecisionSerializer,
        responses={200: DecisionSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, meeting_id: uuid.UUID, decision_id: uuid.UUID, **kw: Any) -> Response:
        actor = self.actor
        ma = _meeting(actor, meeting_id, audit=False)
        decision = selectors.decision_in(ma, decision_id)
        v = dict(self.parse(DecisionSerializer, partial=True))
        if "version" not in v:
            raise serializers.ValidationError({"version": [_("This field is required.")]}, code="required")
        if "status" in v:
            if set(v) != {"status", "version"}:
                raise serializers.ValidationError(
                    {"status": [_("Change the status alone, without other fields.")]}, code="rule"
                )
            try:
                services.decision_set_status(
                    actor=actor, decision=decision, status=v["status"], expected_version=v["version"]
                )
            except Conflict as exc:
                return conflict(exc, render_decision(selectors.decision_in(_fresh(actor, ma), decision_id)))
        else:
            owner_given = "owner_user" in v or "owner_org" in v
            try:
                services.decision_update(
                    actor=actor,
                    decision=decision,
                    expected_version=v["version"],
                    text=v.get("text", decision.text),
                    due_on=v.get("due_on", decision.due_on),
                    owner_user=v.get("owner_user") if owner_given else decision.owner_user,
                    owner_org=v.get("owner_org") if owner_given else decision.owner_org,
                )
            except Conflict as exc:
                return conflict(exc, render_decision(selectors.decision_in(_fresh(actor, ma), decision_id)))
        return Response(render_decision(selectors.decision_in(_fresh(actor, ma), decision_id)))

    @extend_schema(
        operation_id="meeting_decisions_destroy",
        summary="Remove a proposed decision",
        description=(
            "Send ?version= (the decision's, as you read it). Only from a planned meeting; a decision in force is "
            "ended by cancelling it (409 otherwise)."
        ),
        parameters=[VersionQuery],
        responses={204: None, **errors(400, 401, 403, 404, 409)},
    )
    def delete(self, request: Request, meeting_id: uuid.UUID, decision_id: uuid.UUID, **kw: Any) -> Response:
        actor = self.actor
        ma = _meeting(actor, meeting_id, audit=False)
        decision = selectors.decision_in(ma, decision_id)
        version = self.query(VersionQuery)["version"]
        try:
            services.decision_remove(actor=actor, decision=decision, expected_version=version)
        except Conflict as exc:
            return conflict(exc, render_decision(selectors.decision_in(_fresh(actor, ma), decision_id)))
        return Response(status=204)
