"""tasks/: my tasks, creating a task on a case, reading one and setting its status."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.cases import selectors, services
from utvei.core.errors import Conflict

from ..schema import PAGE_PARAMETERS, errors, page_of
from ..serializers import TaskFilterSerializer, TaskSerializer, TaskStatusSerializer
from .base import ApiView, conflict


class TaskListView(ApiView):
    @extend_schema(
        operation_id="tasks_list",
        summary="My tasks",
        description="Open tasks assigned to you on cases you can see, soonest due first; ?done=1 for all.",
        parameters=[TaskFilterSerializer, *PAGE_PARAMETERS],
        responses={200: page_of("TaskPage", TaskSerializer(many=True)), **errors(400, 401)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        f = self.query(TaskFilterSerializer)
        qs = selectors.my_tasks(actor=self.actor, include_done=f["done"], audit=True)
        return self.page(qs, lambda t: TaskSerializer(t).data)

    @extend_schema(
        operation_id="tasks_create",
        summary="Create a task on a case",
        description="The assignee must be on the case team. The creator comes from your token.",
        request=TaskSerializer,
        responses={201: TaskSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        v = self.parse(TaskSerializer)
        ca = selectors.case_get(actor=actor, case_id=v["case"], audit=False)
        task = services.task_create(
            actor=actor, case=ca.case, title=v["title"], assignee=v.get("assignee"), due_on=v.get("due_on")
        )
        return Response(TaskSerializer(task).data, status=201)


class TaskDetailView(ApiView):
    @extend_schema(
        operation_id="tasks_retrieve",
        summary="One task",
        responses={200: TaskSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, task_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        task, _ca = selectors.task_get(actor=self.actor, task_id=task_id)
        return Response(TaskSerializer(task).data)

    @extend_schema(
        operation_id="tasks_partial_update",
        summary="Set a task's status",
        description="The assignee or a coordinator.",
        request=TaskStatusSerializer,
        responses={200: TaskSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, task_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        task, _ca = selectors.task_get(actor=actor, task_id=task_id, audit=False)
        v = self.parse(TaskStatusSerializer)
        try:
            task = services.task_set_status(actor=actor, task=task, status=v["status"], expected_version=v["version"])
        except Conflict as exc:
            return conflict(exc, TaskSerializer(exc.current).data)
        return Response(TaskSerializer(task).data)
