"""me/: the person's own page in the API (docs/participant.md). Signed in with the web session of a participant
account (with its second factor); a write needs the session's CSRF token. Anyone else gets 404, as for something
that does not exist."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.access.participant import participant_account
from utvei.accounts.middleware import user_has_mfa
from utvei.cases.models import ParticipantAccount
from utvei.core.errors import NotFound
from utvei.desk import participant as page
from utvei.evaluation.services import self_report_record
from utvei.plans.services import goal_rate_by_person
from utvei.sharing.consent.services import consent_withdraw_by_person

from ..auth import BearerTokenAuthentication
from ..schema import errors
from ..serializers_participant import (
    MyAnswerSerializer,
    MyAppointmentSerializer,
    MyConsentSerializer,
    MyDocumentSerializer,
    MyEntrySerializer,
    MyIndicatorSerializer,
    MyLogRowSerializer,
    MyPageSerializer,
    MyPlanSerializer,
    MyRateSerializer,
    MyRatingSerializer,
    appointment_data,
    consent_data,
    document_data,
    entry_data,
    indicator_data,
    log_data,
    plan_data,
)
from .base import ApiView

TAG = ["me"]


class ParticipantSessionAuthentication(SessionAuthentication):
    """The web session, for the person's own account only (with its CSRF check): staff use the API with tokens, so
    a staff member's web session is not signed in here, as everywhere else in the API."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        found = super().authenticate(request)
        if found is None or not getattr(found[0], "is_participant", False):
            return None
        return found


class MeView(ApiView):
    """The participant's own account, from the web session; 404 for anyone else."""

    def get_authenticators(self) -> list[BaseAuthentication]:
        # The web session of the person; a staff token authenticates too, and finds nothing here (404).
        return [BearerTokenAuthentication(), ParticipantSessionAuthentication()]  # the first names the 401 challenge

    @property
    def account(self) -> ParticipantAccount:
        user = self.request.user
        found = participant_account(user)
        if found is None:
            raise NotFound(_("Not found."))
        if not settings.DEMO and not user_has_mfa(user):
            raise exceptions.PermissionDenied(_("Set up a second factor on the web first."))
        return found


def _part(name: str, render: Callable[[ParticipantAccount], Any]) -> Callable[..., Response]:
    def get(self: MeView, request: Request, *args: Any, **kwargs: Any) -> Response:
        account = self.account
        page.audit_read(account, f"api:{name}")
        return Response(render(account))

    return get


class MeDetailView(MeView):
    @extend_schema(
        operation_id="me_retrieve",
        summary="My page: everything on it",
        description="The plan in force and its goals, appointments, what is written for you, documents, consents, "
        "the questions you may answer, and who has read your record and why.",
        tags=TAG,
        responses={200: MyPageSerializer, **errors(401, 403, 404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        account = self.account
        my = page.my_page(account)
        return Response(
            {
                "given_as": account.given_as,
                "plan": plan_data(my.plan),
                "appointments": [appointment_data(m) for m in my.appointments],
                "entries": [entry_data(e) for e in my.entries],
                "documents": [document_data(a) for a in my.documents],
                "consents": [consent_data(c) for c in my.consents],
                "indicators": [indicator_data(q) for q in my.indicators],
                "access_log": [log_data(r) for r in my.access_log],
            }
        )


def _schema(op: str, summary: str, response: Any) -> Any:
    return extend_schema(operation_id=op, summary=summary, tags=TAG, responses={200: response, **errors(401, 403, 404)})


class MePlanView(MeView):
    get = _schema("me_plan", "My plan: goals and measures", MyPlanSerializer)(
        _part("plan", lambda a: plan_data(page.plan_part(a)))
    )


class MeAppointmentsView(MeView):
    get = _schema("me_appointments", "My appointments", MyAppointmentSerializer(many=True))(
        _part("appointments", lambda a: [appointment_data(m) for m in page.appointments(a)])
    )


class MeEntriesView(MeView):
    get = _schema("me_entries", "Written for me to read", MyEntrySerializer(many=True))(
        _part("entries", lambda a: [entry_data(e) for e in page.entries(a)])
    )


class MeDocumentsView(MeView):
    get = _schema("me_documents", "My documents", MyDocumentSerializer(many=True))(
        _part("documents", lambda a: [document_data(d) for d in page.documents(a)])
    )


class MeConsentsView(MeView):
    get = _schema("me_consents", "My consents", MyConsentSerializer(many=True))(
        _part("consents", lambda a: [consent_data(c) for c in page.consents(a)])
    )


class MeIndicatorsView(MeView):
    get = _schema("me_indicators", "Questions I may answer", MyIndicatorSerializer(many=True))(
        _part("indicators", lambda a: [indicator_data(q) for q in page.indicators(a)])
    )


class MeAccessLogView(MeView):
    get = _schema("me_access_log", "Who has read my record, and why", MyLogRowSerializer(many=True))(
        _part("access_log", lambda a: [log_data(r) for r in page.access_log(a)])
    )


class MeGoalRateView(MeView):
    @extend_schema(
        operation_id="me_goal_rate",
        summary="Rate one of my goals",
        description="−2 … +2, today. Kept as your own rating beside the team's.",
        tags=TAG,
        request=MyRateSerializer,
        responses={201: MyRatingSerializer, **errors(400, 401, 403, 404, 422)},
    )
    def post(self, request: Request, goal_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        account = self.account
        v = self.parse(MyRateSerializer)
        row = goal_rate_by_person(account=account, goal_id=goal_id, rating=v["rating"])
        return Response({"rating": row.rating, "rated_on": row.rated_on, "by": "person"}, status=201)


class MeAnswerView(MeView):
    @extend_schema(
        operation_id="me_answer",
        summary="Answer a question about how things are going",
        description="A self-report indicator (see me/indicators/), today.",
        tags=TAG,
        request=MyAnswerSerializer,
        responses={201: MyIndicatorSerializer, **errors(400, 401, 403, 404, 422)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        account = self.account
        v = self.parse(MyAnswerSerializer)
        self_report_record(account=account, indicator_key=v["indicator"], value=v["value"])
        found = next(q for q in page.indicators(account) if q.indicator.key == v["indicator"])
        return Response(indicator_data(found), status=201)


class MeConsentWithdrawView(MeView):
    @extend_schema(
        operation_id="me_consent_withdraw",
        summary="Withdraw a consent I gave",
        description="It is withdrawn at once, as when the case lead records it; the case lead is told.",
        tags=TAG,
        request=None,
        responses={200: MyConsentSerializer, **errors(401, 403, 404, 409)},
    )
    def post(self, request: Request, consent_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        account = self.account
        consent_withdraw_by_person(account=account, consent_id=consent_id)
        found = next(c for c in page.consents(account) if c.consent.public_id == consent_id)
        return Response(consent_data(found))
