from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """No self sign-up: organisation admins create users."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
