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


def _settings_in(env: dict[str, str]) -> dict[str, str]:
    """The e-mail settings a fresh process gets with these variables (settings read the environment on import)."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json, utvei.settings as s; "
        "print(json.dumps({'backend': s.EMAIL_BACKEND, 'path': s.EMAIL_FILE_PATH, 'var': str(s.VAR_DIR)}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("UTVEI_EMAIL", "UTVEI_DEMO"))}
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_demo_writes_e_mails_to_files_not_over_its_own_output(tmp_path):
    demo = _settings_in({"UTVEI_DEMO": "1", "UTVEI_VAR": str(tmp_path)})
    assert demo["backend"] == "django.core.mail.backends.filebased.EmailBackend"
    assert demo["path"] == str(tmp_path / "mail")
    assert _settings_in({"UTVEI_VAR": str(tmp_path)})["backend"] == "django.core.mail.backends.console.EmailBackend"
    smtp = _settings_in({"UTVEI_DEMO": "1", "UTVEI_EMAIL_HOST": "smtp.example", "UTVEI_VAR": str(tmp_path)})
    assert smtp["backend"] == "django.core.mail.backends.smtp.EmailBackend"
