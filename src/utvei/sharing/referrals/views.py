"""Pages for referrals and transfers: the form on a case, the inbox of an organisation, one referral with its
answers. Every read and write goes through referrals/services.py, which checks access and writes the audit
events."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from utvei.access import policy
from utvei.access import sharing as sharing_policy
from utvei.access.policy import CaseAccess
from utvei.accounts.models import Membership
from utvei.cases import selectors as case_selectors
from utvei.cases.models import Case, TeamMember
from utvei.core.errors import Forbidden, UtveiError
from utvei.core.vocabulary import DataCategory
from utvei.core.web import page

from ..consent.selectors import usable_bases
from ..models import Referral, ReferralKind
from . import services
from .forms import AcceptForm, DeclineForm, ReferralForm

PAGE_SIZE = 50
CATEGORY_LABELS = dict(DataCategory.choices)


def categories_label(referral: Referral) -> str:
    return ", ".join(str(CATEGORY_LABELS.get(c, c)) for c in referral.categories)


def _detail_url(referral: Referral) -> str:
    return reverse("referral_detail", args=[referral.public_id])


def case_referrals_context(m: Membership, ca: CaseAccess) -> dict[str, Any]:
    """The Referrals section of the case's sharing page: only for a full relation to the case."""
    if not sharing_policy.referrals_read_decision(ca):
        return {"referrals_shown": False}
    _ca, rows = services.referrals_of_case(actor=m, case_id=ca.case.public_id)
    return {
        "referrals_shown": True,
        "referral_rows": [{"view": v, "categories": categories_label(v.referral)} for v in rows],
        "may_refer": any(services.may_send(m, ca.case).values()),
    }


# ---- Refer or transfer a case --------------------------------------------------------------------------


def _keepable(case: Case) -> list[TeamMember]:
    return list(
        TeamMember.objects.current()
        .filter(case=case, organisation_id=case.owning_org_id)
        .select_related("user")
        .order_by("started_at", "pk")
    )


def _referral_form(m: Membership, case: Case, kinds: list[str], data: Any = None) -> ReferralForm:
    orgs = sharing_policy.referral_recipients().exclude(pk__in={m.organisation_id, case.owning_org_id}).order_by("name")
    return ReferralForm(
        data,
        kinds=kinds,
        organisations=list(orgs),
        bases=usable_bases(m),
        keepable=_keepable(case) if ReferralKind.TRANSFER in kinds else [],
    )


@require_http_methods(["GET", "POST"])
@page
def referral_new(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = case_selectors.case_get(actor=m, case_id=case_id, audit=request.method == "GET")
    case = ca.case
    allowed = services.may_send(m, case)
    kinds = [k for k in ReferralKind.values if allowed[k]]
    if not kinds:
        raise Forbidden(policy.can(m, policy.Act.REFERRAL_SEND, case).reason)
    if request.method == "GET":
        form = _referral_form(m, case, kinds)
        return render(request, "sharing/referral_form.html", {"case": case, "form": form})
    form = _referral_form(m, case, kinds, request.POST)
    if not form.is_valid():
        return render(request, "sharing/referral_form.html", {"case": case, "form": form}, status=400)
    d = form.cleaned_data
    try:
        referral = services.referral_send(
            actor=m,
            case=case,
            to_org_slug=d["to_org"],
            kind=d["kind"],
            categories=d["categories"],
            basis=d["basis"],
            legal_basis_key=d["legal_basis"],
            justification=d["justification"],
            message=d["message"],
            keep_team_member_ids=d.get("keep") or [],
        )
    except Forbidden:
        raise
    except UtveiError as exc:
        form.add_service_error(exc)
        return render(request, "sharing/referral_form.html", {"case": case, "form": form}, status=exc.status)
    if referral.kind == ReferralKind.TRANSFER:
        messages.success(request, _("The transfer is sent. %(org)s must accept it.") % {"org": referral.to_org.name})
    else:
        messages.success(request, _("The referral is sent to %(org)s.") % {"org": referral.to_org.name})
    return HttpResponseRedirect(reverse("case_sharing", args=[case.public_id]) + "#referrals")


# ---- The inbox -----------------------------------------------------------------------------------------


@require_GET
@page
def referral_list(request: HttpRequest, m: Membership) -> HttpResponse:
    if not policy.can(m, policy.Act.CASE_LIST):
        return render(request, "cases/no_case_role.html", status=403)
    coordinator = sharing_policy.receives_referrals(m)
    box = request.GET.get("box") or ("incoming" if coordinator else "sent")
    if box not in {"incoming", "sent"}:
        box = "incoming"
    qs = services.referral_inbox(actor=m) if box == "incoming" else services.referrals_sent(actor=m)
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"view": services.view_of(m, r), "categories": categories_label(r)} for r in page_obj.object_list]
    ctx = {"box": box, "page_obj": page_obj, "rows": rows, "query": f"box={box}", "coordinator": coordinator}
    return render(request, "sharing/referral_list.html", ctx)


# ---- One referral --------------------------------------------------------------------------------------


def _render_detail(
    request: HttpRequest,
    m: Membership,
    view: sharing_policy.ReferralView,
    *,
    status: int = 200,
    accept_form: AcceptForm | None = None,
    decline_form: DeclineForm | None = None,
    action_error: Any = None,
) -> HttpResponse:
    r = view.referral
    transfer = r.kind == ReferralKind.TRANSFER
    members = list(sharing_policy.referral_joiners(m.organisation)) if view.may_decide else []
    keep_names: list[str] = []
    if view.shows_team and r.keep_team_members:
        keep_names = [
            t.user.get_full_name() or t.user.username
            for t in TeamMember.objects.filter(pk__in=r.keep_team_members).select_related("user")
        ]
    ctx = {
        "view": view,
        "r": r,
        "transfer": transfer,
        "categories": categories_label(r),
        "keep_names": keep_names,
        "case_visible": policy.case_access(m, r.case) is not None,
        "accept_form": accept_form
        or AcceptForm(members=members, transfer=transfer, initial={"member": m.user.username}),
        "decline_form": decline_form or DeclineForm(),
        "action_error": action_error,
    }
    return render(request, "sharing/referral_detail.html", ctx, status=status)


def _refused(
    request: HttpRequest,
    m: Membership,
    referral_id: Any,
    exc: UtveiError,
    *,
    accept_form: AcceptForm | None = None,
    decline_form: DeclineForm | None = None,
) -> HttpResponse:
    """The page again with the refusal: on the form while it can still be answered, else at the top."""
    view = services.referral_get(actor=m, referral_id=referral_id, audit=False)
    if not view.may_decide:
        return _render_detail(request, m, view, status=exc.status, action_error=exc.message)
    for form in (accept_form, decline_form):
        if form is not None:
            form.add_service_error(exc)
    return _render_detail(request, m, view, status=exc.status, accept_form=accept_form, decline_form=decline_form)


@require_GET
@page
def referral_detail(request: HttpRequest, m: Membership, referral_id: Any) -> HttpResponse:
    view = services.referral_get(actor=m, referral_id=referral_id)
    return _render_detail(request, m, view)


@require_POST
@page
def referral_accept(request: HttpRequest, m: Membership, referral_id: Any) -> HttpResponse:
    view = services.referral_get(actor=m, referral_id=referral_id, audit=False)
    r = view.referral
    members = list(sharing_policy.referral_joiners(m.organisation))
    form = AcceptForm(request.POST, members=members, transfer=r.kind == ReferralKind.TRANSFER)
    if not form.is_valid():
        return _render_detail(request, m, view, status=400, accept_form=form)
    try:
        done = services.referral_accept(
            actor=m, referral=r, member_username=form.cleaned_data["member"], note=form.cleaned_data["note"]
        )
    except Forbidden:
        raise
    except UtveiError as exc:
        return _refused(request, m, referral_id, exc, accept_form=form)
    if done.kind == ReferralKind.TRANSFER:
        messages.success(request, _("The transfer is accepted: your organisation now owns the case."))
        return HttpResponseRedirect(reverse("case_detail", args=[done.case.public_id]))
    messages.success(request, _("The referral is accepted."))
    if policy.case_access(m, done.case) is not None:
        return HttpResponseRedirect(reverse("case_detail", args=[done.case.public_id]))
    return HttpResponseRedirect(_detail_url(done))


@require_POST
@page
def referral_decline(request: HttpRequest, m: Membership, referral_id: Any) -> HttpResponse:
    view = services.referral_get(actor=m, referral_id=referral_id, audit=False)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, m, view, status=400, decline_form=form)
    try:
        services.referral_decline(actor=m, referral=view.referral, note=form.cleaned_data["note"])
    except Forbidden:
        raise
    except UtveiError as exc:
        return _refused(request, m, referral_id, exc, decline_form=form)
    messages.success(request, _("The referral is declined. The sender is notified."))
    return HttpResponseRedirect(_detail_url(view.referral))


@require_POST
@page
def referral_withdraw(request: HttpRequest, m: Membership, referral_id: Any) -> HttpResponse:
    view = services.referral_get(actor=m, referral_id=referral_id, audit=False)
    try:
        services.referral_withdraw(actor=m, referral=view.referral)
    except Forbidden:
        raise
    except UtveiError as exc:
        view = services.referral_get(actor=m, referral_id=referral_id, audit=False)
        return _render_detail(request, m, view, status=exc.status, action_error=exc.message)
    messages.success(request, _("The referral is withdrawn."))
    return HttpResponseRedirect(_detail_url(view.referral))
