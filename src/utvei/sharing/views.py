"""The pages that span the subjects of sharing, and so sit above them (sharing/__init__.py):

- the catalogue of legal bases (/legal-bases/): read-only, for every logged-in user with a membership;
- the consent and sharing page of a case (/cases/<id>/sharing/): its consents and disclosures with their forms
  (sharing.consent) and its Referrals section (sharing.referrals.views.case_referrals_context).

Every read and write goes through the selectors and services, which check access and write the audit events."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from utvei.access.attachments import attachment_classifications, attachment_write_decision
from utvei.access.policy import Act, CaseAccess, can
from utvei.access.sharing import legal_basis_note_decision
from utvei.accounts.models import Membership, Organisation, OrgKind
from utvei.cases import selectors as case_selectors
from utvei.cases import services as case_services
from utvei.cases.models import Case
from utvei.core.errors import Forbidden, UtveiError
from utvei.core.forms import submit
from utvei.core.vocabulary import DataCategory
from utvei.core.web import page

from .consent import selectors, services
from .consent.forms import (
    ConsentAttachmentForm,
    ConsentForm,
    DisclosureForm,
    LegalBasisNoteForm,
    WithdrawForm,
    end_of_day,
)
from .models import COUNSEL_NOTE, Purpose
from .referrals.views import case_referrals_context

CATEGORY_LABELS = dict(DataCategory.choices)
PURPOSE_LABELS = dict(Purpose.choices)
KIND_LABELS = dict(OrgKind.choices)


# ---- The catalogue of legal bases ----------------------------------------------------------------------


@require_GET
@page
def legal_basis_list(request: HttpRequest, m: Membership) -> HttpResponse:
    return _basis_page(request, m)


def _basis_page(
    request: HttpRequest, m: Membership, *, status: int = 200, bound: LegalBasisNoteForm | None = None, key: str = ""
) -> HttpResponse:
    """The catalogue; for an administrator each basis with the form for the organisation's own note."""
    bases = list(selectors.legal_basis_list(actor=m))
    if legal_basis_note_decision(m).allowed:
        for basis in bases:
            note = selectors.own_note(basis)
            basis.note_form = (  # type: ignore[attr-defined]  # for the template, beside the selector's own_notes
                bound
                if bound is not None and basis.key == key
                else LegalBasisNoteForm(
                    prefix=f"note-{basis.key}",
                    initial={"text": note.text if note else "", "version": note.version if note else 0},
                )
            )
    problem = next((b for b in bases if bound is not None and b.key == key and bound.errors), None)
    context = {"bases": bases, "counsel_note": COUNSEL_NOTE, "note_problem": problem}
    return render(request, "sharing/legal_basis_list.html", context, status=status)


@require_POST
@page
def legal_basis_note(request: HttpRequest, m: Membership, key: str) -> HttpResponse:
    """Save the organisation's note on one basis (its administrators); a stale version keeps what was typed."""
    basis = selectors.legal_basis_get(actor=m, key=key)
    form = LegalBasisNoteForm(request.POST, prefix=f"note-{basis.key}")
    status = submit(
        form,
        lambda d: services.legal_basis_note_save(actor=m, basis=basis, expected_version=d["version"], text=d["text"]),
    )
    if status is not None:
        return _basis_page(request, m, status=status, bound=form, key=basis.key)
    messages.success(request, _("The note is saved."))
    return HttpResponseRedirect(reverse("legal_basis_list") + f"#basis-{basis.key}")


# ---- The consent and sharing page of a case ------------------------------------------------------------


def _labels(values: list[str], labels: dict[str, Any]) -> str:
    return ", ".join(str(labels.get(v, v)) for v in values)


def _team_orgs(case: Case) -> list[Organisation]:
    ids = case.team.current().values_list("organisation_id", flat=True)
    return list(Organisation.objects.filter(pk__in=ids).order_by("name"))


def _sharing_url(case: Case) -> str:
    return reverse("case_sharing", args=[case.public_id])


def _render(
    request: HttpRequest,
    m: Membership,
    ca: CaseAccess,
    *,
    status: int = 200,
    consent_form: ConsentForm | None = None,
    disclosure_form: DisclosureForm | None = None,
    attachment_form: ConsentAttachmentForm | None = None,
    action_error: Any = None,
) -> HttpResponse:
    case = ca.case
    orgs = _team_orgs(case)
    _ca, consent_rows = selectors.case_consents(actor=m, case_id=case.public_id)
    _ca, disclosures = selectors.case_disclosures(actor=m, case_id=case.public_id)
    now = timezone.now()
    may_end = bool(can(m, Act.SHARING_RECORD, case))
    consents = list(consent_rows)
    files = case_selectors.attachments_for(ca, consents)
    may_attach = bool(consents) and bool(attachment_write_decision(ca, consents[0]))
    if may_attach and attachment_form is None:
        attachment_form = ConsentAttachmentForm(
            consents=consents, classifications=attachment_classifications(ca), prefix="attachment"
        )
    context = {
        "consent_files": [(c, files[c.pk]) for c in consents if files[c.pk]],
        "attachment_form": attachment_form if may_attach else None,
        "attachment_action": reverse("consent_attachment_add", args=[case.public_id]),
        "ca": ca,
        "case": case,
        "consents": [
            {
                "obj": c,
                "categories": _labels(c.categories, CATEGORY_LABELS),
                "purposes": _labels(c.purposes, PURPOSE_LABELS),
                "kinds": _labels(c.scope_kinds, KIND_LABELS),
            }
            for c in consents
        ],
        "disclosures": [{"obj": d, "categories": _labels(d.categories, CATEGORY_LABELS)} for d in disclosures],
        "now": now,
        "consent_form": consent_form or ConsentForm(organisations=orgs),
        "disclosure_form": disclosure_form
        or DisclosureForm(
            organisations=[o for o in orgs if o.pk != m.organisation_id], bases=selectors.usable_bases(m)
        ),
        "withdraw_form": WithdrawForm(),
        "action_error": action_error,
        "may_end": may_end,
        "may_record": may_end and not case.is_closed,
    }
    context.update(case_referrals_context(m, ca))
    return render(request, "sharing/case_sharing.html", context, status=status)


@require_http_methods(["GET", "POST"])
@page
def case_sharing(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca, _consents = selectors.case_consents(actor=m, case_id=case_id, audit=False)
    case = ca.case
    if request.method == "GET":
        return _render(request, m, ca)
    orgs = _team_orgs(case)
    if request.POST.get("form") == "disclosure":
        dform = DisclosureForm(
            request.POST, organisations=[o for o in orgs if o.pk != m.organisation_id], bases=selectors.usable_bases(m)
        )
        if not dform.is_valid():
            return _render(request, m, ca, status=400, disclosure_form=dform)
        d = dform.cleaned_data
        try:
            services.disclosure_record(
                actor=m,
                case=case,
                to_org_slug=d["to_org"],
                categories=d["categories"],
                legal_basis_key=d["legal_basis"],
                justification=d["justification"],
                expires_at=end_of_day(d["expires_on"]),
            )
        except Forbidden:
            raise
        except UtveiError as exc:
            dform.add_service_error(exc)
            return _render(request, m, ca, status=exc.status, disclosure_form=dform)
        messages.success(request, _("The disclosure is recorded."))
        return HttpResponseRedirect(_sharing_url(case))
    cform = ConsentForm(request.POST, organisations=orgs)
    if not cform.is_valid():
        return _render(request, m, ca, status=400, consent_form=cform)
    c = cform.cleaned_data
    try:
        services.consent_record(
            actor=m,
            case=case,
            given_by=c["given_by"],
            guardian_name=c["guardian_name"],
            scope_org_slugs=c["organisations"],
            scope_kinds=c["kinds"],
            categories=c["categories"],
            purposes=c["purposes"],
            valid_until=end_of_day(c["valid_until"]),
            evidence=c["evidence"],
            evidence_note=c["evidence_note"],
        )
    except Forbidden:
        raise
    except UtveiError as exc:
        cform.add_service_error(exc)
        return _render(request, m, ca, status=exc.status, consent_form=cform)
    messages.success(request, _("The consent is recorded."))
    return HttpResponseRedirect(_sharing_url(case))


@require_POST
@page
def consent_withdraw(request: HttpRequest, m: Membership, case_id: Any, consent_id: Any) -> HttpResponse:
    consent = selectors.consent_get(actor=m, case_id=case_id, consent_id=consent_id)
    ca, _consents = selectors.case_consents(actor=m, case_id=case_id, audit=False)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
        return _render(request, m, ca, status=400, action_error=errors)
    try:
        services.consent_withdraw(actor=m, consent=consent, note=form.cleaned_data["note"])
    except Forbidden:
        raise
    except UtveiError as exc:
        return _render(request, m, ca, status=exc.status, action_error=exc.message)
    messages.success(request, _("The consent is withdrawn."))
    return HttpResponseRedirect(_sharing_url(ca.case))


@require_POST
@page
def disclosure_revoke(request: HttpRequest, m: Membership, case_id: Any, disclosure_id: Any) -> HttpResponse:
    disclosure = selectors.disclosure_get(actor=m, case_id=case_id, disclosure_id=disclosure_id)
    ca, _consents = selectors.case_consents(actor=m, case_id=case_id, audit=False)
    try:
        services.disclosure_revoke(actor=m, disclosure=disclosure)
    except Forbidden:
        raise
    except UtveiError as exc:
        return _render(request, m, ca, status=exc.status, action_error=exc.message)
    messages.success(request, _("The disclosure is revoked."))
    return HttpResponseRedirect(_sharing_url(ca.case))


@require_POST
@page
def consent_attachment_add(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    """Attach a file (the signed form, a guardian's letter) to one of the case's consents
    (cases.services.attachment_add). A refusal shows the page again with the form and the reason."""
    ca, consents = selectors.case_consents(actor=m, case_id=case_id, audit=False)
    rows = list(consents)
    form = ConsentAttachmentForm(
        request.POST,
        request.FILES,
        consents=rows,
        classifications=attachment_classifications(ca),
        prefix="attachment",
    )

    def act(d: dict[str, Any]) -> Any:
        consent = selectors.consent_get(actor=m, case_id=case_id, consent_id=d["consent"])
        return case_services.attachment_add(actor=m, owner=consent, **form.upload())

    status = submit(form, act)
    if status is not None:
        return _render(request, m, ca, status=status, attachment_form=form)
    messages.success(request, _("The file is attached."))
    return HttpResponseRedirect(_sharing_url(ca.case) + "#consent-files")
