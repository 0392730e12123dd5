"""Forms for referrals and transfers: they parse input; the services (referrals/services.py) decide and check."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership, Organisation, OrgKind
from utvei.cases.models import TeamMember
from utvei.core.forms import TEXT_MAX, UtveiForm
from utvei.core.vocabulary import DataCategory

from ..models import LegalBasis, ReferralBasis, ReferralKind

KIND_HELP: dict[str, Any] = {
    ReferralKind.REFERRAL: _("The organisation joins the team in a limited role: it reads what the basis covers."),
    ReferralKind.TRANSFER: _(
        "The person moves: the organisation takes over the case and its lead. Your organisation's team "
        "memberships end, except those you keep."
    ),
}


class ReferralForm(UtveiForm):
    kind = forms.ChoiceField(label=_("What do you want to do?"), choices=(), widget=forms.RadioSelect)
    to_org = forms.ChoiceField(label=_("To organisation"), choices=())
    categories = forms.MultipleChoiceField(
        label=_("Data categories that go with it"),
        choices=DataCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The recipient reads only what a consent or a legal basis covers, whatever you tick here."),
    )
    basis = forms.ChoiceField(label=_("Basis for sharing"), choices=ReferralBasis.choices, widget=forms.RadioSelect)
    legal_basis = forms.ChoiceField(
        label=_("Legal basis"),
        choices=(),
        required=False,
        help_text=_(
            "Only when the basis is a legal basis. It is recorded as a disclosure when the referral is accepted."
        ),
    )
    justification = forms.CharField(
        label=_("Justification"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why sharing is necessary in this case. Some legal bases require it."),
    )
    message = forms.CharField(
        label=_("Message to the recipient"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The recipient reads it before accepting. Write what they need to decide, and no more."),
    )
    keep = forms.MultipleChoiceField(
        label=_("Team members who stay after a transfer"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only for a transfer. Everyone else from your organisation leaves the team when it is accepted."),
    )

    service_error_fields = {
        "unknown_organisation": "to_org",
        "same_organisation": "to_org",
        "already_owner": "to_org",
        "no_recipient": "to_org",
        "consent_missing": "categories",
        "basis_required": "legal_basis",
        "unknown_basis": "legal_basis",
        "basis_is_consent": "legal_basis",
        "basis_not_usable": "legal_basis",
        "basis_inactive": "legal_basis",
        "basis_not_allowed": "legal_basis",
        "justification_required": "justification",
        "unknown_member": "keep",
        "keep_only_for_transfer": "keep",
    }

    def __init__(
        self,
        *args: Any,
        kinds: Iterable[str] = (ReferralKind.REFERRAL,),
        organisations: Iterable[Organisation] = (),
        bases: Iterable[LegalBasis] = (),
        keepable: Iterable[TeamMember] = (),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", "referral")
        super().__init__(*args, **kwargs)
        kind_labels = dict(ReferralKind.choices)
        kinds = list(kinds)
        self.fields["kind"].choices = [(k, kind_labels[k]) for k in kinds]  # type: ignore[attr-defined]
        # Each choice's help on a line of its own (the template), not run together in one text.
        self.kind_help = [(kind_labels[k], KIND_HELP[k]) for k in kinds]
        self.fields["kind"].initial = kinds[0]
        org_kinds = dict(OrgKind.choices)
        self.fields["to_org"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose an organisation")),
            *[(o.slug, f"{o.name} ({org_kinds.get(o.kind, o.kind)})") for o in organisations],
        ]
        self.fields["legal_basis"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose a legal basis")),
            *[(b.key, f"{b} – {b.display_title}") for b in bases],
        ]
        self.fields["keep"].choices = [  # type: ignore[attr-defined]
            (str(t.pk), f"{t.user.get_full_name() or t.user.username} ({t.get_role_display()})") for t in keepable
        ]
        if ReferralKind.TRANSFER not in kinds:
            del self.fields["keep"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("basis") == ReferralBasis.LEGAL_BASIS and not data.get("legal_basis"):
            self.add_error("legal_basis", _("Choose the legal basis the referral is made under."))
        if data.get("kind") != ReferralKind.TRANSFER:
            data["keep"] = []
        if data.get("basis") != ReferralBasis.LEGAL_BASIS:
            data["legal_basis"] = ""
        return data


def member_choices(members: Iterable[Membership]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for m in members:
        name = m.user.get_full_name() or m.user.username
        seen.setdefault(m.user.username, f"{name} ({m.get_role_display()})")
    return list(seen.items())


class AcceptForm(UtveiForm):
    member = forms.ChoiceField(label=_("Who joins the team"), choices=())
    note = forms.CharField(
        label=_("Note to the sender"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    service_error_fields = {"unknown_member": "member", "too_long": "note"}

    def __init__(self, *args: Any, members: Iterable[Membership] = (), transfer: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "accept")
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = member_choices(members)  # type: ignore[attr-defined]
        if transfer:
            self.fields["member"].label = _("New case lead")
            self.fields["member"].help_text = _("Your organisation takes over the case; this person leads it.")
        else:
            self.fields["member"].help_text = _(
                "This person joins the team in the limited role of a referral recipient."
            )


class DeclineForm(UtveiForm):
    note = forms.CharField(
        label=_("Reason for declining"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The sender reads it."),
    )

    service_error_fields = {"required": "note", "too_long": "note"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "decline")
        super().__init__(*args, **kwargs)
