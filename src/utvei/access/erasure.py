"""Who may crypto-shred a person (people.services.person_shred, docs/encryption.md).

Destroying a person's data key erases everything about them, in every backup too, and cannot be undone. Only the
data protection officer of an organisation that owns one of the person's cases may do it by hand; retention
(issue 15) does it as the system, without a membership, when a rule says so.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership
from utvei.accounts.roles import Role
from utvei.cases.models import Case
from utvei.people.models import Person

from .policy import Decision, membership_ok


def person_shred_decision(m: Membership | None, person: Person) -> Decision:
    if m is None or not membership_ok(m) or m.role != Role.DPO:
        return Decision(False, "role", _("Only the data protection officer can erase a person's data."))
    if not Case.objects.filter(person=person, owning_org_id=m.organisation_id).exists():
        return Decision(
            False, "relation", _("Only the data protection officer of an organisation that owns the case can.")
        )
    return Decision(True, "role", _("The data protection officer of the organisation that owns the case."))
