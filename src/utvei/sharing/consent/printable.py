"""What the printable consent and withdrawal forms show, read through the access policy and audited.

The forms are for the staff who record consent: whoever may open the case's consent and sharing page
(cases.selectors.case_get, then full read). Unrelated users and mentors get NotFound; each refusal is audited as
`case.denied`, each form shown as `consent.view` with the reason `form:<form>:<language>`.

The person's name and birth date are never printed: they are blank lines the person fills in by hand (see
docs/sharing.md, "Printable forms").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from utvei.access.policy import CaseAccess
from utvei.accounts.models import Membership, Organisation, OrgKind
from utvei.audit.models import Action
from utvei.audit.services import audit_record
from utvei.cases.selectors import case_get
from utvei.core.errors import NotFound
from utvei.core.vocabulary import DataCategory

from ..models import CONSENT_TEXT_VERSION, Consent, Purpose
from .selectors import consents_of
from .services import consent_own_age

CONSENT_FORM = "consent"
WITHDRAWAL_FORM = "withdrawal"
FORMS = (CONSENT_FORM, WITHDRAWAL_FORM)
FORM_LANGUAGES = ("nb", "en")


@dataclass(frozen=True)
class PrintableForm:
    """Everything a printable form needs; the wording itself is in the template of each language."""

    ca: CaseAccess
    form: str
    lang: str
    owner: Organisation
    team_orgs: list[Organisation]  # on the team now, and the owner
    kinds: list[str]  # OrgKind values of the team's organisations, in catalogue order
    consent: Consent | None
    own_age: int
    text_version: str = CONSENT_TEXT_VERSION

    @property
    def categories(self) -> list[str]:
        """The categories the form lists: the consent's (withdrawal of a given consent), else all nine."""
        return list(self.consent.categories) if self.consent is not None else list(DataCategory.values)

    @property
    def purposes(self) -> list[str]:
        return list(self.consent.purposes) if self.consent is not None else list(Purpose.values)

    @property
    def scope_orgs(self) -> list[Organisation]:
        """The organisations the form lists: the consent's, else the team's."""
        if self.consent is not None:
            return sorted(self.consent.scope_orgs.all(), key=lambda o: o.name)
        return self.team_orgs

    @property
    def scope_kinds(self) -> list[str]:
        if self.consent is not None:
            return [k for k in OrgKind.values if k in self.consent.scope_kinds]
        return self.kinds


def form_language(requested: Any, active: str | None) -> str:
    """The form's language: `?lang=` when it is one of ours, else the interface language, else bokmål."""
    for candidate in (requested, (active or "")[:2]):
        if isinstance(candidate, str) and candidate in FORM_LANGUAGES:
            return candidate
    return FORM_LANGUAGES[0]


def _deny(ca: CaseAccess, form: str) -> NotFound:
    m = ca.membership
    audit_record(
        action=Action.CASE_DENIED, actor=m.user, organisation=m.organisation, obj=ca.case, case=ca.case, reason=form
    )
    return NotFound(_("The form was not found."))


def printable_form(
    *, actor: Membership | None, case_id: Any, form: str, lang: str, consent_id: Any = None
) -> PrintableForm:
    """The data of one printable form of one case, for a coordinator or team member with full read."""
    ca = case_get(actor=actor, case_id=case_id, audit=False)
    if form not in FORMS or lang not in FORM_LANGUAGES:
        raise NotFound(_("The form was not found."))
    if not ca.full:
        raise _deny(ca, f"form:{form}")
    case = ca.case
    consent = None
    if consent_id not in (None, ""):
        try:
            pk = uuid.UUID(str(consent_id))
        except (TypeError, ValueError, AttributeError):
            pk = None
        consent = consents_of(case).filter(public_id=pk).first() if pk else None
        if consent is None:
            raise NotFound(_("The consent was not found."))
    # The organisations on the team now, and the owner, who asks (its coordinator need not be on the team).
    team_ids = set(case.team.current().values_list("organisation_id", flat=True)) | {case.owning_org_id}
    team_orgs = list(Organisation.objects.filter(pk__in=team_ids).order_by("name"))
    kinds_present = {o.kind for o in team_orgs}
    m = ca.membership
    audit_record(
        action=Action.CONSENT_VIEW,
        actor=m.user,
        organisation=m.organisation,
        obj=consent if consent is not None else case,
        case=case,
        reason=f"form:{form}:{lang}",
    )
    return PrintableForm(
        ca=ca,
        form=form,
        lang=lang,
        owner=case.owning_org,
        team_orgs=team_orgs,
        kinds=[k for k in OrgKind.values if k in kinds_present],
        consent=consent,
        own_age=consent_own_age(),
    )
