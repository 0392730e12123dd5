"""Every write of organisation administration (docs/administration.md): keyword-only arguments, one transaction,
the policy asked first (access/administration.py), an audit event for each change, no content in it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access import administration as rules
from utvei.access.policy import Decision
from utvei.accounts.models import Invitation, Membership, NotificationKind, User
from utvei.accounts.notifications import invitation_email, notify
from utvei.accounts.services import credentials_end, invitation_issue, taken_up
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.cases.models import Case, Task, TaskStatus, TeamMember
from utvei.core.errors import Conflict, Forbidden, NotFound, UtveiError
from utvei.evaluation.models import FollowUp, FollowUpStatus
from utvei.meetings.models import MeetingDecision

from .models import MfaReset, MfaResetReason

UNSET: Any = object()  # "leave as it is" for the period's ends, which may be set to None (open)
MAX_NAME = 150


def _require(decision: Decision, *, code: str | None = None, invalid: bool = False) -> None:
    """Refuse unless the policy allows: not an administrator of this organisation → 404 (nothing here exists);
    else 403 with the reason, or with `invalid` a UtveiError (a choice that cannot be made: 400 / 422)."""
    if not decision:
        if decision.step == "capability":
            raise NotFound(_("Not found."))
        if invalid:
            raise UtveiError(decision.reason, code=code or decision.step)
        raise Forbidden(decision.reason, code=code or decision.step)


def day_start(day: dt.date) -> dt.datetime:
    """The first moment of a day in Utvei's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def period_from_days(valid_from: dt.date | None, last_day: dt.date | None) -> tuple[dt.datetime, dt.datetime | None]:
    """A membership's period from the first and last day it holds (the last day included; None: open)."""
    start = day_start(valid_from) if valid_from is not None else timezone.now()
    end = day_start(last_day + dt.timedelta(days=1)) if last_day is not None else None
    if end is not None and end <= start:
        raise UtveiError(_("The last day must not be before the first day."), code="invalid_period")
    return start, end


def _period_reason(start: dt.datetime, end: dt.datetime | None) -> str:
    parts = [f"from={timezone.localdate(start).isoformat()}"]
    if end is not None:
        parts.append(f"to={(timezone.localdate(end) - dt.timedelta(days=1)).isoformat()}")
    return ";".join(parts)


@dataclass
class Invited:
    """An invitation just made: its raw link is here once — to show when it did not go out by e-mail."""

    membership: Membership
    invitation: Invitation
    link: str
    emailed: bool


def _issue(actor: Membership, membership: Membership, action: str) -> Invited:
    invitation, raw = invitation_issue(membership=membership, by=actor.user)
    audit_by(actor, action, obj=membership, reason=f"user={membership.user_id}")
    link = settings.UTVEI_BASE_URL.rstrip("/") + reverse("invitation_open", args=[raw])
    return Invited(membership=membership, invitation=invitation, link=link, emailed=False)


def _send(invited: Invited) -> Invited:
    """After the transaction: the link goes out by e-mail when the user has an address and the mail server takes
    it; otherwise the administrator is shown it once (the caller)."""
    membership = invited.membership
    if invitation_email(membership.user, membership.organisation, invited.link):
        Invitation.objects.filter(pk=invited.invitation.pk).update(emailed=True)
        invited.invitation.emailed = True
        invited.emailed = True
    return invited


def member_invite(
    *,
    actor: Membership,
    username: str,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    valid_from: dt.date | None = None,
    last_day: dt.date | None = None,
) -> Invited:
    """Invite a new user to the administrator's organisation: the user (no usable password), their membership,
    current from its first day, and a one-time invitation link (docs/administration.md)."""
    _require(rules.admin_decision(actor))
    _require(rules.role_decision(actor, role), code="unknown_role", invalid=True)
    username = (username or "").strip()
    try:
        if not username or len(username) > 150:
            raise ValidationError("length")
        User.username_validator(username)
    except ValidationError as exc:
        raise UtveiError(
            _("Enter a username of letters, digits and @/./+/-/_ only, at most 150 characters."),
            code="invalid_username",
        ) from exc
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise UtveiError(_("Enter a valid e-mail address."), code="invalid_email") from exc
    first_name, last_name = first_name.strip()[:MAX_NAME], last_name.strip()[:MAX_NAME]
    start, end = period_from_days(valid_from, last_day)
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict(_("That username is taken. Choose another."))
        user = User(username=username, email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        user.save()
        membership = Membership.objects.create(
            user=user, organisation=actor.organisation, role=role, valid_from=start, valid_until=end
        )
        audit_by(actor, Action.MEMBERSHIP_CREATE, obj=membership, reason=role)
        invited = _issue(actor, membership, Action.MEMBER_INVITE)
    return _send(invited)


def invitation_resend(*, actor: Membership, membership: Membership) -> Invited:
    """A new link for a member who has not accepted yet; every earlier link stops working."""
    _require(rules.member_change_decision(actor, membership))
    with transaction.atomic():
        if taken_up(membership.user):
            raise Conflict(_("This user has already taken up their account. There is nothing to send."))
        invited = _issue(actor, membership, Action.INVITATION_RESEND)
    return _send(invited)


def invitation_revoke(*, actor: Membership, membership: Membership) -> int:
    """Withdraw the member's open invitation: its link stops working. Returns how many were withdrawn."""
    _require(rules.member_change_decision(actor, membership))
    with transaction.atomic():
        n = Invitation.objects.filter(user=membership.user, accepted_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if not n:
            raise Conflict(_("There is no open invitation to withdraw."))
        audit_by(actor, Action.INVITATION_REVOKE, obj=membership, reason=f"user={membership.user_id}")
    return n


def _end_if_last(actor: Membership, membership: Membership, reason: str) -> bool:
    """When the member has no other current membership, end all their sessions and tokens now. With others, what
    this membership gave ends by itself: a session acting in it and a token bound to it are checked against the
    membership on every request (accounts.middleware, api.auth)."""
    if Membership.objects.active().filter(user_id=membership.user_id).exclude(pk=membership.pk).exists():
        return False
    credentials_end(user=membership.user, reason=reason, actor=actor.user)
    return True


def member_update(
    *,
    actor: Membership,
    membership: Membership,
    expected_version: int,
    role: str | None = None,
    valid_from: Any = UNSET,
    last_day: Any = UNSET,
    active: bool | None = None,
) -> Membership:
    """Change a member's role, period (first and last day) or whether the membership is active. A stale version
    is a Conflict. A role change ends the member's sessions and tokens (they sign in again in the new role); a
    membership that stops being current ends them too when it was the member's last."""
    _require(rules.member_change_decision(actor, membership))
    if role:
        _require(rules.role_decision(actor, role), code="unknown_role", invalid=True)
    with transaction.atomic():
        locked = Membership.objects.select_for_update().select_related("user", "organisation").get(pk=membership.pk)
        if locked.version != expected_version:
            raise Conflict(
                _("Someone else changed this membership after you opened it. Reload and try again."), current=locked
            )
        was_current = locked.is_current
        events: list[tuple[str, str]] = []
        if role and rules.role_changes(locked, role):
            locked.role = role
            events.append((Action.MEMBER_ROLE, role))
        if valid_from is not UNSET or last_day is not UNSET:
            # By days: a day the form sends back unchanged changes nothing (the stored moment keeps its time).
            now_first = timezone.localdate(locked.valid_from)
            now_last = (
                timezone.localdate(locked.valid_until) - dt.timedelta(days=1)
                if locked.valid_until is not None
                else None
            )
            first = valid_from if valid_from not in (UNSET, None) else now_first
            last = last_day if last_day is not UNSET else now_last
            if (first, last) != (now_first, now_last):
                start, end = period_from_days(first, last)
                if first == now_first:
                    start = locked.valid_from
                if end is not None and end <= start:
                    raise UtveiError(_("The last day must not be before the first day."), code="invalid_period")
                locked.valid_from, locked.valid_until = start, end
                events.append((Action.MEMBER_PERIOD, _period_reason(start, end)))
        if active is not None and active != locked.is_active:
            locked.is_active = active
            events.append((Action.MEMBER_REACTIVATE if active else Action.MEMBER_DEACTIVATE, ""))
        if not events:
            return locked
        locked.version += 1
        try:
            with transaction.atomic():
                locked.save(update_fields=["role", "valid_from", "valid_until", "is_active", "version"])
        except IntegrityError:
            raise Conflict(_("This user already has that role in your organisation."), current=membership) from None
        for action, reason in events:
            audit_by(actor, action, obj=locked, reason=reason)
        if any(action == Action.MEMBER_ROLE for action, _r in events):
            credentials_end(user=locked.user, reason="role_changed", actor=actor.user)
        elif was_current and not locked.is_current:
            _end_if_last(actor, locked, "deactivated")
    return locked


def member_mfa_reset(*, actor: Membership, membership: Membership, reason: str, explanation: str) -> MfaReset:
    """Remove every second factor of the member's user (TOTP, security keys, recovery codes) and end all their
    sessions and tokens: at the next sign-in the role's MFA set-up follows. The reason's code goes to the audit
    log; the explanation, which is required, is kept encrypted on the MfaReset record."""
    _require(rules.mfa_reset_decision(actor, membership))
    if reason not in MfaResetReason.values:
        raise UtveiError(_("Choose why the second factor is reset."), code="invalid_reason")
    explanation = (explanation or "").strip()
    if not explanation:
        raise UtveiError(_("Explain why the second factor is reset."), code="explanation_required")
    if len(explanation) > 2000:
        raise UtveiError(_("The explanation is too long (at most 2000 characters)."), code="too_long")
    with transaction.atomic():
        removed, _by_type = Authenticator.objects.filter(user_id=membership.user_id).delete()
        record = MfaReset.objects.create(
            user=membership.user,
            organisation=actor.organisation,
            reset_by=actor.user,
            reason=reason,
            explanation=explanation,
            removed=removed,
        )
        audit_by(actor, Action.MFA_RESET, object_type="user", object_id=str(membership.user_id), reason=reason)
        credentials_end(user=membership.user, reason="mfa_reset", actor=actor.user)
    return record


@dataclass
class Handover:
    """What moved, by kind, and the cases it touched."""

    cases: list[Case] = field(default_factory=list)  # where the colleague is now the lead
    tasks: int = 0
    follow_ups: int = 0
    decisions: int = 0
    touched: dict[int, Case] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.cases) + self.tasks + self.follow_ups + self.decisions


def _on_team(actor: Membership, case: Case, member: Membership, *, lead: bool = False) -> None:
    """Put the colleague on the case's team (as its lead, or in the role their membership works in), or give
    their current row the lead."""
    team_role = rules.LEAD_ROLE if lead else rules.handover_team_role(member)
    row = TeamMember.objects.current().filter(case=case, user=member.user, organisation=member.organisation).first()
    if row is not None:
        if lead:
            TeamMember.objects.filter(pk=row.pk).update(role=team_role)
        return
    row = TeamMember.objects.create(
        case=case,
        user=member.user,
        organisation=member.organisation,
        role=team_role,
        added_by=actor.user,
        owner_side=member.organisation_id == case.owning_org_id,
    )
    audit_by(actor, Action.TEAM_ADD, obj=row, object_id=str(row.pk), case=case, reason=team_role)


def member_handover(*, actor: Membership, membership: Membership, to: Membership) -> Handover:
    """Hand everything `membership`'s user leads in the organisation to the colleague `to`, at once: the cases
    they lead (open, or closed with a follow-up pending), their open tasks, their pending follow-ups and the
    meeting decisions they own. The colleague joins each case's team where needed (as its lead for a led case),
    the leaving person's lead row on those cases ends, and each moved thing is audited (`member.handover`, about
    the colleague). The colleague is notified on their start page, and once by e-mail."""
    _require(rules.handover_decision(actor, membership, to), invalid=True)
    org = actor.organisation
    leaving = membership.user
    new = to.user
    now = timezone.now()
    reason = f"user={new.pk}"
    done = Handover()
    with transaction.atomic():
        ours = Q(owning_org=org)
        led = Case.objects.filter(ours, lead=leaving)
        led = led.filter(Q(closed_at__isnull=True) | Q(follow_ups__status=FollowUpStatus.PENDING))
        led_ids = set(led.values_list("pk", flat=True))
        for case in Case.objects.select_for_update().filter(pk__in=led_ids).order_by("pk"):
            Case.objects.filter(pk=case.pk).update(lead=new, version=F("version") + 1)
            TeamMember.objects.current().filter(case=case, user=leaving, organisation=org).update(ended_at=now)
            _on_team(actor, case, to, lead=True)
            audit_by(actor, Action.HANDOVER, obj=case, case=case, reason=reason)
            done.cases.append(case)
            done.touched[case.pk] = case
        in_org = Q(assignee_org=org) | Q(assignee_org__isnull=True, case__owning_org=org)
        tasks = Task.objects.select_for_update(of=("self",)).filter(in_org, assignee=leaving, status=TaskStatus.OPEN)
        for task in tasks.select_related("case").order_by("pk"):
            Task.objects.filter(pk=task.pk).update(assignee=new, assignee_org=org, version=F("version") + 1)
            _on_team(actor, task.case, to)
            audit_by(actor, Action.HANDOVER, obj=task, case=task.case, reason=reason)
            done.tasks += 1
            done.touched[task.case_id] = task.case
        owned = Q(owner_org=org) | Q(owner_org__isnull=True, case__owning_org=org)
        follow_ups = FollowUp.objects.select_for_update(of=("self",)).filter(
            owned, owner=leaving, status=FollowUpStatus.PENDING
        )
        for fu in follow_ups.select_related("case").order_by("pk"):
            FollowUp.objects.filter(pk=fu.pk).update(owner=new, owner_org=org, version=F("version") + 1)
            _on_team(actor, fu.case, to)
            audit_by(actor, Action.HANDOVER, obj=fu, case=fu.case, reason=reason)
            done.follow_ups += 1
            done.touched[fu.case_id] = fu.case
        decisions = MeetingDecision.objects.select_for_update(of=("self",)).filter(owner_user=leaving, owner_org=org)
        decisions = decisions.filter(Q(task__isnull=True) | Q(task__status=TaskStatus.OPEN))
        for decision in decisions.select_related("meeting__case").order_by("pk"):
            case = decision.meeting.case
            MeetingDecision.objects.filter(pk=decision.pk).update(
                owner_user=new, version=F("version") + 1, updated_at=now
            )
            _on_team(actor, case, to)
            audit_by(actor, Action.HANDOVER, obj=decision, case=case, reason=reason)
            done.decisions += 1
            done.touched[case.pk] = case
        if not done.total:
            raise UtveiError(_("This member leads nothing that could be handed over."), code="nothing_to_hand_over")
        for i, case in enumerate(done.touched.values()):
            notify(recipients=[(new, org)], kind=NotificationKind.HANDOVER, case=case, email=i == 0)
    return done
