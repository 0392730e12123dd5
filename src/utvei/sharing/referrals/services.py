"""Referrals and transfers of a case between organisations: services (writes) and selectors (reads).

A **referral** (e.g. municipality → NAV) names the data categories that go with it and their basis: the person's
consent, which must cover the recipient for every category, or a legal basis from the catalogue, recorded as a
Disclosure when the referral is accepted. A coordinator of the receiving organisation accepts it, naming the
person who joins the team in the limited role `referral`, or declines it with a note.

A **transfer** moves the ownership of the case (the person moves). When a coordinator of the receiving
organisation accepts it, that organisation owns the case, the accepting coordinator (or the person they name)
becomes the case lead, and the old owner's team memberships end, except those the sender chose to keep. From
then on the old organisation reads only what a consent or a disclosure lets it read, like any other.

Before acceptance the recipient sees the referral itself (kind, sending organisation, categories, basis,
message, track and phase, case reference), never the person or the case content. Every write is checked, in one
transaction, and audited without content; reads are audited too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Case as SqlCase
from django.db.models import IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access import sharing as access
from utvei.access.policy import Act, CaseAccess, can, case_access, membership_ok
from utvei.access.sharing import ReferralView
from utvei.accounts.models import Membership, NotificationKind, Organisation, User
from utvei.accounts.notifications import notify
from utvei.audit.models import Action
from utvei.audit.services import audit_by as _audit
from utvei.cases.models import Case, TeamMember, TeamRole, owner_side_sync
from utvei.cases.selectors import case_get
from utvei.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, UtveiError
from utvei.core.vocabulary import DataCategory

from ..consent.services import _note, _values, check_disclosure
from ..models import Disclosure, Referral, ReferralBasis, ReferralKind, ReferralStatus

CATEGORY_LABELS = dict(DataCategory.choices)


def _labels(values: Iterable[str]) -> str:
    return ", ".join(str(CATEGORY_LABELS.get(v, v)).lower() for v in values)


# ---- The basis ------------------------------------------------------------------------------------------


def _check_consent(case: Case, to_org: Organisation, categories: list[str], *, at_acceptance: bool = False) -> None:
    missing = access.consent_missing(case, to_org, categories)
    if not missing:
        return
    if at_acceptance:
        message = _(
            "The person's consent no longer covers %(org)s for: %(categories)s. It may have been withdrawn or "
            "have expired. Ask the sender to record a new consent or to send the referral again on another basis."
        )
    else:
        message = _(
            "No active consent lets %(org)s receive: %(categories)s. Record the person's consent for these "
            "categories (purpose: coordination) first, or choose a legal basis."
        )
    raise UtveiError(message % {"org": to_org.name, "categories": _labels(missing)}, code="consent_missing")


def _check_legal_basis(from_org: Organisation, key: str, justification: str, categories: list[str]) -> Any:
    try:
        return check_disclosure(
            from_org=from_org, legal_basis_key=key, justification=justification, categories=categories
        )
    except UtveiError as exc:
        if exc.code == "basis_is_consent":
            raise UtveiError(
                _("That legal basis is consent: choose the person's consent as the basis instead."),
                code="basis_is_consent",
            ) from exc
        raise


# ---- Sending --------------------------------------------------------------------------------------------


def _keep_ids(case: Case, ids: Iterable[Any]) -> list[int]:
    """Team members of the owning organisation that stay on the team after a transfer."""
    raw = list(ids or [])
    try:
        wanted = sorted({int(x) for x in raw})
    except (TypeError, ValueError) as exc:
        raise UtveiError(_("Choose team members from the list."), code="unknown_member") from exc
    if not wanted:
        return []
    current = set(
        TeamMember.objects.current()
        .filter(case=case, organisation_id=case.owning_org_id, pk__in=wanted)
        .values_list("pk", flat=True)
    )
    if current != set(wanted):
        raise UtveiError(
            _("Only current team members of the organisation that owns the case can be kept on the team."),
            code="unknown_member",
        )
    return wanted


def keep_ids_for(case: Case, usernames: Iterable[str]) -> list[int]:
    """The team member ids of the owning organisation's members with these usernames (for the API)."""
    names = sorted({u.strip() for u in usernames if isinstance(u, str)})
    if not names:
        return []
    rows = dict(
        TeamMember.objects.current()
        .filter(case=case, organisation_id=case.owning_org_id, user__username__in=names)
        .values_list("user__username", "pk")
    )
    missing = sorted(set(names) - set(rows))
    if missing:
        raise UtveiError(
            _("Not a current team member of the organisation that owns the case: %(names)s.")
            % {"names": ", ".join(missing)[:200]},
            code="unknown_member",
        )
    return sorted(rows.values())


def referral_send(
    *,
    actor: Membership,
    case: Case,
    to_org_slug: str,
    kind: str = ReferralKind.REFERRAL,
    categories: Iterable[str],
    basis: str = ReferralBasis.CONSENT,
    legal_basis_key: str = "",
    justification: str = "",
    message: str = "",
    keep_team_member_ids: Iterable[Any] = (),
) -> Referral:
    """Refer the case to another organisation, or offer it the ownership (kind `transfer`).

    Referrals: coordinators and caseworkers with a full relation to the case. Transfers: coordinators of the
    owning organisation. The coordinators of the receiving organisation are notified.
    """
    if not membership_ok(actor) or case_access(actor, case) is None:
        raise NotFound(_("The case was not found."))
    if kind not in ReferralKind.values:
        raise UtveiError(_("Choose a referral or a transfer."), code="invalid_choice")
    decision = can(actor, Act.TRANSFER_SEND if kind == ReferralKind.TRANSFER else Act.REFERRAL_SEND, case)
    if not decision:
        raise Forbidden(decision.reason)
    slug = to_org_slug.strip() if isinstance(to_org_slug, str) else ""
    to_org = Organisation.objects.filter(slug=slug).first() if slug else None
    if to_org is None:
        raise UtveiError(_("There is no organisation with that slug."), code="unknown_organisation")
    if to_org.pk == actor.organisation_id:
        raise UtveiError(_("A referral goes to another organisation than your own."), code="same_organisation")
    if to_org.pk == case.owning_org_id:
        raise UtveiError(_("%(org)s already owns the case.") % {"org": to_org.name}, code="already_owner")
    cats = _values(categories, DataCategory, _("data categories"))
    if basis not in ReferralBasis.values:
        raise UtveiError(_("Choose the basis: the person's consent or a legal basis."), code="invalid_choice")
    keep: list[int] = []
    if kind == ReferralKind.TRANSFER:
        keep = _keep_ids(case, keep_team_member_ids)
    elif list(keep_team_member_ids or []):
        raise UtveiError(_("Team members are kept only in a transfer."), code="keep_only_for_transfer")
    text = _note(justification if isinstance(justification, str) else "", _("Justification"))
    note = _note(message if isinstance(message, str) else "", _("Message"))
    legal_basis = None
    if basis == ReferralBasis.CONSENT:
        _check_consent(case, to_org, cats)
    else:
        if not (isinstance(legal_basis_key, str) and legal_basis_key.strip()):
            raise UtveiError(_("Choose the legal basis the referral is made under."), code="basis_required")
        legal_basis, text, _expiry = _check_legal_basis(actor.organisation, legal_basis_key, text, cats)
    if not access.referral_deciders(to_org):
        raise UtveiError(
            _("%(org)s has no coordinator in Utvei who could accept it.") % {"org": to_org.name},
            code="no_recipient",
        )
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).first()  # one open referral of a kind at a time
        open_ = Referral.objects.filter(case=case, status=ReferralStatus.SENT, kind=kind)
        if open_.filter(to_org=to_org).exists():
            raise Conflict(
                _("An open %(kind)s to %(org)s already exists.") % {"kind": _kind_word(kind), "org": to_org.name}
            )
        if kind == ReferralKind.TRANSFER and open_.exists():
            raise Conflict(_("Another transfer of this case is waiting for an answer. Withdraw it first."))
        referral = Referral.objects.create(
            case=case,
            kind=kind,
            from_org=actor.organisation,
            to_org=to_org,
            categories=cats,
            basis=basis,
            legal_basis=legal_basis,
            basis_version=legal_basis.version if legal_basis is not None else None,
            justification=text,
            message=note,
            keep_team_members=keep,
            sent_by=actor.user,
        )
        _audit(
            actor,
            Action.REFERRAL_SEND,
            obj=referral,
            case=case,
            reason=_reason(referral),
        )
        notify(
            recipients=[(m.user, to_org) for m in access.referral_deciders(to_org)],
            kind=NotificationKind.REFERRAL_RECEIVED,
            case=case,
            ref=referral.public_id,
        )
    return referral


def _kind_word(kind: str) -> Any:
    return _("transfer") if kind == ReferralKind.TRANSFER else _("referral")


def _reason(referral: Referral) -> str:
    """The audit reason: kind and basis key, never a text (the object id leads to the rest)."""
    lb = referral.legal_basis
    basis = f"{lb.key} v{referral.basis_version}" if lb is not None else "consent"
    return f"{referral.kind} {basis}"[:64]


# ---- Answering ------------------------------------------------------------------------------------------


def _refuse_hidden(actor: Membership, referral: Referral) -> None:
    """NotFound for a referral the actor may not see at all (audited), as for a case."""
    if not access.referral_visible(actor, referral):
        _audit(actor, Action.CASE_DENIED, obj=referral, case=None, reason="referral")
        raise NotFound(_("The referral was not found."))


def _locked(referral: Referral) -> Referral:
    current = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("case", "from_org", "to_org", "legal_basis", "sent_by")
        .get(pk=referral.pk)
    )
    if current.status != ReferralStatus.SENT:
        raise Conflict(
            _("This %(kind)s has already been answered or withdrawn (%(status)s).")
            % {"kind": _kind_word(current.kind), "status": str(current.get_status_display()).lower()}
        )
    return current


def _member_of(org: Organisation, username: str, *, lead: bool) -> Membership:
    name = username.strip() if isinstance(username, str) else ""
    found = access.referral_joiners(org).filter(user__username=name).first() if name else None
    if found is None:
        if lead:
            message = _("The case lead must be a coordinator or caseworker in %(org)s.")
        else:
            message = _("The person who joins the team must be a coordinator or caseworker in %(org)s.")
        raise UtveiError(message % {"org": org.name}, code="unknown_member")
    return found


def _add_member(actor: Membership, case: Case, user: User, org: Organisation, role: str, why: str) -> TeamMember:
    member = TeamMember.objects.create(
        case=case, user=user, organisation=org, role=role, added_by=actor.user, owner_side=org.pk == case.owning_org_id
    )
    _audit(actor, Action.TEAM_ADD, obj=member, object_id=str(member.pk), case=case, reason=f"{role} {why}"[:64])
    return member


def _end_member(actor: Membership, member: TeamMember, now: Any, why: str) -> None:
    TeamMember.objects.filter(pk=member.pk).update(ended_at=now)
    _audit(actor, Action.TEAM_END, obj=member, object_id=str(member.pk), case=member.case, reason=why)


def _record_disclosure(actor: Membership, referral: Referral) -> Disclosure | None:
    """Under a legal basis: the sender's decision, re-checked now, recorded as a disclosure from now."""
    if referral.basis != ReferralBasis.LEGAL_BASIS:
        _check_consent(referral.case, referral.to_org, referral.categories, at_acceptance=True)
        return None
    key = referral.legal_basis.key if referral.legal_basis is not None else ""
    try:
        basis, text, expires_at = check_disclosure(
            from_org=referral.from_org,
            legal_basis_key=key,
            justification=referral.justification,
            categories=referral.categories,
        )
    except UtveiError as exc:
        raise UtveiError(
            _("The legal basis of this referral cannot be used any more: %(problem)s") % {"problem": exc.message},
            code=exc.code,
        ) from exc
    disclosure = Disclosure.objects.create(
        case=referral.case,
        from_org=referral.from_org,
        to_org=referral.to_org,
        categories=list(referral.categories),
        legal_basis=basis,
        basis_version=referral.basis_version or basis.version,
        justification=text,
        decided_by=referral.sent_by,
        expires_at=expires_at,
    )
    _audit(
        actor,
        Action.DISCLOSURE_RECORD,
        obj=disclosure,
        case=referral.case,
        reason=f"{basis.key} v{disclosure.basis_version} referral"[:64],
    )
    return disclosure


def referral_accept(*, actor: Membership, referral: Referral, member_username: str = "", note: str = "") -> Referral:
    """A coordinator of the receiving organisation accepts.

    Referral: `member_username` (default: the actor), a coordinator or caseworker of the receiving organisation,
    joins the team in the limited role `referral`. Transfer: the receiving organisation owns the case and
    `member_username` (default: the actor) becomes the case lead; the old owner's team memberships end, except
    the kept ones. The basis is checked again now; under a legal basis a disclosure is recorded.
    """
    _refuse_hidden(actor, referral)
    if not access.referral_recipient(actor, referral):
        raise Forbidden(_("Only a coordinator in the receiving organisation can accept it."))
    text = _note(note if isinstance(note, str) else "", _("Note"))
    to_org = actor.organisation
    chosen = _member_of(to_org, member_username or actor.user.username, lead=referral.kind == ReferralKind.TRANSFER)
    with transaction.atomic():
        current = _locked(referral)
        case = Case.objects.select_for_update().get(pk=current.case_id)
        current.case = case
        if case.is_closed:
            raise InvalidTransition(_("The case has been closed since it was sent."))
        if case.owning_org_id == to_org.pk:
            raise Conflict(_("Your organisation already owns the case."))
        current.disclosure = _record_disclosure(actor, current)
        now = timezone.now()
        if current.kind == ReferralKind.TRANSFER:
            _transfer(actor, current, case, chosen, now)
            current.status = ReferralStatus.COMPLETED
        else:
            if TeamMember.objects.current().filter(case=case, user=chosen.user, organisation=to_org).exists():
                raise Conflict(
                    _("%(name)s is already on the team. Choose another person.")
                    % {"name": chosen.user.get_full_name() or chosen.user.username}
                )
            current.team_member = _add_member(actor, case, chosen.user, to_org, TeamRole.REFERRAL, "referral")
            current.status = ReferralStatus.ACCEPTED
        current.decided_by = actor.user
        current.decided_at = now
        current.decision_note = text
        current.version += 1
        current.save(
            update_fields=[
                "status",
                "decided_by",
                "decided_at",
                "decision_note",
                "team_member",
                "disclosure",
                "version",
            ]
        )
        _audit(
            actor,
            Action.TRANSFER_COMPLETE if current.kind == ReferralKind.TRANSFER else Action.REFERRAL_ACCEPT,
            obj=current,
            case=case,
            reason=_reason(current),
        )
        notify(
            recipients=[(current.sent_by, current.from_org)],
            kind=NotificationKind.REFERRAL_DECIDED,
            case=case,
            ref=current.public_id,
        )
    return current


def _transfer(actor: Membership, referral: Referral, case: Case, lead: Membership, now: Any) -> None:
    """The receiving organisation owns the case; the team follows (in one transaction, audited row by row)."""
    old_owner = case.owning_org_id
    new_org = referral.to_org
    team = list(TeamMember.objects.current().filter(case=case).select_related("user", "organisation"))
    roles = {
        (m.user_id, m.organisation_id): m.role
        for m in Membership.objects.active().filter(
            organisation_id__in={old_owner, new_org.pk}, user_id__in={t.user_id for t in team}
        )
    }
    # Who leaves, who stays and in which role is the policy's (access.sharing.team_after_transfer).
    after = access.team_after_transfer(
        team,
        old_owner_id=old_owner,
        new_owner_id=new_org.pk,
        lead_user_id=lead.user_id,
        kept=referral.keep_team_members or [],
        org_roles=roles,
    )
    for change in after.changes:
        _end_member(actor, change.member, now, "transfer")
        if change.rejoin:
            member = change.member
            _add_member(actor, case, member.user, member.organisation, change.rejoin, "transfer")
    if after.lead_row is None:
        _add_member(actor, case, lead.user, new_org, TeamRole.LEAD, "transfer")
    case.owning_org = new_org
    case.lead = lead.user
    case.version += 1
    case.save(update_fields=["owning_org", "lead", "version"])
    owner_side_sync(case)


def referral_decline(*, actor: Membership, referral: Referral, note: str) -> Referral:
    """A coordinator of the receiving organisation declines, with a note the sender reads."""
    _refuse_hidden(actor, referral)
    if not access.referral_recipient(actor, referral):
        raise Forbidden(_("Only a coordinator in the receiving organisation can decline it."))
    text = _note(note if isinstance(note, str) else "", _("Reason for declining"), required=True)
    with transaction.atomic():
        current = _locked(referral)
        current.status = ReferralStatus.DECLINED
        current.decided_by = actor.user
        current.decided_at = timezone.now()
        current.decision_note = text
        current.version += 1
        current.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "version"])
        _audit(actor, Action.REFERRAL_DECLINE, obj=current, case=current.case, reason=_reason(current))
        notify(
            recipients=[(current.sent_by, current.from_org)],
            kind=NotificationKind.REFERRAL_DECIDED,
            case=current.case,
            ref=current.public_id,
        )
    return current


def referral_withdraw(*, actor: Membership, referral: Referral) -> Referral:
    """The sending organisation (the sender or a coordinator there) withdraws it while it waits for an answer."""
    _refuse_hidden(actor, referral)
    if not access.referral_sender_side(actor, referral):
        raise Forbidden(_("Only the organisation that sent it can withdraw it."))
    with transaction.atomic():
        current = _locked(referral)
        current.status = ReferralStatus.WITHDRAWN
        current.decided_by = actor.user
        current.decided_at = timezone.now()
        current.version += 1
        current.save(update_fields=["status", "decided_by", "decided_at", "version"])
        _audit(actor, Action.REFERRAL_WITHDRAW, obj=current, case=current.case, reason=_reason(current))
    return current


# ---- Reading --------------------------------------------------------------------------------------------


def _view(actor: Membership, referral: Referral, *, on_case: bool = False) -> ReferralView:
    return access.referral_view(actor, referral, on_case=on_case)


def _rows() -> QuerySet[Referral]:
    return Referral.objects.select_related(
        "case", "from_org", "to_org", "legal_basis", "sent_by", "decided_by", "team_member__user", "disclosure"
    )


def _open_first(qs: QuerySet[Referral]) -> QuerySet[Referral]:
    return qs.annotate(
        open_rank=SqlCase(
            When(status=ReferralStatus.SENT, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("open_rank", "-sent_at", "-pk")


def referrals_of_case(
    *, actor: Membership | None, case_id: Any, audit: bool = True
) -> tuple[CaseAccess, list[ReferralView]]:
    """Every referral and transfer of the case, open ones first, for the people with a full relation to it (team
    members and the owner's coordinators with full read). A referral recipient or a mentor: Forbidden."""
    ca = case_get(actor=actor, case_id=case_id, audit=False)
    m = ca.membership
    decision = access.referrals_read_decision(ca)
    if not decision:
        _audit(m, Action.CASE_DENIED, obj=ca.case, case=ca.case, reason=Action.REFERRAL_VIEW)
        raise Forbidden(decision.reason)
    if audit:
        _audit(m, Action.REFERRAL_VIEW, obj=ca.case, case=ca.case)
    rows = _open_first(_rows().filter(case=ca.case))
    return ca, [_view(m, r, on_case=True) for r in rows]


def may_send(actor: Membership, case: Case) -> dict[str, bool]:
    """Which kinds the principal may send for the case (for showing the form and its choices)."""
    return {
        ReferralKind.REFERRAL: bool(can(actor, Act.REFERRAL_SEND, case)),
        ReferralKind.TRANSFER: bool(can(actor, Act.TRANSFER_SEND, case)),
    }


def referral_inbox(*, actor: Membership | None, audit: bool = True) -> QuerySet[Referral]:
    """Referrals and transfers to the principal's organisation, for its coordinators (and the one a referral
    named), open ones first. Metadata only: no person, no case content. One `referral.view` event."""
    if actor is None or not membership_ok(actor):
        return Referral.objects.none()
    if audit:
        _audit(actor, Action.REFERRAL_VIEW, object_type="referral", reason="incoming")
    return _open_first(_rows().filter(access.referral_incoming_q(actor)))


def referrals_sent(*, actor: Membership | None, audit: bool = True) -> QuerySet[Referral]:
    """What the principal's organisation sent (coordinators: all of it; caseworkers: their own), open ones first."""
    if actor is None or not membership_ok(actor):
        return Referral.objects.none()
    if audit:
        _audit(actor, Action.REFERRAL_VIEW, object_type="referral", reason="outgoing")
    return _open_first(_rows().filter(access.referral_outgoing_q(actor)))


def referrals_all(*, actor: Membership | None, direction: str = "", status: str = "") -> QuerySet[Referral]:
    """Incoming and outgoing together (the API's list), open ones first. One `referral.view` event."""
    if actor is None or not membership_ok(actor):
        return Referral.objects.none()
    if direction == "incoming":
        q = access.referral_incoming_q(actor)
    elif direction == "outgoing":
        q = access.referral_outgoing_q(actor)
    else:
        q = access.referral_incoming_q(actor) | access.referral_outgoing_q(actor)
    _audit(actor, Action.REFERRAL_VIEW, object_type="referral", reason=direction or "all")
    qs = _rows().filter(q)
    if status:
        qs = qs.filter(status=status)
    return _open_first(qs)


def view_of(actor: Membership, referral: Referral) -> ReferralView:
    """A row of a list the principal already may read (no queries)."""
    return _view(actor, referral)


def _public(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def referral_get(*, actor: Membership | None, referral_id: Any, audit: bool = True) -> ReferralView:
    """One referral. The recipient's coordinators, the sender's side, the person it named, and the case's team
    and owner see it; anyone else gets NotFound (audited `case.denied`). One `referral.view` event."""
    pk = _public(referral_id)
    referral = _rows().filter(public_id=pk).first() if pk else None
    if actor is None or not membership_ok(actor):
        raise NotFound(_("The referral was not found."))
    if referral is None:
        _audit(actor, Action.CASE_DENIED, object_type="referral", object_id=str(pk or "")[:64])
        raise NotFound(_("The referral was not found."))
    on_case = access.full_relation(actor, referral.case)
    if not access.referral_visible(actor, referral, on_case=on_case):
        _audit(actor, Action.CASE_DENIED, obj=referral, reason="referral")
        raise NotFound(_("The referral was not found."))
    if audit:
        _audit(actor, Action.REFERRAL_VIEW, obj=referral, case=referral.case)
    return _view(actor, referral, on_case=on_case)


def kept_names(rows: Iterable[Referral]) -> dict[int, list[str]]:
    """Usernames each transfer keeps on the team, for many referrals in one query."""
    wanted = {r.pk: list(r.keep_team_members or []) for r in rows if r.keep_team_members}
    ids = {i for ids in wanted.values() for i in ids}
    if not ids:
        return {}
    names = dict(TeamMember.objects.filter(pk__in=ids).values_list("pk", "user__username"))
    return {pk: sorted(names[i] for i in ids_ if i in names) for pk, ids_ in wanted.items()}
