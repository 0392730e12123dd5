"""The case header's and the person record's history, and the safety plan's review date: this part of THE policy
(see policy.py; docs/people.md «History», docs/reminders.md).

Nothing new is decided here that the live header does not decide already: an earlier value is read by exactly
whoever may read the live field now (`policy.header_scope`). The history itself — that the header or the
identity was changed, which fields, by whom and when — is part of the case as coordinators and caseworkers read
it (not of a mentor's view, which has no history of the file). A reader without identity access sees that the
identity was changed, never from what.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .policy import Act, CaseAccess, Decision, can, header_scope

# Each versioned field -> the `header_scope` item that admits its live value (and so its earlier ones).
HISTORY_SCOPE = {
    "ideologies": "ideologies",
    "motivation_stage": "motivation_stage",
    "threat_clarified_at": "threat_clarified_at",
    "safety_plan": "safety_plan",
    "safety_plan_review_on": "safety_plan",
    # The person record: every identity detail is "who the person is".
    "full_name": "person",
    "national_id": "person",
    "birth_date": "person",
    "gender": "person",
    "municipality": "person",
    "guardian_name": "person",
}


def history_decision(ca: CaseAccess) -> Decision:
    """May the principal see the history of the case header and the person record at all (the page, the API)?"""
    if not ca.full:
        return Decision(False, "role", _("Your role does not see the history of the case details."))
    return Decision(True, "relation", _("You read this case in full."), records=dict(ca.records))


def history_readable(ca: CaseAccess) -> frozenset[str]:
    """The versioned fields whose earlier values the principal may read: those whose live value they may read."""
    scope = header_scope(ca)
    return frozenset(field for field, item in HISTORY_SCOPE.items() if item in scope)


def safety_plan_visible(ca: CaseAccess) -> bool:
    """Does the principal read the safety plan (and so its review date, and the reminder when it passes)?"""
    return "safety_plan" in header_scope(ca)


def person_read_decision(ca: CaseAccess) -> Decision:
    """May the principal read the identity details of the case's person: where the header shows who it is."""
    if "person" not in header_scope(ca):
        return Decision(False, "identity", _("You may not read who this case is about."))
    return Decision(True, "identity", _("You may read who this case is about."), records=dict(ca.records))


def person_edit_decision(ca: CaseAccess) -> Decision:
    """May the principal edit the identity details of the case's person: manage the case and read who it is."""
    manage = can(ca.membership, Act.CASE_MANAGE, ca)
    if not manage:
        return manage
    if "person" not in header_scope(ca):
        return Decision(False, "identity", _("You may not read who this case is about."))
    return manage
