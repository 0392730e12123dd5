"""The DPO's queue of unusual-access alerts: reading it, and the review record (docs/oversight.md).

Who sees which alerts is `access.oversight` (the DPO's own organisation's staff, and the cases it owns); anyone else
finds nothing (404). Every look at the queue or an alert and every review is audited, like the emergency-access
review (`sharing.emergency.services`), whose review record this one follows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Case as SqlCase
from django.db.models import IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access.oversight import alert_scope, oversees
from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.cases.models import Case
from utvei.core.errors import Conflict, NotFound, UtveiError
from utvei.core.validation import clean_text
from utvei.core.validation import parse_uuid as _uuid

from .models import AccessAlert, AlertStatus
from .rules import rule_title

REVIEW_NOTE_MAX = 2000
REVIEW_DECISIONS = (AlertStatus.JUSTIFIED, AlertStatus.NOT_JUSTIFIED, AlertStatus.FOLLOW_UP)
QUEUE_STATUSES = ("pending", "reviewed", "all")


def _ensure_dpo(actor: Membership | None) -> Membership:
    if actor is None or not oversees(actor):
        raise NotFound(_("Not found."))
    return actor


def _scoped(actor: Membership) -> QuerySet[AccessAlert]:
    return AccessAlert.objects.filter(alert_scope(actor)).select_related("user", "organisation", "reviewed_by")


def alert_queue(
    *, actor: Membership | None, status: str = "pending", audit: bool = True, where: str = "queue"
) -> QuerySet[AccessAlert]:
    """The alerts the DPO answers for, oldest unreviewed first (then the reviewed ones, oldest first).
    `status`: pending (default), reviewed or all. One `alert.view` audit event (`where;status`) unless `audit` is
    False."""
    m = _ensure_dpo(actor)
    if status not in QUEUE_STATUSES:
        raise UtveiError(_("Choose pending, reviewed or all."), code="invalid_status")
    qs = _scoped(m)
    if status == "pending":
        qs = qs.filter(review_status=AlertStatus.PENDING)
    elif status == "reviewed":
        qs = qs.exclude(review_status=AlertStatus.PENDING)
    if audit:
        audit_by(m, Action.ALERT_VIEW, reason=f"{where};{status}")
    pending_first = SqlCase(
        When(review_status=AlertStatus.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return qs.order_by(pending_first, "created_at", "pk")


def pending_count(*, actor: Membership | None) -> int:
    """How many alerts wait for this DPO's review (the start page's panel; not audited: no alert is shown)."""
    return _scoped(_ensure_dpo(actor)).filter(review_status=AlertStatus.PENDING).count()


def alert_get(*, actor: Membership | None, alert_id: Any, audit: bool = True) -> AccessAlert:
    """One alert in the DPO's scope, else NotFound. Audited as `alert.view` on the alert."""
    m = _ensure_dpo(actor)
    pk = _uuid(alert_id)
    alert = _scoped(m).filter(public_id=pk).first() if pk is not None else None
    if alert is None:
        raise NotFound(_("The alert was not found."))
    if audit:
        audit_by(m, Action.ALERT_VIEW, object_type="alert", object_id=str(alert.public_id), case=_case_of(alert))
    return alert


@dataclass(frozen=True)
class _CaseId:
    public_id: str


def _case_of(alert: AccessAlert) -> _CaseId | None:
    return _CaseId(alert.case_public_id) if alert.case_public_id else None


def alert_review(*, actor: Membership, alert: AccessAlert, decision: str, note: str = "") -> AccessAlert:
    """The DPO's review: justified, not justified, or referred for follow-up. A note is required unless justified.
    Reviewing twice is a Conflict. Audited (`alert.review`, the decision as the reason; never the note)."""
    m = _ensure_dpo(actor)
    if not _scoped(m).filter(pk=alert.pk).exists():
        raise NotFound(_("The alert was not found."))
    if decision not in REVIEW_DECISIONS:
        raise UtveiError(_("Choose justified, not justified or referred for follow-up."), code="invalid_decision")
    text = clean_text(
        note if isinstance(note, str) else "",
        _("Note"),
        required=decision != AlertStatus.JUSTIFIED,
        max_length=REVIEW_NOTE_MAX,
    )
    with transaction.atomic():
        current = AccessAlert.objects.select_for_update().get(pk=alert.pk)
        if current.review_status != AlertStatus.PENDING:
            raise Conflict(_("This alert has already been reviewed."), current=current)
        current.review_status = decision
        current.reviewed_by = m.user
        current.reviewed_at = timezone.now()
        current.review_note = text
        current.save(update_fields=["review_status", "reviewed_by", "reviewed_at", "review_note"])
        audit_by(
            m,
            Action.ALERT_REVIEW,
            object_type="alert",
            object_id=str(current.public_id),
            case=_case_of(current),
            reason=str(decision),
        )
    return _scoped(m).get(pk=current.pk)


# ---- What the pages and the API show of an alert ---------------------------------------------------------------


def case_references(alerts: list[AccessAlert]) -> dict[str, str]:
    """The references of the cases the alerts name, in one query (a case gone to retention has none)."""
    ids = {a.case_public_id for a in alerts if a.case_public_id}
    valid = [u for u in (_uuid(i) for i in ids) if u is not None]
    if not valid:
        return {}
    return {str(k): v for k, v in Case.objects.filter(public_id__in=valid).values_list("public_id", "reference")}


def title(alert: AccessAlert) -> str:
    return rule_title(alert.rule)


def audit_link_params(alert: AccessAlert, tz: Any) -> dict[str, str]:
    """The audit search that shows the events behind an alert: the user, the window's days, the case if one."""
    first: dt.date = alert.window_start.astimezone(tz).date()
    last: dt.date = (alert.window_end - dt.timedelta(microseconds=1)).astimezone(tz).date()
    params = {"user": alert.user.username, "from": first.isoformat(), "to": max(first, last).isoformat()}
    if alert.case_public_id:
        params["case"] = alert.case_public_id
    return params
