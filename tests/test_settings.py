"""Production settings that the tests' own overrides must not hide."""

from __future__ import annotations

import importlib


def test_passwords_are_hashed_with_argon2_in_production():
    settings_module = importlib.import_module("utvei.settings")
    assert settings_module.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_session_and_frame_protections_are_on():
    s = importlib.import_module("utvei.settings")
    assert s.SESSION_COOKIE_HTTPONLY and s.X_FRAME_OPTIONS == "DENY"
    assert s.LANGUAGE_CODE == "nb"
