"""cases/{id}/consents/ and cases/{id}/disclosures/: recording, listing, withdrawing and revoking.

The access gate (access.policy.sharing_basis) honours what is recorded here from the next request.
"""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.cases import selectors as case_selectors
from utvei.sharing.consent import selectors, services
from utvei.sharing.models import Consent, Disclosure

from ..schema import PAGE_PARAMETERS, errors, page_of
from ..serializers_sharing import (
    ConsentCreateSerializer,
    ConsentSerializer,
    DisclosureCreateSerializer,
    DisclosureSerializer,
    WithdrawSerializer,
)
from .base import ApiView

ENFORCED = " The access gate honours consents and disclosures from the next request."


def render_consent(consent: Consent) -> dict[str, Any]:
    return dict(ConsentSerializer(consent).data)


def render_disclosure(disclosure: Disclosure) -> dict[str, Any]:
    return dict(DisclosureSerializer(disclosure).data)


class ConsentListView(ApiView):
    @extend_schema(
        operation_id="consents_list",
        summary="The consents of a case",
        description="Newest first, withdrawn and expired ones included (see `active`). Coordinators and team "
        "members with full read; one audit event." + ENFORCED,
        parameters=PAGE_PARAMETERS,
        responses={200: page_of("ConsentPage", ConsentSerializer(many=True)), **errors(401, 403, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        _ca, qs = selectors.case_consents(actor=self.actor, case_id=case_id)
        return self.page(qs, render_consent)

    @extend_schema(
        operation_id="consents_create",
        summary="Record a consent",
        description=(
            "Coordinators and caseworkers on the case. Scope: `scope_organisations` and/or `scope_kinds`, with "
            "`categories` and `purposes`. Under the age set by UTVEI_CONSENT_OWN_AGE (15) a guardian consents."
            + ENFORCED
        ),
        request=ConsentCreateSerializer,
        responses={201: ConsentSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        ca = case_selectors.case_get(actor=actor, case_id=case_id, audit=False)
        v = self.parse(ConsentCreateSerializer)
        consent = services.consent_record(
            actor=actor,
            case=ca.case,
            given_by=v["given_by"],
            guardian_name=v["guardian_name"],
            scope_org_slugs=v["scope_organisations"],
            scope_kinds=v["scope_kinds"],
            categories=v["categories"],
            purposes=v["purposes"],
            valid_until=v["valid_until"],
            evidence=v["evidence"],
            evidence_note=v["evidence_note"],
            text_version=v["text_version"],
        )
        return Response(render_consent(selectors.consents_of(ca.case).get(pk=consent.pk)), status=201)


class ConsentWithdrawView(ApiView):
    @extend_schema(
        operation_id="consents_withdraw",
        summary="Withdraw a consent",
        description="Takes effect at once. Withdrawing twice is 409.",
        request=WithdrawSerializer,
        responses={200: ConsentSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, case_id: uuid.UUID, consent_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        consent = selectors.consent_get(actor=actor, case_id=case_id, consent_id=consent_id)
        v = self.parse(WithdrawSerializer)
        services.consent_withdraw(actor=actor, consent=consent, note=v["note"])
        return Response(render_consent(selectors.consents_of(consent.case).get(pk=consent.pk)))


class DisclosureListView(ApiView):
    @extend_schema(
        operation_id="disclosures_list",
        summary="The disclosures of a case",
        description="Newest first, revoked and expired ones included (see `active`). Coordinators and team "
        "members with full read; one audit event." + ENFORCED,
        parameters=PAGE_PARAMETERS,
        responses={200: page_of("DisclosurePage", DisclosureSerializer(many=True)), **errors(401, 403, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        _ca, qs = selectors.case_disclosures(actor=self.actor, case_id=case_id)
        return self.page(qs, render_disclosure)

    @extend_schema(
        operation_id="disclosures_create",
        summary="Record a disclosure",
        description=(
            "From your organisation to `to_organisation` under `legal_basis` (a catalogue key). Refused when the "
            "basis requires a justification and none is given, when your organisation's kind may not use the "
            "basis, when it is inactive or a consent/confidentiality entry, or when `expires_at` exceeds its "
            "maximum duration (the default expiry)." + ENFORCED
        ),
        request=DisclosureCreateSerializer,
        responses={201: DisclosureSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        ca = case_selectors.case_get(actor=actor, case_id=case_id, audit=False)
        v = self.parse(DisclosureCreateSerializer)
        disclosure = services.disclosure_record(
            actor=actor,
            case=ca.case,
            to_org_slug=v["to_organisation"],
            categories=v["categories"],
            legal_basis_key=v["legal_basis"],
            justification=v["justification"],
            expires_at=v["expires_at"],
        )
        return Response(render_disclosure(selectors.disclosures_of(ca.case).get(pk=disclosure.pk)), status=201)


class DisclosureRevokeView(ApiView):
    @extend_schema(
        operation_id="disclosures_revoke",
        summary="Revoke a disclosure",
        description="The disclosing organisation or a coordinator; takes effect at once. Revoking twice is 409.",
        request=None,
        responses={200: DisclosureSerializer, **errors(401, 403, 404, 409)},
    )
    def post(
        self, request: Request, case_id: uuid.UUID, disclosure_id: uuid.UUID, *args: Any, **kwargs: Any
    ) -> Response:
        actor = self.actor
        disclosure = selectors.disclosure_get(actor=actor, case_id=case_id, disclosure_id=disclosure_id)
        services.disclosure_revoke(actor=actor, disclosure=disclosure)
        return Response(render_disclosure(selectors.disclosures_of(disclosure.case).get(pk=disclosure.pk)))
