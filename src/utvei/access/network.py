"""Who may see and record the person's network: the network part of THE policy (see policy.py, docs/network.md).

Two steps, both in the policy's terms:

1. **The network as a whole** (`network_decision`): a viewer sees contacts and the map only with a basis for the
   data category `network` — their organisation owns the case, an active consent covers their organisation (or
   its kind) for `network` and the purpose "coordination", an active disclosure of `network` to their
   organisation exists, or they hold an active emergency access. Without one they see neither contacts nor map
   nor any count, only that the network is restricted for them. Nothing is cached: a withdrawal works on the next
   request.
2. **Each contact** (`contact_read_decision`): the entry rule itself, `policy.entry_decision`, with the contact's
   author organisation, classification and the category `network`: the compartments (own_org, police, health),
   the author's organisation, then a basis from the author's organisation. A contact the viewer may not read is
   left out — no marker, so the map's counts do not leak either. Mentors: the entry rule lets them read only
   contacts classified `mentor` or `participant` (with a basis), and they never record anything here.

An observation's valence, closeness and frequency belong to the tie and are read with the contact; its note has
a classification of its own and is read by the entry rule too (`note_read_decision`).

Writes (`network_write_decision`): coordinators and caseworkers with a full relation (team, the owning
organisation's coordinator) whose organisation has a basis for `network`, on an open case. They add contacts and
observations of the contacts they may read; only the author's organisation changes a contact. Referral recipients
and emergency access read only.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership
from utvei.accounts.roles import Cap, has_cap
from utvei.core.vocabulary import DataCategory

from . import policy
from .policy import FULL_RELATIONS, READ_PURPOSE, CaseAccess, Decision, Relation, entry_decision

NETWORK = DataCategory.NETWORK.value

RESTRICTED_REASON = _(
    "The person's network is restricted for you: no consent or disclosure lets your organisation see the "
    "network category of this case."
)

# The policy's reasons speak of entries; for a contact these steps say it in the network's words.
CONTACT_REASONS = {
    "author": _("You added this contact."),
    "own_org": _("Your organisation added this contact."),
    "classification": _("The classification of this contact does not include you."),
}


def network_decision(ca: CaseAccess) -> Decision:
    """May the principal see the case's network at all? No queries beyond the case's consents and disclosures,
    which are loaded once per request (`ca.bases()`)."""
    m = ca.membership
    if ca.relation == Relation.EMERGENCY:
        return Decision(
            True, "emergency", _("Your emergency access lets you read this until it expires."), dict(ca.records)
        )
    if m.organisation_id == ca.case.owning_org_id:
        return Decision(True, "own_org", _("Your organisation owns this case."), dict(ca.records))
    consents, disclosures = ca.bases()
    now = timezone.now()
    org = m.organisation
    by_consent = [str(c.public_id) for c in consents if c.covers(org, NETWORK, READ_PURPOSE, now)]
    if by_consent:
        return Decision(
            True,
            "basis",
            _("The person's consent covers your organisation for the network."),
            {**ca.records, "consent": by_consent},
        )
    by_disclosure = [str(d.public_id) for d in disclosures if d.covers(org, NETWORK, now)]
    if by_disclosure:
        return Decision(
            True,
            "basis",
            _("A recorded disclosure of the network to your organisation covers this."),
            {**ca.records, "disclosure": by_disclosure},
        )
    return Decision(False, "basis", RESTRICTED_REASON)


def contact_read_decision(ca: CaseAccess, contact: Any) -> Decision:
    """Steps 5–8 of the policy for one contact (the entry rule, category `network`). No queries when the
    contact's author_org is loaded and the case's bases are."""
    decision = entry_decision(ca, contact)
    if decision.step in CONTACT_REASONS:
        return replace(decision, reason=CONTACT_REASONS[decision.step])
    return decision


def note_read_decision(ca: CaseAccess, observation: Any) -> Decision:
    """May the principal read an observation's note? The entry rule with the note's own classification."""
    return entry_decision(ca, observation)


def _limited(ca: CaseAccess) -> Decision:
    if ca.relation == Relation.EMERGENCY:
        return Decision(False, "relation", _("Emergency access is for reading only."))
    return Decision(False, "relation", _("You joined this case through a referral, in a limited role."))


def network_write_decision(ca: CaseAccess, contact: Any = None, *, edit: bool = False) -> Decision:
    """May the principal add a contact (no contact), add an observation of this contact, or — with `edit` —
    change the contact itself?"""
    m = ca.membership
    if not (has_cap(m.role, Cap.CASE_READ_FULL) and has_cap(m.role, Cap.ENTRY_WRITE)):
        return Decision(False, "capability", _("Only coordinators and caseworkers can record the network."))
    if ca.relation not in FULL_RELATIONS:
        return _limited(ca)
    if ca.case.is_closed:
        return Decision(False, "closed", _("The case is closed."))
    gate = network_decision(ca)
    if not gate:
        return gate
    if contact is not None:
        if not contact_read_decision(ca, contact):
            return Decision(False, "contact", _("You may not read this contact, so you cannot change it."))
        if edit and contact.author_org_id != m.organisation_id:
            return Decision(False, "contact", _("Only the organisation that added a contact can change it."))
    return Decision(True, "network", _("You work on this case's team."), dict(ca.records))


def network_classifications(m: Membership) -> list[str]:
    """The classifications a principal may give a contact or a note: compartments they could read themselves."""
    if not (has_cap(m.role, Cap.CASE_READ_FULL) and has_cap(m.role, Cap.ENTRY_WRITE)):
        return []
    return policy.writable_classifications(m)
