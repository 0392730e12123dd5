"""The person's own account (docs/participant.md): the case lead invites, the person accepts, the lead ends it.

The invitation is a one-time link with an expiry; only the SHA-256 of its token is stored, and it is shown once to
whoever invites, to hand to the person (on paper, by text message — Utvei sends it nowhere). Accepting it creates
a user who is a participant (no membership) with the username and password the person chooses; the next request
asks them to set up a second factor (accounts/middleware.py). Who may invite and end: `access/participant.py`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access import participant as rules
from utvei.access.policy import CaseAccess, case_access, membership_ok
from utvei.access.policy import require as _require
from utvei.accounts.models import Membership, User
from utvei.accounts.services import credentials_end
from utvei.audit.models import Action
from utvei.audit.services import audit_by, audit_record
from utvei.core.crypto import KeyringError, decrypt_bytes
from utvei.core.errors import Conflict, NotFound, UtveiError
from utvei.core.validation import clean_choice as _choice

from .models import Attachment, AttachmentBlob, Case, ParticipantAccount, ParticipantAs, attachment_blob_context

INVITATION_DAYS = 7
TOKEN_MAX = 100


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _lead_access(actor: Membership, case: Case) -> CaseAccess:
    ca = case_access(actor, case) if membership_ok(actor) else None
    if ca is None:
        raise NotFound(_("The case was not found."))
    return ca


def participant_invite(*, actor: Membership, case: Case, given_as: str) -> tuple[ParticipantAccount, str]:
    """A new invitation to the person's own page; the raw token (shown once) with it. A pending invitation of the
    case is replaced (its link stops working): one link at a time."""
    ca = _lead_access(actor, case)
    _require(rules.invite_decision(ca))
    _choice(given_as, ParticipantAs, _("Account for"))
    raw = "utp_" + secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        ParticipantAccount.objects.filter(case=case, accepted_at__isnull=True, ended_at__isnull=True).update(
            token_hash="", ended_at=now, ended_by=actor.user
        )
        account = ParticipantAccount.objects.create(
            case=case,
            given_as=given_as,
            token_hash=hash_token(raw),
            token_expires_at=now + dt.timedelta(days=INVITATION_DAYS),
            invited_by=actor.user,
            invited_by_org=actor.organisation,
            invited_at=now,
        )
        audit_by(actor, Action.PARTICIPANT_INVITE, obj=account, case=case, reason=given_as)
    return account, raw


def participant_invitation(raw: str) -> ParticipantAccount | None:
    """The pending invitation this token opens, or None (unknown, used, ended or expired: all look the same)."""
    if not isinstance(raw, str) or not raw or len(raw) > TOKEN_MAX:
        return None
    account = ParticipantAccount.objects.filter(token_hash=hash_token(raw)).select_related("case").first()
    if account is None or not account.pending:
        return None
    return account


def participant_accept(*, raw: str, username: str, password: str) -> User:
    """The person accepts: a new participant user with this username and password. The link works once."""
    account = participant_invitation(raw)
    if account is None:
        raise NotFound(_("This invitation is not valid any more. Ask the person who gave it to you for a new one."))
    username = username.strip() if isinstance(username, str) else ""
    if not username or len(username) > 150:
        raise UtveiError(_("Choose a username of at most 150 characters."), code="username")
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        raise UtveiError(" ".join(exc.messages), code="username") from exc
    if User.objects.filter(username__iexact=username).exists():
        raise UtveiError(_("That username is taken. Choose another."), code="username_taken")
    user = User(username=username, is_participant=True)
    try:
        validate_password(password if isinstance(password, str) else "", user)
    except ValidationError as exc:
        raise UtveiError(" ".join(exc.messages), code="password") from exc
    with transaction.atomic():
        current = ParticipantAccount.objects.select_for_update().get(pk=account.pk)
        if not current.pending or current.token_hash != hash_token(raw):
            raise Conflict(_("This invitation has just been used."))
        user.set_password(password)
        user.save()
        current.user = user
        current.accepted_at = timezone.now()
        current.token_hash = ""
        current.save(update_fields=["user", "accepted_at", "token_hash"])
        audit_record(action=Action.PARTICIPANT_ACCEPT, actor=user, obj=current, case=current.case)
    return user


def participant_end(*, actor: Membership, account: ParticipantAccount) -> ParticipantAccount:
    """End the account's access (or a pending invitation): the person's next request no longer opens the page, and
    every session of theirs ends at once."""
    ca = _lead_access(actor, account.case)
    _require(rules.end_decision(ca))
    with transaction.atomic():
        current = ParticipantAccount.objects.select_for_update().get(pk=account.pk)
        if current.ended_at is not None:
            raise Conflict(_("This access has already been ended."))
        current.ended_at = timezone.now()
        current.ended_by = actor.user
        current.token_hash = ""
        current.save(update_fields=["ended_at", "ended_by", "token_hash"])
        audit_by(actor, Action.PARTICIPANT_END, obj=current, case=current.case)
        if current.user is not None:
            credentials_end(user=current.user, reason="participant_end", actor=actor.user)
    return current


def participant_accounts(*, actor: Membership, case: Case) -> list[ParticipantAccount]:
    """The case's accounts and invitations, for the case lead's panel (empty for anyone else)."""
    ca = case_access(actor, case) if membership_ok(actor) else None
    if ca is None or not rules.accounts_visible(ca):
        return []
    return list(ParticipantAccount.objects.filter(case=case).order_by("-invited_at", "-pk"))


def participant_account_get(*, actor: Membership, case: Case, account_id: uuid.UUID | str) -> ParticipantAccount:
    account = ParticipantAccount.objects.filter(case=case, public_id=account_id).select_related("case").first()
    if account is None:
        raise NotFound(_("Not found."))
    return account


def participant_document(*, account: ParticipantAccount, attachment_id: object) -> tuple[Attachment, bytes]:
    """A document on the person's own page: an attachment classified for them, on an entry or meeting classified
    for them (access.participant.attachment_shows). Anything else is not found; the download is audited."""
    try:
        pk = uuid.UUID(str(attachment_id))
    except ValueError:
        raise NotFound(_("The file was not found.")) from None
    att = Attachment.objects.select_related("case", "entry", "meeting").filter(public_id=pk).first()
    if att is None or not rules.attachment_shows(account, att):
        raise NotFound(_("The file was not found."))
    blob = AttachmentBlob.objects.filter(attachment=att).first()
    try:
        data = decrypt_bytes(bytes(blob.data), context=attachment_blob_context(att.public_id)) if blob else None
    except KeyringError:
        data = None
    if data is None or hashlib.sha256(data).hexdigest() != att.sha256:
        raise NotFound(_("The file was not found."))
    audit_record(action=Action.ATTACHMENT_DOWNLOAD, actor=account.user, obj=att, case=att.case, reason="person")
    return att, data
