"""The administration pages (docs/administration.md, docs/urls.md): the members list, inviting, a member's page
with its actions (each destructive one confirmed first), and the invitation link that lets an invited person set
their password. Every page reads through administration/selectors.py and writes through its services."""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from utvei.access import administration as rules
from utvei.accounts.models import Invitation, Membership
from utvei.accounts.services import invitation_accept, invitation_hash, invitation_refusal
from utvei.core.errors import UtveiError
from utvei.core.forms import submit
from utvei.core.web import page

from . import selectors, services
from .forms import ConfirmForm, HandoverForm, InviteForm, MemberForm, MfaResetForm, PasswordForm
from .services import Invited

LIST_SIZE = 500  # an organisation's members on one page


def member_url(member: Membership) -> str:
    return reverse("admin_member", args=[member.pk])


def row(member: Membership) -> dict[str, Any]:
    """What the list and the member page show of a membership."""
    return {
        "m": member,
        "first_day": selectors.first_day(member),
        "last_day": selectors.last_day(member),
        "current": member.is_current,
        "invitation": selectors.invitation_state(member),
    }


@require_GET
@page
def member_list(request: HttpRequest, m: Membership) -> HttpResponse:
    """Every membership of the administrator's organisation: name, username, role, period, active, second factor,
    invitation. One query for the rows, whatever their number."""
    rows = [row(x) for x in selectors.members(m)[: LIST_SIZE + 1]]
    more = len(rows) > LIST_SIZE
    rows = rows[:LIST_SIZE]
    return render(request, "administration/member_list.html", {"rows": rows, "more": more, "org": m.organisation})


def _shown_once(request: HttpRequest, invited: Invited, template: str = "administration/invited.html") -> HttpResponse:
    """The page after an invitation: sent by e-mail, or the link shown this once (never again: only its hash is
    kept), not cached."""
    response = render(request, template, {"invited": invited, "member": invited.membership})
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@page
def member_invite(request: HttpRequest, m: Membership) -> HttpResponse:
    selectors.members(m)  # 404 for anyone but an administrator
    status = 200
    if request.method == "POST":
        form = InviteForm(request.POST)
        status = (
            submit(
                form,
                lambda d: services.member_invite(
                    actor=m,
                    username=d["username"],
                    role=d["role"],
                    email=d.get("email") or "",
                    first_name=d.get("first_name") or "",
                    last_name=d.get("last_name") or "",
                    valid_from=d.get("valid_from"),
                    last_day=d.get("last_day"),
                ),
            )
            or 0
        )
        if not status:
            return _shown_once(request, form.result)
    else:
        form = InviteForm()
    return render(request, "administration/member_invite.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@page
def member_detail(request: HttpRequest, m: Membership, member_id: int) -> HttpResponse:
    """A member: what is known, and the form that changes role and period; links to the other actions."""
    member = selectors.member_get(m, member_id)
    status = 200
    if request.method == "POST":
        form = MemberForm(request.POST)
        status = (
            submit(
                form,
                lambda d: services.member_update(
                    actor=m,
                    membership=member,
                    expected_version=d["version"],
                    role=d["role"],
                    valid_from=d.get("valid_from"),
                    last_day=d.get("last_day"),
                ),
            )
            or 0
        )
        if not status:
            messages.success(request, _("The membership is saved."))
            return HttpResponseRedirect(member_url(member))
    else:
        form = MemberForm(
            initial={
                "version": member.version,
                "role": member.role,
                "valid_from": selectors.first_day(member),
                "last_day": selectors.last_day(member),
            }
        )
    ctx = {
        "row": row(member),
        "member": member,
        "form": form,
        "may_change": bool(rules.member_change_decision(m, member)),
        "invitations": selectors.invitations(member),
        "pending": selectors.invitation_state(member) == "pending",
        "may_resend": not member.user.has_usable_password() and selectors.invitation_state(member) != "accepted",
    }
    return render(request, "administration/member_detail.html", ctx, status=status)


@require_http_methods(["GET", "POST"])
@page
def member_active(request: HttpRequest, m: Membership, member_id: int) -> HttpResponse:
    """Deactivate (or activate again) a membership, after a confirm step."""
    member = selectors.member_get(m, member_id)
    activate = not member.is_active
    status = 200
    form = ConfirmForm(request.POST or None, initial={"version": member.version})
    if request.method == "POST":
        status = (
            submit(
                form,
                lambda d: services.member_update(
                    actor=m, membership=member, expected_version=d["version"], active=activate
                ),
            )
            or 0
        )
        if not status:
            if activate:
                messages.success(request, _("The membership is active again."))
            else:
                messages.success(request, _("The membership is deactivated. What it gave has ended."))
            return HttpResponseRedirect(member_url(member))
    ctx = {"row": row(member), "member": member, "form": form, "activate": activate}
    return render(request, "administration/member_active.html", ctx, status=status)


@require_http_methods(["GET", "POST"])
@page
def member_mfa_reset(request: HttpRequest, m: Membership, member_id: int) -> HttpResponse:
    member = selectors.member_get(m, member_id)
    status = 200
    form = MfaResetForm(request.POST or None)
    if request.method == "POST":
        status = (
            submit(
                form,
                lambda d: services.member_mfa_reset(
                    actor=m, membership=member, reason=d["reason"], explanation=d["explanation"]
                ),
            )
            or 0
        )
        if not status:
            messages.success(
                request,
                _(
                    "The second factor is reset and every session of the user has ended. They set up a new one at "
                    "their next sign-in."
                ),
            )
            return HttpResponseRedirect(member_url(member))
    return render(
        request,
        "administration/member_mfa_reset.html",
        {"row": row(member), "member": member, "form": form},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@page
def member_handover(request: HttpRequest, m: Membership, member_id: int) -> HttpResponse:
    member = selectors.member_get(m, member_id)
    candidates = rules.handover_candidates(m, member)
    status = 200
    form = HandoverForm(request.POST or None, candidates=candidates)
    if request.method == "POST":
        status = submit(form, lambda d: services.member_handover(actor=m, membership=member, to=form.chosen())) or 0
        if not status:
            done = form.result
            messages.success(
                request,
                _(
                    "Handed over: %(cases)s cases as lead, %(tasks)s tasks, %(follow_ups)s follow-ups and "
                    "%(decisions)s meeting decisions."
                )
                % {
                    "cases": len(done.cases),
                    "tasks": done.tasks,
                    "follow_ups": done.follow_ups,
                    "decisions": done.decisions,
                },
            )
            return HttpResponseRedirect(member_url(member))
    ctx = {"row": row(member), "member": member, "form": form, "candidates": candidates}
    return render(request, "administration/member_handover.html", ctx, status=status)


@require_POST
@page
def member_invitation(request: HttpRequest, m: Membership, member_id: int) -> HttpResponse:
    """Send the invitation again (a new link; the old one stops working), or withdraw it (`revoke`)."""
    member = selectors.member_get(m, member_id)
    try:
        if request.POST.get("revoke"):
            services.invitation_revoke(actor=m, membership=member)
            messages.success(request, _("The invitation is withdrawn. Its link no longer works."))
            return HttpResponseRedirect(member_url(member))
        invited = services.invitation_resend(actor=m, membership=member)
    except UtveiError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, str(exc.message))
        return HttpResponseRedirect(member_url(member))
    return _shown_once(request, invited)


# ---- The invited person's side -----------------------------------------------------------------------------

INVITATION_SESSION = "utvei_invitation"


@require_GET
@never_cache
def invitation_open(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the invitation. The token is kept in the session (as a hash) and the browser moves on to an
    address without it at once, so it stays out of the history, the Referer and any log of a later page."""
    request.session[INVITATION_SESSION] = invitation_hash(token) if len(token) <= 200 else ""
    return HttpResponseRedirect(reverse("invitation_accept"))


def _invitation_of(request: HttpRequest) -> Invitation | None:
    digest = request.session.get(INVITATION_SESSION) or ""
    if not isinstance(digest, str) or not digest:
        return None
    return Invitation.objects.filter(token_hash=digest).select_related("user", "membership__organisation").first()


@require_http_methods(["GET", "POST"])
@never_cache
def invitation_accept_page(request: HttpRequest) -> HttpResponse:
    """Choose a password for the invited account, then go on signed in (the role's MFA set-up comes first). A
    link that was used, withdrawn or has expired says so."""
    invitation = _invitation_of(request)
    if invitation is None:
        return render(
            request,
            "administration/invitation_invalid.html",
            {
                "message": _(
                    "This invitation link is not valid. Check that you used the whole link from the e-mail, or ask "
                    "your organisation's administrator for a new one."
                )
            },
        )
    refusal = invitation_refusal(invitation)
    if refusal is not None:
        return render(request, "administration/invitation_invalid.html", {"message": refusal.message})
    status = 200
    form = PasswordForm(request.POST or None)
    if request.method == "POST":
        status = submit(form, lambda d: invitation_accept(invitation, password=d["password1"])) or 0
        if not status:
            if request.user.is_authenticated:
                logout(request)
            request.session.pop(INVITATION_SESSION, None)
            # The user as saved with the new password (the session's hash is made from it).
            login(request, form.result.user, backend="django.contrib.auth.backends.ModelBackend")
            # The password was typed just now: allauth counts it as this session's sign-in (and a fresh one), so
            # the MFA set-up that follows does not ask for it again at once.
            user = form.result.user
            record_authentication(request, user, method="password", username=user.username, reauthenticated=True)
            messages.success(request, _("Your password is set. Welcome to Utvei."))
            return HttpResponseRedirect(reverse("dashboard"))
    ctx = {"form": form, "invitation": invitation, "username": invitation.user.username}
    return render(request, "administration/invitation_accept.html", ctx, status=status)
