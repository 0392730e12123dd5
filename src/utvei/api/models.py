"""API bearer tokens: each bound to one organisation membership; only a hash is stored."""

from __future__ import annotations

import hashlib
import secrets

from django.db import models
from django.utils import timezone

from utvei.accounts.models import Membership


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    key_hash = models.CharField(max_length=64, unique=True)
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def new_raw() -> str:
        return "utv_" + secrets.token_urlsafe(32)
