"""Who may read and add attachments: the attachment part of THE policy (docs/attachments.md).

An attachment belongs to exactly one timeline entry, meeting or consent, and is itself an item of the case like an
entry: an author organisation, a classification and a data category. So reading one takes two gates, both here:

  1. the owner: whoever may read the entry (`entry_decision`), the meeting's agenda and minutes
     (`meetings.minutes_visible`) or the case's consents (full readers: coordinators and caseworkers) — and
  2. the attachment itself, through the same table as entries (`entry_decision`, steps 5–8).

A viewer who reads the owner but not the attachment sees a marker (that a file is there, its date and author
organisation — never its name, type or size), exactly where they would see a marker for an entry; a viewer who may
not read the owner sees nothing of its attachments. Download of anything not readable answers 404, as for a
missing one.

Adding one is a change to its owner: to an entry, the rule for editing the entry (its author organisation, not on
a closed case, never under emergency access or a referral); to a meeting, `meetings.meeting_write_decision` (the
organisation that called it); to a consent, the rule for recording consents (`Act.SHARING_RECORD`) on an open case.
The classification given must be one the uploader's own organisation may read (`policy.writable_classifications`).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from . import policy
from .meetings import meeting_read_decision, meeting_view, meeting_write_decision, minutes_visible, takes_part
from .policy import Act, CaseAccess, Decision

_OWNER_REASON = _("You may not read what this file is attached to.")


def consents_readable(ca: CaseAccess) -> bool:
    """The case's consents (and so their attachments): coordinators and caseworkers with a relation, as the sharing
    page (sharing.consent.selectors) shows them."""
    return ca.full


def owner_read_decision(ca: CaseAccess, attachment: Any) -> Decision:
    """Gate 1: may the principal read the attachment's owner? No queries when the owner (and a meeting's attendees)
    are loaded and the case's bases cached."""
    if attachment.entry_id is not None:
        return policy.entry_decision(ca, attachment.entry)
    if attachment.meeting_id is not None:
        meeting = attachment.meeting
        read = meeting_read_decision(ca, meeting)
        view = meeting_view(ca, read, attended=takes_part(ca, meeting.attendees.all()), owns_a_decision=False)
        if minutes_visible(view, read):
            return read
        return Decision(False, "owner", _OWNER_REASON)
    if attachment.consent_id is not None and consents_readable(ca):
        return Decision(True, "owner", _("You may read this case's consents."), dict(ca.records))
    return Decision(False, "owner", _OWNER_REASON)


def attachment_read_decision(ca: CaseAccess, attachment: Any, owner: Decision | None = None) -> Decision:
    """Both gates. `owner` is gate 1 when the caller has it already (a list of one owner's attachments). The
    decision's `restricted_marker` says whether the principal may see that the file exists."""
    owner = owner if owner is not None else owner_read_decision(ca, attachment)
    if not owner:
        return Decision(False, "owner", _OWNER_REASON)
    return policy.entry_decision(ca, attachment)


def attachment_write_decision(ca: CaseAccess, owner: Any) -> Decision:
    """May the principal attach a file to this entry, meeting or consent (`owner`, of the case `ca.case`)?"""
    kind = owner._meta.model_name
    if getattr(owner, "case_id", None) != ca.case.pk:
        return Decision(False, "owner", _OWNER_REASON)
    if kind == "entry":
        return policy.can(ca.membership, Act.ENTRY_EDIT, owner)
    if kind == "meeting":
        if owner.cancelled_at is not None:
            return Decision(False, "meeting", _("The meeting is cancelled."))
        return meeting_write_decision(ca, owner)
    if kind == "consent":
        if ca.case.is_closed:
            return Decision(False, "closed", _("The case is closed."))
        return policy.can(ca.membership, Act.SHARING_RECORD, ca)
    return Decision(False, "owner", _OWNER_REASON)


def attachment_classifications(ca: CaseAccess) -> list[str]:
    """The classifications the principal may give an attachment: compartments their organisation can read."""
    return policy.writable_classifications(ca.membership)
