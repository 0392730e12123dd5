"""cases/{id}/team/: who works on the case, adding members and ending their membership."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.access import policy
from utvei.access.policy import Act
from utvei.audit.models import Action
from utvei.cases import selectors, services
from utvei.core.errors import Forbidden

from ..fields import OrganisationField, Text
from ..schema import PAGE_PARAMETERS, errors, page_of
from ..serializers import TeamMemberSerializer
from .base import ApiView


class TeamView(ApiView):
    @extend_schema(
        operation_id="team_list",
        summary="The case team",
        description=(
            "Current members: username, name, organisation slug and role in the case. A member from a service whose "
            "very membership you have no basis to know of (health, police, correctional: the sharing gate) is left "
            "out; `restricted_membership` is then true: a service with restricted membership takes part."
        ),
        parameters=PAGE_PARAMETERS,
        responses={
            200: page_of(
                "TeamPage",
                TeamMemberSerializer(many=True),
                restricted_membership=serializers.BooleanField(
                    help_text=_("True: a service with restricted membership takes part; its members are not listed.")
                ),
            ),
            **errors(401, 404),
        },
    )
    def get(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        ca = selectors.case_get(actor=self.actor, case_id=case_id, audit_action=Action.TEAM_VIEW)
        team = selectors.team_list(ca)
        response = self.page(team, lambda m: TeamMemberSerializer(m).data)
        response.data["restricted_membership"] = team.restricted
        return response

    @extend_schema(
        operation_id="team_add",
        summary="Add a team member",
        description=(
            "Coordinators. The user must have a current membership in the organisation whose role can work "
            "on cases; mentors join in the mentor role."
        ),
        request=TeamMemberSerializer,
        responses={201: TeamMemberSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        ca = selectors.case_get(actor=actor, case_id=case_id, audit=False)
        v = self.parse(TeamMemberSerializer)
        member = services.team_add(
            actor=actor, case=ca.case, user=v["user"], organisation=v["organisation"], role=v["role"]
        )
        return Response(TeamMemberSerializer(member).data, status=201)


class CandidateQuery(serializers.Serializer):
    organisation = OrganisationField(help_text=_("Slug of the organisation to find people in."))
    q = Text(max_length=100, required=False, help_text=_("Part of the name or the username; leave out for everyone."))


class CandidateSerializer(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    name = serializers.CharField(source="user.get_full_name")
    organisation = serializers.CharField(source="organisation.slug")
    role = serializers.CharField(help_text=_("Their role in the organisation."))


class TeamCandidatesView(ApiView):
    @extend_schema(
        operation_id="team_candidates",
        summary="People who may be added to the team",
        description=(
            "Coordinators who may change the team: the current members of the organisation, in a role that works on "
            "cases, with active accounts and not on the team already, whose name or username holds every word of "
            "`q`. At most 20. Then POST cases/{id}/team/ with the username (issue 14)."
        ),
        parameters=[CandidateQuery],
        responses={
            200: inline_serializer("TeamCandidates", {"results": CandidateSerializer(many=True)}),
            **errors(400, 401, 403, 404, 422),
        },
    )
    def get(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        ca = selectors.case_get(actor=self.actor, case_id=case_id, audit=False)
        decision = policy.can(self.actor, Act.TEAM_MANAGE, ca)
        if not decision:
            raise Forbidden(decision.reason)
        f = self.query(CandidateQuery)
        found = policy.team_candidates(ca, f["organisation"], f.get("q", ""))
        return Response({"results": [CandidateSerializer(m).data for m in found]})


class TeamMemberView(ApiView):
    @extend_schema(
        operation_id="team_end",
        summary="End a team membership",
        description="Coordinators. The membership is ended, not deleted: the history keeps it.",
        request=None,
        responses={200: TeamMemberSerializer, **errors(401, 403, 404)},
    )
    def delete(self, request: Request, case_id: uuid.UUID, member_id: int, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        ca = selectors.case_get(actor=actor, case_id=case_id, audit=False)
        member = next((m for m in selectors.team_list(ca) if m.pk == member_id), None)
        if member is None:
            raise NotFound()
        ended = services.team_end(actor=actor, member=member)
        return Response(TeamMemberSerializer(ended).data)
