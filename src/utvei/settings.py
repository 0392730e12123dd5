"""Django settings for Utvei. Everything that differs between machines comes from the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = Path(os.environ.get("UTVEI_HOME", BASE_DIR.parent.parent))
VAR_DIR = Path(os.environ.get("UTVEI_VAR", PROJECT_DIR / "var"))


def _private(path: Path, *, directory: bool = False) -> Path:
    """Make `path` (created if missing) readable and writable by its owner only: the data directory, the embedded
    database and the keys in it hold what nobody else on the machine may read (issue 12)."""
    if directory:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    else:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    if path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
        path.chmod(0o700 if directory else 0o600)
    return path


_private(VAR_DIR, directory=True)


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    key = os.environ.get("UTVEI_SECRET_KEY")
    if key:
        return key
    # Development and demo: a random key kept under var/, never committed.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        _private(path).write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_flag("UTVEI_DEBUG")
DEMO = _env_flag("UTVEI_DEMO")
ALLOWED_HOSTS = [h for h in os.environ.get("UTVEI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "utvei.core",
    "utvei.accounts",
    "utvei.audit",
    "utvei.access",
    "utvei.people",
    "utvei.sharing",
    "utvei.cases",
    "utvei.assessments",
    "utvei.plans",
    "utvei.meetings",
    "utvei.network",
    "utvei.evaluation",
    "utvei.administration",
    "utvei.oversight",
    "utvei.retention",
    "utvei.desk",
    "utvei.api",
    "utvei.tools",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "utvei.core.middleware.SecurityHeadersMiddleware",
    "utvei.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "utvei.core.middleware.NorwegianLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "utvei.accounts.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "utvei.accounts.middleware.ActiveMembershipMiddleware",
    "utvei.accounts.middleware.RequireMfaMiddleware",
]

ROOT_URLCONF = "utvei.urls"
WSGI_APPLICATION = "utvei.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "utvei.accounts.context_processors.membership",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'utvei.sqlite3'}"),
        conn_max_age=60,
    )
}
# Django's backends, whose flush lifts the audit tables' guard triggers for its duration (core/backends).
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.sqlite3": "utvei.core.backends.sqlite3",
    "django.db.backends.postgresql": "utvei.core.backends.postgresql",
}.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
if DATABASES["default"]["ENGINE"] == "utvei.core.backends.sqlite3":
    # WAL with synchronous=FULL: a commit is on the disk before it is acknowledged, through a power cut too (its
    # cost: bench/results/pages.md, "audit write alone"). SQLite gives the -wal and -shm files the database's mode.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}  # as Django's own engine gets it (pytest-django asks by name)
    _db_file = Path(str(DATABASES["default"]["NAME"]))
    if _db_file.parent.resolve() == VAR_DIR.resolve():
        _private(_db_file)

# One cache shared by every process (login throttles, used one-time codes), on the same database.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "utvei_cache"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# allauth: username login, no self sign-up, MFA with TOTP and WebAuthn.
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_ADAPTER = "utvei.accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
# Failed logins: per address, and per address and username together ("key", accounts/adapter.py); never per username
# alone, so nobody elsewhere can lock an owner out. The waits grow: 5 in 5 minutes, 10 in an hour, 20 in a day.
ACCOUNT_RATE_LIMITS = {"login_failed": "20/m/ip,5/5m/key,10/h/key,20/d/key"}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG or DEMO
MFA_TOTP_ISSUER = "Utvei"
# Single sign-on with OpenID Connect (docs/administration.md, "Single sign-on"): each organisation's identity
# provider is an accounts.IdentityProvider row (`utvei idp add`), which the adapter gives allauth as its app. A
# provider login is accepted only for a user the organisation has invited (a current membership): never a sign-up.
SOCIALACCOUNT_ADAPTER = "utvei.accounts.sso.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # matching by e-mail is ours (accounts/sso.py), within one organisation
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_STORE_TOKENS = False  # the provider's tokens are used once, at login, and not kept
SOCIALACCOUNT_LOGIN_ON_GET = False  # the flow starts with a POST (the login page's buttons), never a link
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True}}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Sessions end after UTVEI_SESSION_IDLE_MINUTES without a request (15) and UTVEI_SESSION_MAX_HOURS after the login
# (12), whatever happens in between (accounts/middleware.py, SessionTimeoutMiddleware; docs/security.md).
UTVEI_SESSION_IDLE_SECONDS = 60 * max(1, int(os.environ.get("UTVEI_SESSION_IDLE_MINUTES", "15").strip() or "15"))
UTVEI_SESSION_MAX_SECONDS = 3600 * max(1, int(os.environ.get("UTVEI_SESSION_MAX_HOURS", "12").strip() or "12"))
SESSION_COOKIE_AGE = UTVEI_SESSION_MAX_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env_flag("UTVEI_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind HTTPS (the secure-cookie switch), browsers are told to use nothing else for a year.
SECURE_HSTS_SECONDS = 31_536_000 if SESSION_COOKIE_SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", _("Norwegian bokmål")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["utvei.formats"]
USE_I18N = True
TIME_ZONE = "Europe/Oslo"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["utvei.api.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "utvei.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Utvei API",
    "DESCRIPTION": "REST API v1 for Utvei. Every request is checked by the access policy and audited.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "utvei.api.schema.postprocess",
    ],
    # One name per choice set used under several field names (keeps the names the schema already had).
    "ENUM_NAME_OVERRIDES": {
        "CategoryEnum": "utvei.core.vocabulary.DataCategory",
        "TrackEnum": "utvei.cases.models.Track",  # case track, and the tracks of a measure
        "SenderKindsEnum": "utvei.accounts.models.OrgKind",
        "ReferralKindEnum": "utvei.sharing.models.ReferralKind",
        "ConcernKindEnum": "utvei.cases.models.ConcernKind",
        "RestrictedReadReasonEnum": "utvei.retention.models.ReadReason",  # opening a restricted case (retention/)
        "ReasonCodeEnum": "utvei.sharing.models.EmergencyReason",  # its name from before retention's reason codes
        "HandoffToEnum": "utvei.cases.models.HandoffTo",
        "TypeEnum": "utvei.sharing.models.BasisType",  # legal bases had `type` alone before item types came
        "ItemTypeEnum": "utvei.assessments.models.ItemType",
        "AssessmentClassificationEnum": "utvei.api.serializers_assessments.CLASSIFICATIONS",
        # Case meetings reuse the entries' classification and the tasks' status under the names they had.
        "EntryClassificationEnum": "utvei.core.vocabulary.Classification",
        "TaskStatusStatusEnum": "utvei.cases.models.TaskStatus",
        "MeetingKindEnum": "utvei.meetings.models.MeetingKind",
        "MeetingStatusEnum": "utvei.meetings.models.MeetingStatus",
        "DecisionStateEnum": "utvei.meetings.models.DecisionState",
        # The network map (docs/network.md).
        "RelationKindEnum": "utvei.network.models.RelationKind",
        "ValenceEnum": "utvei.network.models.Valence",
        "ClosenessEnum": "utvei.network.models.Closeness",
        "FrequencyEnum": "utvei.network.models.Frequency",
        # Organisation administration: a membership's role, beside the team's `role` (docs/administration.md).
        "MemberRoleEnum": "utvei.accounts.roles.Role",
    },
}

UTVEI_KEYRING = os.environ.get("UTVEI_KEYRING", str(VAR_DIR / "keyring.json"))
# Per-person data keys, wrapped by the keyring's master keys, in a SQLite file of their own outside the database and
# its backups (docs/encryption.md): destroying one makes everything about that person unreadable, backups included.
UTVEI_KEYSTORE = os.environ.get("UTVEI_KEYSTORE", str(VAR_DIR / "keystore.sqlite3"))
# The sealed audit log (docs/audit.md): where the worker appends a seal of each signed checkpoint (keep a copy on
# another machine), and how often it makes one.
UTVEI_AUDIT_SEAL_DIR = os.environ.get("UTVEI_AUDIT_SEAL_DIR", str(VAR_DIR / "seals"))
UTVEI_AUDIT_CHECKPOINT_INTERVAL = max(1, int(os.environ.get("UTVEI_AUDIT_CHECKPOINT_INTERVAL", "5").strip() or "5"))
# Unusual access (docs/oversight.md): the worker scans the audit log for the rules of oversight/data/alert_rules.yaml
# every so many minutes.
UTVEI_ALERT_SCAN_INTERVAL = max(1, int(os.environ.get("UTVEI_ALERT_SCAN_INTERVAL", "15").strip() or "15"))
# Attachments (docs/attachments.md): the largest file accepted, in bytes (10 MiB), and an optional virus scanner,
# a command that reads the file on stdin and exits 0 when clean, 1 when infected (e.g. `clamdscan --no-summary -`).
UTVEI_ATTACHMENT_MAX_BYTES = max(1, int(os.environ.get("UTVEI_ATTACHMENT_MAX_BYTES", "").strip() or 10 * 1024 * 1024))
UTVEI_ATTACHMENT_SCANNER = os.environ.get("UTVEI_ATTACHMENT_SCANNER", "").strip()
UTVEI_ATTACHMENT_SCAN_SECONDS = max(1, int(os.environ.get("UTVEI_ATTACHMENT_SCAN_SECONDS", "60").strip() or "60"))
# Uploads are held in memory only (never a plaintext temporary file on disk), and a file over the limit is not read
# past it: core.files.BoundedUploadHandler marks it too large for the form to refuse (413) in the user's language.
FILE_UPLOAD_HANDLERS = ["utvei.core.files.BoundedUploadHandler"]
API_TOKEN_TTL_HOURS = 12
UTVEI_CONSENT_OWN_AGE = 15  # from this age a person consents for themselves; younger: a guardian (docs/sharing.md)
# Break-the-glass: the longest (and default) window of an emergency access, in hours (docs/emergency-access.md).
UTVEI_EMERGENCY_HOURS = max(1, min(72, int(os.environ.get("UTVEI_EMERGENCY_HOURS", "4").strip() or "4")))

# Retention (docs/retention.md): the worker's `retention run` every so many hours; how long an opening of a restricted
# case for a stated reason lasts; where `export for archiving` writes its encrypted files.
UTVEI_RETENTION_INTERVAL = max(1, int(os.environ.get("UTVEI_RETENTION_INTERVAL", "24").strip() or "24"))
UTVEI_RESTRICTED_READ_MINUTES = max(
    1, min(480, int(os.environ.get("UTVEI_RESTRICTED_READ_MINUTES", "30").strip() or "30"))
)
UTVEI_ARCHIVE_DIR = os.environ.get("UTVEI_ARCHIVE_DIR", str(VAR_DIR / "archive"))

# Reminders (docs/reminders.md): the worker's pass runs every so many minutes; e-mails link back to this address.
UTVEI_REMINDER_INTERVAL = max(1, int(os.environ.get("UTVEI_REMINDER_INTERVAL", "15").strip() or "15"))
# An invitation link works this many days (docs/administration.md).
UTVEI_INVITATION_DAYS = max(1, int(os.environ.get("UTVEI_INVITATION_DAYS", "7").strip() or "7"))
UTVEI_BASE_URL = os.environ.get("UTVEI_BASE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
# E-mail: printed to the console unless an SMTP server is configured (UTVEI_EMAIL_HOST) or a backend is named.
EMAIL_HOST = os.environ.get("UTVEI_EMAIL_HOST", "")
# The demo writes them as files under var/mail/ instead: a first reminder pass would print hundreds of lines over
# the demo accounts that `make run` shows.
EMAIL_BACKEND = os.environ.get(
    "UTVEI_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
    if DEMO
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_PORT = int(os.environ.get("UTVEI_EMAIL_PORT", "587").strip() or "587")
EMAIL_HOST_USER = os.environ.get("UTVEI_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("UTVEI_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("UTVEI_EMAIL_TLS", "1").strip().lower() in {"1", "true", "yes", "on"}
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("UTVEI_EMAIL_FROM", "Utvei <utvei@localhost>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # Request lines carry paths only; paths carry opaque ids only.
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # The worker's runs (counts only) and failures (the exception's class, never its message).
        "utvei.worker": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "utvei.reminders": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "utvei.audit.seal": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
