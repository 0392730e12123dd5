"""`utvei demo` on an empty database: only in demo mode, and with a password of one's own.

(The tests that read the loaded story share one load in test_demo.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management.base import CommandError

from tests.tools.test_demo import _load, _m
from utvei.accounts.models import Organisation


def test_it_refuses_to_run_outside_demo_mode(db: Any) -> None:
    with pytest.raises(CommandError, match="UTVEI_DEMO=1"):
        _load()
    assert not Organisation.objects.exists()


def test_a_chosen_password_is_used_for_every_account(db: Any, settings: Any) -> None:
    settings.DEMO = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = _load(password="annet-passord-123")
    assert "annet-passord-123" in out
    assert _m("nav").user.check_password("annet-passord-123")
