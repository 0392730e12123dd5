"""Invite and accept a participant account, and a client signed in as them with a second factor."""

from __future__ import annotations

from typing import Any

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from tests.conftest import PASSWORD
from utvei.cases.models import Case, ParticipantAccount
from utvei.cases.participants import participant_accept, participant_invite


def join(world: Any, case: Case, username: str, *, by: str = "kari", given_as: str = "person") -> ParticipantAccount:
    """The lead invites, the person accepts with this username and sets up TOTP."""
    account, raw = participant_invite(actor=world.m[by], case=case, given_as=given_as)
    user = participant_accept(raw=raw, username=username, password=PASSWORD)
    TOTP.activate(user, generate_totp_secret())
    account.refresh_from_db()
    return ParticipantAccount.objects.select_related("case", "user").get(pk=account.pk)


def client_of(account: ParticipantAccount, *, english: bool = True) -> Client:
    c = Client()
    c.force_login(account.user)
    if english:
        c.cookies["django_language"] = "en"
    return c
