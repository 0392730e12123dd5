"""legal-bases/: the catalogue of legal bases for sharing without consent (read by all, edited by admins)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.core.errors import Conflict
from utvei.sharing.consent import selectors, services
from utvei.sharing.models import LegalBasis

from ..schema import PAGE_PARAMETERS, errors, page_of
from ..serializers_sharing import LegalBasisFilterSerializer, LegalBasisPatchSerializer, LegalBasisSerializer
from .base import ApiView, conflict

COUNSEL = "Every row carries `counsel_note`: the texts are summaries that legal counsel must check before use."


def render_basis(basis: LegalBasis) -> dict[str, Any]:
    return dict(LegalBasisSerializer(basis).data)


class LegalBasisListView(ApiView):
    @extend_schema(
        operation_id="legal_bases_list",
        summary="The catalogue of legal bases",
        description=(
            "Bases for sharing without consent, in catalogue order; active ones unless ?all=1. Any membership may "
            "read it: it is public law, not case data, and reading it is not audited. " + COUNSEL
        ),
        parameters=[LegalBasisFilterSerializer, *PAGE_PARAMETERS],
        responses={200: page_of("LegalBasisPage", LegalBasisSerializer(many=True)), **errors(400, 401)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        f = self.query(LegalBasisFilterSerializer)
        qs = selectors.legal_basis_list(actor=self.actor, active_only=not f["all"])
        return self.page(qs, render_basis)


class LegalBasisDetailView(ApiView):
    @extend_schema(
        operation_id="legal_bases_retrieve",
        summary="One legal basis",
        description="Active or not, with how many saved versions it has. " + COUNSEL,
        responses={200: LegalBasisSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, key: str, *args: Any, **kwargs: Any) -> Response:
        return Response(render_basis(selectors.legal_basis_get(actor=self.actor, key=key)))

    @extend_schema(
        operation_id="legal_bases_partial_update",
        summary="Edit a legal basis",
        description=(
            "Organisation administrators. Send `version` (required) with the fields to change. Every change is "
            "kept as a new version; a stale version gives 409 with the saved basis in «current»."
        ),
        request=LegalBasisPatchSerializer,
        responses={200: LegalBasisSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, key: str, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        basis = selectors.legal_basis_get(actor=actor, key=key)
        v = dict(self.parse(LegalBasisPatchSerializer))
        expected = v.pop("version")
        try:
            services.legal_basis_update(actor=actor, basis=basis, expected_version=expected, **v)
        except Conflict as exc:
            return conflict(exc, render_basis(selectors.legal_basis_get(actor=actor, key=key)))
        return Response(render_basis(selectors.legal_basis_get(actor=actor, key=key)))
