"""The data protection officer's oversight (docs/oversight.md): the unusual-access queue and its review (alerts/),
and the per-person access report (access-reports/). Other roles, and alerts or persons outside the DPO's scope: 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.access.oversight import oversees
from utvei.core.errors import NotFound
from utvei.oversight import alerts, report

from ..schema import PAGE_PARAMETERS, errors, page_of
from ..serializers_oversight import (
    AccessReportRowSerializer,
    AlertFilterSerializer,
    AlertReviewSerializer,
    AlertSerializer,
    PersonFoundSerializer,
    PersonSearchSerializer,
    render_alert,
)
from .base import ApiView


def _render_page(items: list[Any]) -> None:
    refs = alerts.case_references(items)
    for a in items:
        a.case_reference = refs.get(a.case_public_id, "")


def _render(a: Any) -> dict[str, Any]:
    return render_alert(a, alerts.title(a), getattr(a, "case_reference", ""))


class AlertListView(ApiView):
    @extend_schema(
        operation_id="alert_list",
        summary="The unusual-access queue",
        description=(
            "Data protection officers: the alerts about their organisation's staff and about the cases it owns, "
            "oldest waiting first. Each is a hit of a rule in oversight/data/alert_rules.yaml with its counts — "
            "not a score of a person. One `alert.view` audit event. Other roles: 404."
        ),
        parameters=[AlertFilterSerializer, *PAGE_PARAMETERS],
        responses={200: page_of("AlertPage", AlertSerializer(many=True)), **errors(400, 401, 404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        if not oversees(actor):  # not a DPO: 404 whatever the filter
            raise NotFound(_("Not found."))
        f = self.query(AlertFilterSerializer)
        return self.page(alerts.alert_queue(actor=actor, status=f["status"]), _render, _render_page)


class AlertDetailView(ApiView):
    @extend_schema(
        operation_id="alert_detail",
        summary="One unusual-access alert",
        description="In the DPO's queue only; anything else is 404. Audited (`alert.view`).",
        responses={200: AlertSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, alert_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        alert = alerts.alert_get(actor=self.actor, alert_id=alert_id)
        _render_page([alert])
        return Response(_render(alert))


class AlertReviewView(ApiView):
    @extend_schema(
        operation_id="alert_review",
        summary="Review an unusual-access alert",
        description=(
            "`decision`: justified, not_justified or follow_up (referred for follow-up); a `note` is required "
            "unless justified and is stored encrypted. Reviewing twice is 409 (the first review stands)."
        ),
        request=AlertReviewSerializer,
        responses={200: AlertSerializer, **errors(400, 401, 404, 409, 422)},
    )
    def post(self, request: Request, alert_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        alert = alerts.alert_get(actor=actor, alert_id=alert_id, audit=False)
        v = self.parse(AlertReviewSerializer)
        alert = alerts.alert_review(actor=actor, alert=alert, decision=v["decision"], note=v["note"])
        _render_page([alert])
        return Response(_render(alert))


class AccessReportSearchView(ApiView):
    @extend_schema(
        operation_id="access_report_search",
        summary="Find the person an access report is about",
        description=(
            "Data protection officers. The query is sent in the body, so that no name or identity number is in an "
            "address: a case or person reference, an identity number (audited as `person.lookup`) or a name. "
            "Returns the persons in the DPO's scope that match (ids and references only)."
        ),
        request=PersonSearchSerializer,
        responses={200: PersonFoundSerializer(many=True), **errors(400, 401, 404)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        if not oversees(actor):  # not a DPO: 404 whatever the body
            raise NotFound(_("Not found."))
        v = self.parse(PersonSearchSerializer)
        found = report.person_find(actor=actor, query=v["person"])
        return Response([dict(PersonFoundSerializer(p).data) for p in found])


class AccessReportView(ApiView):
    @extend_schema(
        operation_id="access_report",
        summary="The access report on one person",
        description=(
            "Every read and write of the person's data in the DPO's scope, newest first: when, user and "
            "organisation, the action, the case and the basis (team, coordinator, referral, emergency …). Reading "
            "it is audited (`access.report`)."
        ),
        parameters=PAGE_PARAMETERS,
        responses={200: page_of("AccessReportPage", AccessReportRowSerializer(many=True)), **errors(400, 401, 404)},
    )
    def get(self, request: Request, person_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        person = report.person_get(actor=actor, person_id=person_id)
        result = report.access_report(actor=actor, person=person, kind="api")
        rows: dict[int, Any] = {}

        def prepare(items: list[dict[str, Any]]) -> None:
            rows.update({r.seq: r for r in report.report_rows(items, result.cases)})

        def render(e: dict[str, Any]) -> dict[str, Any]:
            return dict(AccessReportRowSerializer(rows[e["seq"]]).data)

        return self.page(report.report_page_values(result.events), render, prepare)
