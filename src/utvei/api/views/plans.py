"""cases/{id}/plans/: individual plans, their goals (with ratings) and items. Every read and write is audited.

A mentor on the team gets the approved plan in force only, with its goals and the items assigned to them; other
versions do not exist for them (404). A team member whose organisation has no basis to read the plan gets a
restricted marker. Writes follow access.plans: coordinators and caseworkers draft, coordinators approve, the person
responsible for an item (a mentor too) updates its status.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.access.plans import plan_actions
from utvei.audit.models import Action
from utvei.cases import selectors as case_selectors
from utvei.core.errors import Conflict, NotFound
from utvei.plans import selectors, services
from utvei.plans.models import Goal, PlanItem
from utvei.plans.selectors import PlanAccess

from ..fields import VersionQuery
from ..schema import PAGE_PARAMETERS, errors, page_of
from ..serializers_plans import (
    ApproveSerializer,
    GoalSerializer,
    ItemSerializer,
    PlanMarkerSerializer,
    PlanSerializer,
    PlanSummarySerializer,
    RatingSerializer,
    ReviewSerializer,
)
from .base import ApiView, conflict


def _plan_or_marker() -> PolymorphicProxySerializer:
    return PolymorphicProxySerializer(
        component_name="PlanOrMarker", serializers=[PlanSerializer, PlanMarkerSerializer], resource_type_field_name=None
    )


def render_plan(pa: PlanAccess) -> dict[str, Any]:
    """The plan as the caller may see it, with what they may do to it: the same answers as the plan page
    (access.plans.plan_actions; plans.views_plan.plan_context)."""
    if not pa.readable:
        return dict(PlanMarkerSerializer(pa.plan).data)
    content = selectors.plan_content(pa)
    actions = plan_actions(pa.ca, pa.plan, draft_exists=selectors.draft_exists(pa.ca))
    return dict(PlanSerializer(pa.plan, context={"view": pa.view.value, "content": content, "actions": actions}).data)


def render_summary(pa: PlanAccess) -> dict[str, Any]:
    return dict(PlanSummarySerializer(pa.plan, context={"restricted": not pa.readable}).data)


def render_goal(pa: PlanAccess, goal: Goal) -> dict[str, Any]:
    return dict(GoalSerializer(goal, context={"view": pa.view}).data)


def render_item(pa: PlanAccess, item: PlanItem) -> dict[str, Any]:
    return dict(ItemSerializer(item, context={"access": pa}).data)


def _readable(actor: Any, case_id: uuid.UUID, plan_id: uuid.UUID, *, audit: bool = True) -> PlanAccess:
    pa = selectors.plan_get(actor=actor, case_id=case_id, plan_id=plan_id, audit=audit)
    if not pa.readable:
        raise NotFound(_("The plan was not found."))
    return pa


def _fresh(actor: Any, pa: PlanAccess) -> PlanAccess:
    return selectors.plan_get(actor=actor, case_id=pa.ca.case.public_id, plan_id=pa.plan.public_id, audit=False)


class PlanListView(ApiView):
    @extend_schema(
        operation_id="plans_list",
        summary="The versions of a case's plan",
        description=(
            "Newest first, without goals or items. Versions you may not read are marked `restricted: true`. A "
            "mentor gets only the approved plan in force. One `plan.list` event."
        ),
        parameters=PAGE_PARAMETERS,
        responses={200: page_of("PlanPage", PlanSummarySerializer(many=True)), **errors(401, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        ca = case_selectors.case_get(actor=self.actor, case_id=case_id, audit_action=Action.PLAN_LIST)
        return self.page(selectors.case_plans(ca), render_summary)

    @extend_schema(
        operation_id="plans_create",
        summary="Start the plan, or a new version of it",
        description=(
            "Coordinators and caseworkers on the case. With no plan: an empty draft (version 1). With an approved "
            "plan: a draft copied from it (goals, ratings and items). 409 when a draft exists already."
        ),
        request=None,
        responses={201: PlanSerializer, **errors(401, 403, 404, 409)},
    )
    def post(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        ca = case_selectors.case_get(actor=actor, case_id=case_id, audit=False)
        plan = services.plan_create(actor=actor, case=ca.case)
        pa = selectors.plan_get(actor=actor, case_id=case_id, plan_id=plan.public_id, audit=False)
        return Response(render_plan(pa), status=201)


class PlanDetailView(ApiView):
    @extend_schema(
        operation_id="plans_retrieve",
        summary="One version of the plan",
        description=(
            "`view: full` for coordinators and caseworkers; `view: mentor` for a mentor: the goals (ratings without "
            "notes) and the items assigned to them. A restricted marker when your organisation may not read it."
        ),
        responses={200: _plan_or_marker(), **errors(401, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, plan_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        return Response(render_plan(selectors.plan_get(actor=self.actor, case_id=case_id, plan_id=plan_id)))

    @extend_schema(
        operation_id="plans_partial_update",
        summary="Change a draft",
        description=(
            "Send `version` with participation, participation_note, classification (participant, mentor or team) "
            "or review_due. Drafts only (409 plan_not_draft otherwise). A stale version gives 409 with the plan."
        ),
        request=PlanSerializer,
        responses={200: PlanSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, case_id: uuid.UUID, plan_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        pa = _readable(actor, case_id, plan_id, audit=False)
        v = self.parse(PlanSerializer, partial=True)
        try:
            services.plan_update(
                actor=actor,
                plan=pa.plan,
                expected_version=v["version"],
                participation=v.get("participation"),
                participation_note=v.get("participation_note"),
                classification=v.get("classification"),
                review_due=v.get("review_due"),
            )
        except Conflict as exc:
            return conflict(exc, render_plan(_fresh(actor, pa)))
        return Response(render_plan(_fresh(actor, pa)))


class PlanApproveView(ApiView):
    @extend_schema(
        operation_id="plans_approve",
        summary="Approve the draft",
        description=(
            "Coordinators. The draft needs a goal and a participation record (and a reason when the person did not "
            "take part): 400 plan_incomplete. The approved plan before it is superseded. The first review is due "
            "in three months unless you give `review_due`. A stale `version` gives 409."
        ),
        request=ApproveSerializer,
        responses={200: PlanSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, case_id: uuid.UUID, plan_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        pa = _readable(actor, case_id, plan_id, audit=False)
        v = self.parse(ApproveSerializer)
        try:
            services.plan_approve(actor=actor, plan=pa.plan, expected_version=v["version"], review_due=v["review_due"])
        except Conflict as exc:
            return conflict(exc, render_plan(_fresh(actor, pa)))
        return Response(render_plan(_fresh(actor, pa)))


class PlanReviewView(ApiView):
    @extend_schema(
        operation_id="plans_review",
        summary="Record a review of the plan in force",
        description="Sets the next review (default: three months after this one).",
        request=ReviewSerializer,
        responses={201: PlanSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, case_id: uuid.UUID, plan_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        pa = _readable(actor, case_id, plan_id, audit=False)
        v = self.parse(ReviewSerializer)
        services.plan_review(
            actor=actor,
            plan=pa.plan,
            reviewed_on=v["reviewed_on"],
            next_review_due=v["next_review_due"],
            note=v["note"],
        )
        return Response(render_plan(_fresh(actor, pa)), status=201)


# ---- Goals ---------------------------------------------------------------------------------------------


class GoalListView(ApiView):
    @extend_schema(
        operation_id="plan_goals_list",
        summary="The goals of a plan",
        parameters=PAGE_PARAMETERS,
        responses={200: page_of("GoalPage", GoalSerializer(many=True)), **errors(401, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, plan_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        pa = _readable(self.actor, case_id, plan_id)
        goals = [row.goal for row in selectors.plan_content(pa).goals]
        return self.page(goals, lambda g: render_goal(pa, g))

    @extend_schema(
        operation_id="plan_goals_create",
        summary="Add a goal to a draft",
        request=GoalSerializer,
        responses={201: GoalSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, case_id: uuid.UUID, plan_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        pa = _readable(actor, case_id, plan_id, audit=False)
        v = self.parse(GoalSerializer)
        goal = services.goal_add(
            actor=actor, plan=pa.plan, text=v["text"], domain=v["domain"], target_date=v["target_date"]
        )
        return Response(render_goal(pa, goal), status=201)


class GoalDetailView(ApiView):
    @extend_schema(
        operation_id="plan_goals_retrieve",
        summary="One goal, with its ratings",
        responses={200: GoalSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, plan_id: uuid.UUID, goal_id: uuid.UUID, **kw: Any) -> Response:
        pa = _readable(self.actor, case_id, plan_id)
        return Response(render_goal(pa, selectors.goal_in(pa, goal_id)))

    @extend_schema(
        operation_id="plan_goals_partial_update",
        summary="Edit a goal of a draft",
        description="Send `version` and the fields to change. A stale version gives 409 with the saved goal.",
        request=GoalSerializer,
        responses={200: GoalSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def patch(
        self, request: Request, case_id: uuid.UUID, plan_id: uuid.UUID, goal_id: uuid.UUID, **kw: Any
    ) -> Response:
        actor = self.actor
        pa = _readable(actor, case_id, plan_id, audit=False)
        goal = selectors.goal_in(pa, goal_id)
        v = self.parse(GoalSerializer, partial=True)
        try:
            goal = services.goal_update(
                actor=actor,
                goal=goal,
                expected_version=v["version"],
                text=v.get("text", goal.text),
                domain=v.get("domain", goal.domain),
                target_date=v.get("target_date", goal.target_date),
            )
        except Conflict as exc:
            return conflict(exc, render_goal(pa, exc.current) if exc.current is not None else None)
        return Response(render_goal(pa, goal))

    @extend_schema(
        operation_id="plan_goals_destroy",
        summary="Remove a goal from a draft",
        description="Send ?version= (the goal's, as you read it). Items linked to it stay, unlinked.",
        parameters=[VersionQuery],
        responses={204: None, **errors(400, 401, 403, 404, 409)},
    )
    def delete(
        self, request: Request, case_id: uuid.UUID, plan_id: uuid.UUID, goal_id: uuid.UUID, **kw: Any
    ) -> Response:
        actor = self.actor
        pa = _readable(actor, case_id, plan_id, audit=False)
        goal = selectors.goal_in(pa, goal_id)
        version = self.query(VersionQuery)["version"]
        try:
            services.goal_remove(actor=actor, goal=goal, expected_version=version)
        except Conflict as exc:
            return conflict(exc, render_goal(pa, exc.current) if exc.current is not None else None)
        return Response(status=204)


class GoalRatingView(ApiView):
    @extend_schema(
        operation_id="plan_goals_rate",
        summary="Rate a goal (−2…+2)",
        description="Drafts and the approved plan, not superseded versions. Returns the goal with its ratings.",
        request=RatingSerializer,
        responses={201: GoalSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, case_id: uuid.UUID, plan_id: uuid.UUID, goal_id: uuid.UUID, **kw: Any) -> Response:
        actor = self.actor
        pa = _readable(actor, case_id, plan_id, audit=False)
        goal = selectors.goal_in(pa, goal_id)
        v = self.parse(RatingSerializer)
        services.goal_rate(actor=actor, goal=goal, rating=v["rating"], rated_on=v["rated_on"], note=v["note"])
        return Response(render_goal(pa, selectors.goal_in(pa, goal_id)), status=201)


# ---- Items ---------------------------------------------------------------------------------------------


def _resolve(actor: Any, pa: PlanAccess, v: dict[str, Any], current: PlanItem | None = None) -> dict[str, Any]:
    """Item fields with objects in place of keys; missing fields keep the current item's values."""
    out: dict[str, Any] = {}
    if "measure" in v:
        try:
            out["measure"] = selectors.measure_get(actor=actor, key=v["measure"]["key"])
        except NotFound:
            raise serializers.ValidationError(
                {"measure": [_("There is no measure with that key.")]}, code="rule"
            ) from None
    elif current is not None:
        out["measure"] = current.measure
    if "goal" in v:
        try:
            out["goal"] = selectors.goal_in(pa, v["goal"]) if v["goal"] else None
        except NotFound:
            raise serializers.ValidationError(
                {"goal": [_("Give the id of a goal of this plan.")]}, code="rule"
            ) from None
    elif current is not None:
        out["goal"] = current.goal
    for name in ("responsible_org", "responsible_user", "start_on", "end_on", "status", "note"):
        if name in v:
            out[name] = v[name]
        elif current is not None:
            out[name] = getattr(current, name)
    if v.get("sessions_planned") is not None:
        out["sessions_planned"] = v["sessions_planned"]
    return out


class ItemListView(ApiView):
    @extend_schema(
        operation_id="plan_items_list",
        summary="The items of a plan",
        description="A mentor gets the items assigned to them only.",
        parameters=PAGE_PARAMETERS,
        responses={200: page_of("PlanItemPage", ItemSerializer(many=True)), **errors(401, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, plan_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        pa = _readable(self.actor, case_id, plan_id)
        return self.page(selectors.plan_content(pa).items, lambda i: render_item(pa, i))

    @extend_schema(
        operation_id="plan_items_create",
        summary="Add a measure to a draft",
        description=(
            "`measure` is a catalogue key. Name `responsible_user` (on the team) and/or `responsible_organisation`."
        ),
        request=ItemSerializer,
        responses={201: ItemSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, case_id: uuid.UUID, plan_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        pa = _readable(actor, case_id, plan_id, audit=False)
        fields = _resolve(actor, pa, self.parse(ItemSerializer))
        item = services.item_add(actor=actor, plan=pa.plan, **fields)
        return Response(render_item(pa, selectors.item_in(pa, item.public_id)), status=201)


class ItemDetailView(ApiView):
    @extend_schema(
        operation_id="plan_items_retrieve",
        summary="One plan item",
        responses={200: ItemSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, plan_id: uuid.UUID, item_id: uuid.UUID, **kw: Any) -> Response:
        pa = _readable(self.actor, case_id, plan_id)
        return Response(render_item(pa, selectors.item_in(pa, item_id)))

    @extend_schema(
        operation_id="plan_items_partial_update",
        summary="Change a plan item",
        description=(
            "Only `status`, `note`, `stop_reason` and `sessions_held` (the exposure evaluation counts): the "
            "person responsible (a mentor too) or the plan's writers, on a draft or the approved plan."
            " Any other field: drafts only. Always with `version`; a stale one gives 409."
        ),
        request=ItemSerializer,
        responses={200: ItemSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def patch(
        self, request: Request, case_id: uuid.UUID, plan_id: uuid.UUID, item_id: uuid.UUID, **kw: Any
    ) -> Response:
        actor = self.actor
        pa = _readable(actor, case_id, plan_id, audit=False)
        item = selectors.item_in(pa, item_id)
        v = dict(self.parse(ItemSerializer, partial=True))
        if "version" not in v:
            raise serializers.ValidationError({"version": [_("This field is required.")]}, code="required")
        try:
            if set(v) <= {"status", "note", "version", "stop_reason", "sessions_held"}:
                services.item_set_status(
                    actor=actor,
                    item=item,
                    status=v.get("status", item.status),
                    note=v.get("note"),
                    expected_version=v["version"],
                    stop_reason=v.get("stop_reason") or None,
                    sessions_held=v.get("sessions_held"),
                )
            else:
                services.item_update(
                    actor=actor, item=item, expected_version=v["version"], **_resolve(actor, pa, v, item)
                )
        except Conflict as exc:
            return conflict(exc, render_item(pa, selectors.item_in(pa, item_id)))
        return Response(render_item(pa, selectors.item_in(pa, item_id)))

    @extend_schema(
        operation_id="plan_items_destroy",
        summary="Remove a measure from a draft",
        description="Send ?version= (the item's, as you read it).",
        parameters=[VersionQuery],
        responses={204: None, **errors(400, 401, 403, 404, 409)},
    )
    def delete(
        self, request: Request, case_id: uuid.UUID, plan_id: uuid.UUID, item_id: uuid.UUID, **kw: Any
    ) -> Response:
        actor = self.actor
        pa = _readable(actor, case_id, plan_id, audit=False)
        item = selectors.item_in(pa, item_id)
        version = self.query(VersionQuery)["version"]
        try:
            services.item_remove(actor=actor, item=item, expected_version=version)
        except Conflict as exc:
            return conflict(exc, render_item(pa, selectors.item_in(pa, item_id)))
        return Response(status=204)
