"""Pages of the person's network: the map at a date, two dates compared, adding contacts and observations, one
contact's page, and the network section of the case page. Every page reads through network/selectors.py (which
asks access.network) and writes through network/services.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from utvei.access.network import network_classifications, network_write_decision
from utvei.access.policy import CaseAccess
from utvei.accounts.models import Membership, Organisation
from utvei.audit.models import Action
from utvei.core.errors import Forbidden, NotFound, UtveiError
from utvei.core.forms import submit
from utvei.core.web import forbidden, is_htmx, page

from . import selectors, services
from .ecomap import render_ecomap
from .forms import CompareForm, ContactEditForm, ContactForm, DateForm, ObservationForm, OrgChoices
from .selectors import ContactView, Network, Snapshot


def map_url(case: Any, on: dt.date | None = None) -> str:
    url = reverse("network_map", args=[case.public_id])
    return f"{url}?on={on.isoformat()}" if on else url


def contact_url(case: Any, contact: Any, anchor: str = "") -> str:
    url = reverse("network_contact", args=[case.public_id, contact.public_id])
    return f"{url}#{anchor}" if anchor else url


def _date(day: dt.date) -> str:
    return str(formats.date_format(day, "SHORT_DATE_FORMAT"))


def ecomap(snapshot: Snapshot, *, id_prefix: str = "ecomap") -> Any:
    """The SVG for a snapshot, titled with its date and described with its counts."""
    counts = snapshot.indicators
    title = gettext("Network map on %(date)s") % {"date": _date(snapshot.on)}
    desc = (
        gettext(
            "%(total)d ties around the person: %(supportive)d supportive, %(risk)d risk, %(ambivalent)d ambivalent, "
            "%(unknown)d unknown; %(informal)d informal and %(formal)d formal. The table lists every tie."
        )
        % counts.as_dict()
    )
    return render_ecomap(
        snapshot.for_ecomap(), person_label=gettext("Person"), title=title, desc=desc, id_prefix=id_prefix
    )


def _orgs(network: Network) -> OrgChoices:
    orgs: dict[int, Organisation] = {t.organisation_id: t.organisation for t in network.team}
    orgs.setdefault(network.case.owning_org_id, network.case.owning_org)
    return OrgChoices(orgs.values())


# ---- The case page's network section -------------------------------------------------------------------


def case_network_context(ca: CaseAccess) -> dict[str, Any]:
    """What the case page's «Network» section shows (templates/network/_case_section.html). The case page's
    `case.view` event covers the read."""
    network = selectors.load(ca)
    today = timezone.localdate()
    return {
        "network": network,
        "snapshot": network.snapshot(today) if network.open else None,
        "can_add_contact": bool(network_write_decision(ca)),
        "today": today,
    }


# ---- The map -------------------------------------------------------------------------------------------


def _restricted(request: HttpRequest, network: Network) -> HttpResponse:
    ctx = {"case": network.case, "ca": network.ca, "network": network}
    return render(request, "network/network_restricted.html", ctx, status=403)


@require_GET
@page
def network_map(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    """The map on a chosen date (`?on=`) beside its table, with the counts of ties."""
    network = selectors.network_get(actor=m, case_id=case_id)
    if not network.open:
        return _restricted(request, network)
    form = DateForm(request.GET or None, initial={"on": timezone.localdate()})
    ca = network.ca
    assert ca is not None
    ctx: dict[str, Any] = {
        "case": network.case,
        "ca": ca,
        "network": network,
        "form": form,
        "can_add_contact": bool(network_write_decision(ca)),
    }
    if request.GET and not form.is_valid():
        return render(request, "network/network_map.html", ctx, status=400)
    on = form.day() if request.GET else timezone.localdate()
    snapshot = network.snapshot(on)
    ctx.update(
        {
            "on": on,
            "snapshot": snapshot,
            "svg": ecomap(snapshot),
            "compare_from": on - dt.timedelta(days=365),
            "ended_contacts": [cv for cv in network.contacts if (s := cv.state(on)) is not None and s.ended],
        }
    )
    return render(request, "network/network_map.html", ctx)


@require_GET
@page
def network_compare(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    """Two dates side by side, with the changes listed: new ties, ended ties, changed valence or closeness."""
    network = selectors.network_get(actor=m, case_id=case_id, audit_action=Action.NETWORK_COMPARE)
    if not network.open:
        return _restricted(request, network)
    today = timezone.localdate()
    form = CompareForm(request.GET or None, initial={"from": today - dt.timedelta(days=365), "to": today})
    ctx: dict[str, Any] = {"case": network.case, "ca": network.ca, "network": network, "form": form}
    if request.GET and not form.is_valid():
        return render(request, "network/network_compare.html", ctx, status=400)
    a, b = form.dates() if request.GET else CompareForm.dates_or_none({})
    assert a is not None and b is not None
    comparison = network.compare(a, b)
    ctx.update(
        {
            "a": a,
            "b": b,
            "comparison": comparison,
            "svg_before": ecomap(comparison.before, id_prefix="ecomap-from"),
            "svg_after": ecomap(comparison.after, id_prefix="ecomap-to"),
        }
    )
    return render(request, "network/network_compare.html", ctx)


# ---- Contacts ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page
def contact_new(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    """A new contact with the first observation of the tie."""
    # Opening the form is a read of the case (as for a new entry or meeting); the write audits itself.
    audit = Action.CASE_VIEW if request.method == "GET" else None
    network = selectors.network_get(actor=m, case_id=case_id, audit_action=audit)
    ca = network.ca
    assert ca is not None
    decision = network_write_decision(ca)
    if not decision:
        return forbidden(request, decision.reason)
    kw: dict[str, Any] = {"orgs": _orgs(network), "classifications": network_classifications(m)}
    status = 200
    if request.method == "POST":
        form = ContactForm(request.POST, **kw)
        if form.is_valid():
            try:
                contact = services.contact_create(actor=m, case=ca.case, **form.contact(), **form.observation())
            except (Forbidden, NotFound):
                raise
            except UtveiError as exc:
                form.add_service_error(exc)
                status = exc.status
            else:
                messages.success(request, _("The contact is added to the network."))
                return HttpResponseRedirect(contact_url(ca.case, contact))
        else:
            status = 400
    else:
        form = ContactForm(initial={"observed_on": timezone.localdate(), "formal": "informal"}, **kw)
    ctx = {"form": form, "case": ca.case, "ca": ca}
    return render(request, "network/contact_form.html", ctx, status=status)


def _contact_context(m: Membership, network: Network, cv: ContactView, **extra: Any) -> dict[str, Any]:
    ca = network.ca
    assert ca is not None
    contact = cv.contact
    observe = network_write_decision(ca, contact)
    edit = network_write_decision(ca, contact, edit=True)
    classifications = network_classifications(m)
    latest = cv.latest
    observation_form = extra.pop("observation_form", None)
    if observation_form is None and observe:
        initial = {"observed_on": timezone.localdate(), "classification": contact.classification}
        if latest is not None:
            initial.update({"valence": latest.valence, "closeness": latest.closeness, "frequency": latest.frequency})
        observation_form = ObservationForm(prefix="observation", initial=initial, classifications=classifications)
    edit_form = extra.pop("edit_form", None)
    if edit_form is None and edit:
        initial = {
            "label": contact.label,
            "relation": contact.relation,
            "formal": "formal" if contact.formal else "informal",
            "organisation": contact.organisation.slug if contact.organisation else "",
            "classification": contact.classification,
            "version": contact.version,
        }
        edit_form = ContactEditForm(
            prefix="contact", initial=initial, orgs=_orgs(network), classifications=classifications
        )
    today = timezone.localdate()
    state = cv.state(today)
    ctx: dict[str, Any] = {
        "case": network.case,
        "ca": ca,
        "network": network,
        "cv": cv,
        "contact": contact,
        "state": state,
        "live": state is not None and not state.ended,
        "observations": list(reversed(cv.observations)),
        "observation_form": observation_form if observe else None,
        "edit_form": edit_form if edit else None,
        "refusal": None if observe else observe.reason,
        "revisions": selectors.contact_revisions(network, cv),
        "today": today,
    }
    ctx.update(extra)
    return ctx


def _contact_page(
    request: HttpRequest, m: Membership, network: Network, cv: ContactView, status: int = 200, **extra: Any
) -> HttpResponse:
    template = "network/_contact_body.html" if is_htmx(request) else "network/contact_detail.html"
    return render(request, template, _contact_context(m, network, cv, **extra), status=status)


@require_GET
@page
def contact_detail(request: HttpRequest, m: Membership, case_id: Any, contact_id: Any) -> HttpResponse:
    network, cv = selectors.contact_get(actor=m, case_id=case_id, contact_id=contact_id)
    return _contact_page(request, m, network, cv)


def _fresh(m: Membership, network: Network, cv: ContactView) -> tuple[Network, ContactView]:
    return selectors.contact_get(
        actor=m, case_id=network.case.public_id, contact_id=cv.contact.public_id, audit_action=None
    )


def _write_target(m: Membership, case_id: Any, contact_id: Any, *, edit: bool) -> tuple[Network, ContactView]:
    """The contact for a write; the service records the one audit event. A principal who may not write is told
    so before their form is read (the service checks again)."""
    network, cv = selectors.contact_get(actor=m, case_id=case_id, contact_id=contact_id, audit_action=None)
    assert network.ca is not None
    decision = network_write_decision(network.ca, cv.contact, edit=edit)
    if not decision:
        raise Forbidden(decision.reason)
    return network, cv


def _done(request: HttpRequest, m: Membership, network: Network, cv: ContactView, note: Any) -> HttpResponse:
    if is_htmx(request):
        fresh_network, fresh_cv = _fresh(m, network, cv)
        return _contact_page(request, m, fresh_network, fresh_cv, contact_note=note)
    messages.success(request, note)
    return HttpResponseRedirect(contact_url(network.case, cv.contact))


@require_POST
@page
def observation_add(request: HttpRequest, m: Membership, case_id: Any, contact_id: Any) -> HttpResponse:
    network, cv = _write_target(m, case_id, contact_id, edit=False)
    form = ObservationForm(request.POST, prefix="observation", classifications=network_classifications(m))
    if not form.is_valid():
        return _contact_page(request, m, network, cv, status=400, observation_form=form)
    try:
        services.observation_add(actor=m, contact=cv.contact, **form.observation())
    except (Forbidden, NotFound):
        raise
    except UtveiError as exc:
        form.add_service_error(exc)
        return _contact_page(request, m, network, cv, status=exc.status, observation_form=form)
    ended = form.cleaned_data.get("ended")
    note = _("The tie is recorded as ended.") if ended else _("The observation is recorded.")
    return _done(request, m, network, cv, note)


@require_POST
@page
def contact_edit(request: HttpRequest, m: Membership, case_id: Any, contact_id: Any) -> HttpResponse:
    network, cv = _write_target(m, case_id, contact_id, edit=True)
    form = ContactEditForm(
        request.POST, prefix="contact", orgs=_orgs(network), classifications=network_classifications(m)
    )
    status = submit(
        form,
        lambda d: services.contact_update(actor=m, contact=cv.contact, expected_version=d["version"], **form.contact()),
    )
    if status == 409:
        fresh_network, fresh_cv = _fresh(m, network, cv)
        return _contact_page(request, m, fresh_network, fresh_cv, status=409, edit_form=form)
    if status is not None:
        return _contact_page(request, m, network, cv, status=status, edit_form=form)
    return _done(request, m, network, cv, _("The contact is saved."))
