"""legal-bases/: the national catalogue of legal bases for sharing without consent (read by all; it changes only
through its data file), with each organisation's own notes on it (written by its administrators)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.access.policy import require
from utvei.access.sharing import legal_basis_note_decision
from utvei.core.errors import Conflict, UtveiError
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
        summary="Write your organisation's note on a legal basis",
        description=(
            "Organisation administrators. Send `version` (the `local_note_version` you read, 0 when there is no "
            "note yet) and `local_note`. The national catalogue itself is the same for everyone and changes only "
            "through its data file: its fields are refused here (400). A stale version gives 409 with the basis "
            "and your organisation's saved note in «current»."
        ),
        request=LegalBasisPatchSerializer,
        responses={200: LegalBasisSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, key: str, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        basis = selectors.legal_basis_get(actor=actor, key=key)
        require(legal_basis_note_decision(actor))
        national = (
            sorted(set(request.data) - set(LegalBasisPatchSerializer().fields))
            if isinstance(request.data, dict)
            else []
        )
        if national:
            raise UtveiError(
                _(
                    "The national catalogue changes only through its data file, not here: %(fields)s. "
                    "Write your organisation's own note in local_note."
                )
                % {"fields": ", ".join(national)[:200]},
                code="national_catalogue",
            )
        v = self.parse(LegalBasisPatchSerializer)
        try:
            services.legal_basis_note_save(
                actor=actor, basis=basis, expected_version=v["version"], text=v["local_note"]
            )
        except Conflict as exc:
            return conflict(exc, render_basis(selectors.legal_basis_get(actor=actor, key=key)))
        return Response(render_basis(selectors.legal_basis_get(actor=actor, key=key)))
