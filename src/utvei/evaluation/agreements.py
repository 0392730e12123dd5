"""Evaluations: named, dated agreements, recorded with their legal basis, that organisations join to learn
together. An organisation administrator records one (their organisation joins it) and joins or leaves others for
their organisation; analysts of every current member then see statistics pooled over all members
(access.evaluation.analytics_org_ids). Joining moves no data: the figures are computed inside Utvei."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access.evaluation import evaluation_manage_decision
from utvei.access.policy import require as _require
from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.core.errors import Conflict, UtveiError
from utvei.core.validation import clean_text

from .models import Evaluation, EvaluationMember


def evaluation_create(
    *,
    actor: Membership,
    name: str,
    purpose: str,
    legal_basis: str,
    starts_on: dt.date,
    ends_on: dt.date,
    epsilon_budget: float = 2.0,
) -> Evaluation:
    _require(evaluation_manage_decision(actor))
    name = clean_text(name, _("Name"), max_length=200)
    purpose = clean_text(purpose, _("Purpose"), max_length=4000)
    legal_basis = clean_text(legal_basis, _("Legal basis"), max_length=300)
    if not isinstance(starts_on, dt.date) or not isinstance(ends_on, dt.date) or ends_on < starts_on:
        raise UtveiError(_("Give a start date and an end date after it."), code="period")
    if not 0 < float(epsilon_budget) <= 10:
        raise UtveiError(_("The privacy budget is a number above 0 and at most 10."), code="epsilon_budget")
    with transaction.atomic():
        evaluation = Evaluation.objects.create(
            name=name,
            purpose=purpose,
            legal_basis=legal_basis,
            starts_on=starts_on,
            ends_on=ends_on,
            epsilon_budget=float(epsilon_budget),
            created_by=actor.user,
            created_org=actor.organisation,
        )
        audit_by(actor, Action.EVALUATION_CREATE, obj=evaluation)
        EvaluationMember.objects.create(evaluation=evaluation, organisation=actor.organisation, joined_by=actor.user)
        audit_by(actor, Action.EVALUATION_JOIN, obj=evaluation, reason=actor.organisation.slug)
    return evaluation


def evaluation_join(*, actor: Membership, evaluation: Evaluation) -> EvaluationMember:
    _require(evaluation_manage_decision(actor))
    if evaluation.ends_on < timezone.localdate():
        raise UtveiError(_("This evaluation has ended."), code="evaluation_ended")
    try:
        with transaction.atomic():
            member = EvaluationMember.objects.create(
                evaluation=evaluation, organisation=actor.organisation, joined_by=actor.user
            )
            audit_by(actor, Action.EVALUATION_JOIN, obj=evaluation, reason=actor.organisation.slug)
    except IntegrityError as exc:
        raise Conflict(_("Your organisation is already a member.")) from exc
    return member


def evaluation_leave(*, actor: Membership, evaluation: Evaluation) -> None:
    _require(evaluation_manage_decision(actor))
    with transaction.atomic():
        left = EvaluationMember.objects.filter(
            evaluation=evaluation, organisation=actor.organisation, left_at__isnull=True
        ).update(left_at=timezone.now())
        if not left:
            raise Conflict(_("Your organisation is not a member."))
        audit_by(actor, Action.EVALUATION_LEAVE, obj=evaluation, reason=actor.organisation.slug)


def evaluations_for_admin(actor: Membership) -> list[tuple[Evaluation, bool]]:
    """Every evaluation, newest first, and whether the administrator's organisation is a current member."""
    _require(evaluation_manage_decision(actor), hide=True)
    mine = set(
        EvaluationMember.objects.filter(organisation=actor.organisation, left_at__isnull=True).values_list(
            "evaluation_id", flat=True
        )
    )
    rows: list[Any] = list(Evaluation.objects.prefetch_related("members__organisation"))
    return [(e, e.pk in mine) for e in rows]
