"""Shared fixtures: a small fictional world of organisations and named users, and helpers to build cases."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings as django_settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.test import Client
from django.utils import timezone, translation

from tests import sampling
from utvei.accounts.models import Membership, Organisation, OrgKind, User
from utvei.api.models import ApiToken
from utvei.cases import services as case_services
from utvei.cases.models import Case, Entry, EntryKind, TeamRole, Track
from utvei.core.vocabulary import Classification, DataCategory
from utvei.evaluation.analytics import forget_figures
from utvei.people.services import person_find_or_create

pytest_plugins = ["tests.browser.support"]
PASSWORD = "correct horse battery staple"

ORGS = {
    "kommune": ("Testby kommune", OrgKind.MUNICIPALITY),
    "politi": ("Testby politidistrikt", OrgKind.POLICE),
    "skole": ("Testby videregående skole", OrgKind.SCHOOL),
    "helse": ("Testby DPS", OrgKind.MENTAL_HEALTH),
    "nav": ("NAV Testby", OrgKind.WELFARE_EMPLOYMENT),
    "ngo": ("Frivillig hjelp", OrgKind.NGO),
    "annen": ("Annenby kommune", OrgKind.MUNICIPALITY),
}

# username -> (org slug, role)
USERS = {
    "kari": ("kommune", "coordinator"),  # owns the cases
    "ola": ("kommune", "caseworker"),
    "per": ("politi", "caseworker"),
    "pia": ("politi", "coordinator"),
    "siri": ("skole", "caseworker"),
    "hanne": ("helse", "caseworker"),
    "nils": ("nav", "caseworker"),
    "mona": ("ngo", "mentor"),
    "rolf": ("skole", "reporter"),
    "dina": ("kommune", "dpo"),
    "anna": ("kommune", "analyst"),
    "adam": ("kommune", "org_admin"),
    "atle": ("annen", "coordinator"),  # another municipality: no relation to our cases
    "kjell": ("kommune", "coordinator"),  # coordinator of the owning organisation, not on the team
    "nora": ("nav", "coordinator"),  # receives referrals to NAV
    "arne": ("annen", "caseworker"),  # another municipality's caseworker (transfers, emergency access)
    "dora": ("annen", "dpo"),  # the other municipality's data protection officer
}


@dataclass
class World:
    orgs: dict[str, Organisation] = field(default_factory=dict)
    m: dict[str, Membership] = field(default_factory=dict)

    def client(self, username: str) -> Client:
        c = Client()
        c.force_login(self.m[username].user)
        session = c.session
        session["utvei_membership"] = self.m[username].pk
        session.save()
        return c

    def api(self, username: str) -> Client:
        """A test client that sends a bearer token bound to this user's membership."""
        _, raw = ApiToken.issue(membership=self.m[username], expires_at=timezone.now() + dt.timedelta(hours=1))
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def open_case(
        self, *, track: str = Track.EXIT, by: str = "kari", name: str = "Test Testesen", consent: bool = True
    ) -> Case:
        """Open a case; by default the person consents to the owning organisation reading what the team shares."""
        person, _ = person_find_or_create(actor=self.m[by], full_name=name)
        case = case_services.case_open(actor=self.m[by], person=person, track=track)
        if consent:
            self.consent(case, self.m[by].organisation.slug, by=by)
        return case

    def add(
        self, case: Case, username: str, role: str = TeamRole.CASEWORKER, by: str = "kari", consent: bool = True
    ) -> Any:
        """Put a user on the team; by default the person also consents to their organisation reading everything
        for coordination (pass consent=False to test the sharing gate)."""
        m = self.m[username]
        member = case_services.team_add(
            actor=self.m[by], case=case, user=m.user, organisation=m.organisation, role=role
        )
        if consent:
            self.consent(case, m.organisation.slug, by=by)
        return member

    def consent(self, case: Case, *org_slugs: str, categories: Any = None, by: str = "kari") -> Any:
        from utvei.sharing.consent.services import consent_record

        return consent_record(
            actor=self.m[by],
            case=case,
            given_by="person",
            scope_org_slugs=org_slugs,
            categories=categories or DataCategory.values,
            purposes=["coordination"],
            evidence="signed_form",
        )

    def entry(self, case: Case, by: str, classification: str = Classification.TEAM, body: str = "Tekst") -> Entry:
        return case_services.entry_create(
            actor=self.m[by], case=case, kind=EntryKind.NOTE, classification=classification, body=body
        )


@pytest.fixture
def world(db: Any) -> World:
    """The organisations and users, made in four statements (most tests start from it, twice per `make test`: made
    one by one through `accounts.services.user_create`, with its audit events, it cost a sixth of the suite's
    time). tests/accounts tests `user_create` itself."""
    w = World()
    orgs = Organisation.objects.bulk_create(Organisation(slug=s, name=n, kind=k) for s, (n, k) in ORGS.items())
    w.orgs = {o.slug: o for o in orgs}
    password = _password_hash()
    users = User.objects.bulk_create(User(username=u, password=password) for u in USERS)
    by_name = {u.username: u for u in users}
    Membership.objects.bulk_create(
        Membership(user=by_name[u], organisation=w.orgs[slug], role=role) for u, (slug, role) in USERS.items()
    )
    # Read back with the relations the policy uses.
    for m in Membership.objects.select_related("user", "organisation").filter(user__in=users):
        w.m[m.user.username] = m
    return w


@functools.cache
def _password_hash() -> str:
    return make_password(PASSWORD, hasher="md5")


@pytest.fixture(autouse=True)
def _demo_mode_off(settings: Any) -> None:
    settings.DEMO = False


@pytest.fixture(scope="session")
def _seal_root(tmp_path_factory: Any) -> Any:
    return tmp_path_factory.mktemp("seals")


@pytest.fixture(scope="session", autouse=True)
def _own_keystore(tmp_path_factory: Any) -> Any:
    """The per-person data keys of this test run (and xdist worker) live in a key store of their own, never var/'s
    (docs/encryption.md). Set for the whole session, before any module-scoped fixture writes data (the demo)."""
    before = django_settings.UTVEI_KEYSTORE
    django_settings.UTVEI_KEYSTORE = str(tmp_path_factory.mktemp("keys") / "keystore.sqlite3")
    yield
    django_settings.UTVEI_KEYSTORE = before


@pytest.fixture(autouse=True)
def _own_seal_file(settings: Any, _seal_root: Any) -> None:
    """Each test seals the audit log into a folder of its own (made when the first seal is written), never var/."""
    settings.UTVEI_AUDIT_SEAL_DIR = str(_seal_root / uuid.uuid4().hex)


@pytest.fixture(autouse=True)
def _english_outside_requests() -> Any:
    """Code called outside a request speaks English in tests, whatever test ran before on this thread (a request
    leaves its language active). Pages pick their own language per request; tests of bokmål ask for it."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Argon2 is the production hasher (asserted in tests/accounts); tests hash dozens of passwords each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache(settings: Any) -> None:
    # Production shares a database cache across processes; tests use a private in-memory one.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()  # allauth remembers used TOTP codes and rate limits in the cache; so do API throttles
    forget_figures()  # the analytics keep recent figures in the process, keyed by a stamp of the data


@pytest.fixture
def client_for(world: World) -> Any:
    """A logged-in client for any named user, with MFA set up so the MFA requirement does not intervene."""

    def make(username: str) -> Client:
        user = world.m[username].user
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, generate_totp_secret())
        return world.client(username)

    return make


@pytest.fixture
def browse(client_for: Any) -> Any:
    """Like client_for, with the English interface, for tests that read page text."""

    def make(username: str) -> Client:
        client = client_for(username)
        client.cookies["django_language"] = "en"
        return client

    return make


@pytest.fixture
def dpo(browse: Any) -> Client:
    """dina, the municipality's data protection officer, logged in with MFA set up (English interface)."""
    return browse("dina")


def pytest_report_header(config: Any) -> str:
    return sampling.header()


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    sampling.draw(items)
