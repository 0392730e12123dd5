"""cases/{id}/network/…: the person's network — snapshots, comparisons, contacts and their observations.

Access follows access.network: without a relation to the case, 404; with one but no basis for the `network`
category, 403 `network_restricted` on the snapshot, the comparison and the contact list, and 404 for any single
contact; a contact outside the caller's compartments is never listed and is 404 on its own. Every read is one
audit event (`network.view`, `network.compare`, `network.list`, `contact.view`), every write one or two
(`contact.create` with the first `observation.create`, `contact.update`, `observation.create`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.audit.models import Action
from utvei.core.errors import Conflict
from utvei.core.validation import EARLIEST
from utvei.network import selectors, services
from utvei.network.selectors import ContactView, Network

from ..schema import PAGE_PARAMETERS, errors, page_of
from ..serializers_network import (
    CompareQuery,
    ComparisonSerializer,
    ContactSerializer,
    DateQuery,
    ObservationSerializer,
    SnapshotSerializer,
)
from .base import ApiView, conflict

RESTRICTED = "403 `network_restricted` when your organisation has no basis (consent or disclosure) for the network."


def render_contact(cv: ContactView, *, detail: bool = False) -> dict[str, Any]:
    context: dict[str, Any] = {"states": {cv.contact.pk: cv.state(timezone.localdate())}}
    if detail:
        context["observations"] = [ov.observation for ov in reversed(cv.observations)]
        context["readable_notes"] = {ov.observation.public_id for ov in cv.observations if ov.note_readable}
    return dict(ContactSerializer(cv.contact, context=context).data)


def render_observation(cv: ContactView, observation: Any) -> dict[str, Any]:
    readable = {ov.observation.public_id for ov in cv.observations if ov.note_readable}
    return dict(ObservationSerializer(observation, context={"readable_notes": readable}).data)


def _snapshot(network: Network, snapshot: Any) -> dict[str, Any]:
    data = dict(SnapshotSerializer(snapshot).data)
    data["case"] = str(network.case.public_id)
    return data


def _contact(actor: Any, case_id: uuid.UUID, contact_id: Any, *, audit: bool = True) -> tuple[Network, ContactView]:
    action = Action.CONTACT_VIEW if audit else None
    return selectors.contact_get(actor=actor, case_id=case_id, contact_id=contact_id, audit_action=action)


class NetworkSnapshotView(ApiView):
    @extend_schema(
        operation_id="network_retrieve",
        summary="The network on a date",
        description=(
            "Every tie you may see on `on` (default today): each contact in the state of its latest observation up "
            "to that date (ended ties left out), and the team's organisations as formal ties (valence unknown, "
            "outer ring, unless a contact linked to the organisation has been observed). With descriptive counts. "
            f"{RESTRICTED} One `network.view` event."
        ),
        parameters=[OpenApiParameter("on", OpenApiTypes.DATE, description="YYYY-MM-DD; default today.")],
        responses={200: SnapshotSerializer, **errors(400, 401, 403, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        on = self.query(DateQuery).get("on") or timezone.localdate()
        network = selectors.network_get(actor=self.actor, case_id=case_id)
        selectors.require_open(network)
        return Response(_snapshot(network, network.snapshot(on)))


class NetworkCompareView(ApiView):
    @extend_schema(
        operation_id="network_compare",
        summary="The network on two dates, and what changed",
        description=(
            "Both snapshots and the typed changes from `from` to `to`: `new` and `ended` ties, changed `valence`, "
            f"changed `closeness` (a tie that changed both is listed twice). {RESTRICTED} One `network.compare` event."
        ),
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="YYYY-MM-DD; default a year before `to`."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="YYYY-MM-DD; default today."),
        ],
        responses={200: ComparisonSerializer, **errors(400, 401, 403, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        q = self.query(CompareQuery)
        b = q.get("to") or timezone.localdate()
        a = q.get("from") or max(b - dt.timedelta(days=365), EARLIEST)
        if a > b:
            raise serializers.ValidationError(
                {"to": [_("The second date must be on or after the first.")]}, code="rule"
            )
        network = selectors.network_get(actor=self.actor, case_id=case_id, audit_action=Action.NETWORK_COMPARE)
        selectors.require_open(network)
        comparison = network.compare(a, b)
        data = dict(ComparisonSerializer(comparison).data)
        data["case"] = str(network.case.public_id)
        data["from"], data["to"] = a.isoformat(), b.isoformat()
        return Response(data)


class ContactListView(ApiView):
    @extend_schema(
        operation_id="network_contacts_list",
        summary="The contacts in the person's network",
        description=(
            "Every contact you may read, with its latest observation (`current`); live ties first. Ended ties are "
            f"listed too (`current.ended`). {RESTRICTED} One `network.list` event."
        ),
        parameters=PAGE_PARAMETERS,
        responses={200: page_of("NetworkContactPage", ContactSerializer(many=True)), **errors(401, 403, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        network = selectors.network_get(actor=self.actor, case_id=case_id, audit_action=Action.NETWORK_LIST)
        selectors.require_open(network)
        return self.page(network.current(), render_contact)

    @extend_schema(
        operation_id="network_contacts_create",
        summary="Add a contact, with the first observation",
        description=(
            "Coordinators and caseworkers with a full relation whose organisation has a basis for the network. "
            "`label` is a label or initials: anything that looks like an identity number or a date of birth is "
            "refused (400 `label_identifying`). `observation` holds the first observation of the tie."
        ),
        request=ContactSerializer,
        responses={201: ContactSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        network = selectors.network_get(actor=actor, case_id=case_id, audit_action=None)
        v = self.parse(ContactSerializer)
        first = dict(v["observation"])
        contact = services.contact_create(
            actor=actor,
            case=network.case,
            relation=v["relation"],
            label=v["label"],
            formal=v.get("formal"),
            organisation=v.get("organisation"),
            classification=v.get("classification", "team"),
            observed_on=first["observed_on"],
            valence=first["valence"],
            closeness=first["closeness"],
            frequency=first.get("frequency", ""),
            note=first.get("note", ""),
        )
        _network, cv = _contact(actor, case_id, contact.public_id, audit=False)
        return Response(render_contact(cv, detail=True), status=201)


class ContactDetailView(ApiView):
    @extend_schema(
        operation_id="network_contacts_retrieve",
        summary="One contact, with its observations",
        description="Observations newest first; a note you may not read is left out. One `contact.view` event.",
        responses={200: ContactSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, contact_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        _network, cv = _contact(self.actor, case_id, contact_id)
        return Response(render_contact(cv, detail=True))

    @extend_schema(
        operation_id="network_contacts_partial_update",
        summary="Change a contact",
        description=(
            "Send `version` and any of `relation`, `label`, `formal`, `organisation`, `classification`. The "
            "organisation that added the contact; every version is kept. A stale version gives 409 with the saved "
            "contact in `current`. Observations are never changed: add a newer one."
        ),
        request=ContactSerializer,
        responses={200: ContactSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, case_id: uuid.UUID, contact_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        _network, cv = _contact(actor, case_id, contact_id, audit=False)
        v = self.parse(ContactSerializer, partial=True)
        fields: dict[str, Any] = {k: v[k] for k in ("relation", "label", "formal", "classification") if k in v}
        if "organisation" in v:
            fields["organisation"] = v["organisation"]
        try:
            services.contact_update(actor=actor, contact=cv.contact, expected_version=v["version"], **fields)
        except Conflict as exc:
            return conflict(exc, render_contact(_contact(actor, case_id, contact_id, audit=False)[1], detail=True))
        return Response(render_contact(_contact(actor, case_id, contact_id, audit=False)[1], detail=True))


class ObservationListView(ApiView):
    @extend_schema(
        operation_id="network_observations_list",
        summary="The observations of a contact",
        description="Newest first; a note you may not read is left out. One `contact.view` event.",
        parameters=PAGE_PARAMETERS,
        responses={200: page_of("NetworkObservationPage", ObservationSerializer(many=True)), **errors(401, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, contact_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        _network, cv = _contact(self.actor, case_id, contact_id)
        rows = [ov.observation for ov in reversed(cv.observations)]
        return self.page(rows, lambda o: render_observation(cv, o))

    @extend_schema(
        operation_id="network_observations_create",
        summary="Record an observation of a tie",
        description=(
            "`observed_on` (not in the future), `valence` and `closeness` (both may be left out with `ended: true`, "
            "which ends the tie from that date), `frequency`, `note` and the note's `classification` (default the "
            "contact's). Coordinators and caseworkers with a full relation who may read the contact."
        ),
        request=ObservationSerializer,
        responses={201: ObservationSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, case_id: uuid.UUID, contact_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        _network, cv = _contact(actor, case_id, contact_id, audit=False)
        v = self.parse(ObservationSerializer)
        observation = services.observation_add(
            actor=actor,
            contact=cv.contact,
            observed_on=v["observed_on"],
            valence=v.get("valence"),
            closeness=v.get("closeness"),
            frequency=v.get("frequency"),
            ended=v.get("ended", False),
            note=v.get("note", ""),
            classification=v.get("classification"),
        )
        _network, fresh = _contact(actor, case_id, contact_id, audit=False)
        return Response(render_observation(fresh, observation), status=201)
