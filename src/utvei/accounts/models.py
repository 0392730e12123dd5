"""Organisations, users and memberships (a user's role in one organisation for a period)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from utvei.core.crypto import EncryptedTextField

from .roles import Role


class OrgKind(models.TextChoices):
    POLICE = "police", _("Police")
    SECURITY_SERVICE = "security_service", _("Police Security Service (PST)")
    MUNICIPALITY = "municipality", _("Municipality")
    CHILD_WELFARE = "child_welfare", _("Child welfare")
    HEALTH = "health", _("Health service")
    MENTAL_HEALTH = "mental_health", _("Mental health service")
    WELFARE_EMPLOYMENT = "welfare_employment", _("Labour and welfare service (NAV)")
    SCHOOL = "school", _("School")
    CORRECTIONAL_SERVICE = "correctional_service", _("Correctional service")
    NGO = "ngo", _("Voluntary organisation (NGO)")
    FAITH_COMMUNITY = "faith_community", _("Faith community")
    MENTOR_SERVICE = "mentor_service", _("Mentor service")
    RESOURCE_CENTRE = "resource_centre", _("Resource centre (RVTS)")
    OTHER = "other", _("Other")


POLICE_KINDS = frozenset({OrgKind.POLICE, OrgKind.SECURITY_SERVICE})
HEALTH_KINDS = frozenset({OrgKind.HEALTH, OrgKind.MENTAL_HEALTH})


class Organisation(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=OrgKind.choices)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who logs in. Staff identity is not case data; names are optional."""

    preferred_language = models.CharField(max_length=5, blank=True)
    # Raised when every session and API token of the user must end (an MFA reset, "log out everywhere"); a new
    # password ends them by itself. Both go into the session hash that sessions and tokens are checked against.
    credentials_epoch = models.PositiveIntegerField(default=0, editable=False)
    # The person a case is about (or their guardian), with their own page (docs/participant.md): never a member of
    # an organisation. Set when they accept the case lead's invitation; they must use MFA as staff do.
    is_participant = models.BooleanField(default=False, editable=False)

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's HMAC of the password hash, with the credentials epoch: a session (Django compares it on every
        request) and an API token (its stamp) made before a password change, an MFA reset or "log out everywhere"
        no longer match."""
        return salted_hmac(
            "utvei.accounts.User.session_auth_hash",
            f"{self.password}\x00{self.credentials_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self, at: object = None) -> MembershipQuerySet:
        now = at or timezone.now()
        return self.filter(is_active=True, valid_from__lte=now).filter(
            models.Q(valid_until__isnull=True) | models.Q(valid_until__gt=now)
        )


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    valid_from = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField(null=True, blank=True)
    # Raised by every change an administrator makes (role, period, active): two administrators editing the same
    # membership conflict instead of overwriting each other (administration/services.py).
    version = models.PositiveIntegerField(default=1)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="uniq_membership_role"),
        ]
        ordering = ["organisation__name", "role"]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_role_display()}"

    @property
    def is_current(self) -> bool:
        now = timezone.now()
        return self.is_active and self.valid_from <= now and (self.valid_until is None or self.valid_until > now)


def _no_values() -> list[str]:
    return []


def _mfa_amr_default() -> list[str]:
    return ["mfa", "mca"]


class IdentityProvider(models.Model):
    """An organisation's own OpenID Connect identity provider (ID-porten, Entra ID, Feide, ...): its users sign in
    through it (single sign-on, accounts/sso.py; `utvei idp`). The provider only authenticates: who may use Utvei,
    and in which role, is the organisation's membership, made by invitation.

    The client secret is stored encrypted with the keyring (`secret`), or read from the environment variable named by
    `secret_env` (then nothing secret is in the database at all)."""

    data_subject = None  # about no person: encrypted under the keyring's master key

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="identity_providers")
    provider_id = models.SlugField(max_length=60, unique=True)  # in the provider's URLs: /accounts/oidc/<id>/...
    name = models.CharField(_("name"), max_length=100)  # shown on the login page: "Sign in with <name>"
    server_url = models.URLField(max_length=300)  # the issuer; its /.well-known/openid-configuration is read
    # Where the provider's authorization endpoint is (from its discovery document, at `utvei idp add`), when it is
    # not at the issuer's origin: the login page's forms may go there (its Content-Security-Policy form-action).
    authorization_origin = models.CharField(max_length=300, blank=True, default="")
    client_id = models.CharField(max_length=300)
    secret = EncryptedTextField(blank=True, default="")
    secret_env = models.CharField(max_length=100, blank=True, default="")
    # Which `acr` values of the ID token mean multi-factor (e.g. ID-porten's idporten-loa-substantial/high), and
    # which `amr` values do by themselves (RFC 8176; two different kinds of factor always do: accounts/sso.py).
    mfa_acr = models.JSONField(default=_no_values, blank=True)
    mfa_amr = models.JSONField(default=_mfa_amr_default, blank=True)
    # Accept the provider's e-mail without `email_verified` (an organisation's own directory, e.g. Entra ID, which
    # does not send the claim). Off by default: an unverified e-mail matches nobody.
    trust_email = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organisation__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"

    @property
    def origins(self) -> list[str]:
        """The origins a sign-in through this provider starts at: the issuer's, and its authorization endpoint's."""
        return sorted({o for o in (url_origin(self.server_url), self.authorization_origin) if o})


def url_origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in {"http", "https"} and parts.netloc else ""


class NotificationKind(models.TextChoices):
    EMERGENCY_ACCESS = "emergency_access", _("Emergency access to a case")
    REFERRAL_RECEIVED = "referral_received", _("Referral received")
    REFERRAL_DECIDED = "referral_decided", _("Referral answered")
    TASK_OVERDUE = "task_overdue", _("Overdue task")
    REVIEW_OVERDUE = "review_overdue", _("Overdue plan review")
    REASSESSMENT_OVERDUE = "reassessment_overdue", _("Overdue reassessment")
    FOLLOW_UP_OVERDUE = "follow_up_overdue", _("Overdue follow-up")
    SAFETY_PLAN_REVIEW_OVERDUE = "safety_plan_review_overdue", _("Overdue safety plan review")
    CONCERN_ACUTE = "concern_acute", _("Acute concern received")
    CONCERN_QUESTION = "concern_question", _("Question about a concern you reported")
    CONCERN_ANSWERED = "concern_answered", _("The reporter answered your question")
    PARALLEL_ASKED = "parallel_asked", _("Another organisation follows the same person")
    HANDOVER = "handover", _("Work handed over to you")
    PARTICIPANT_WITHDREW = "participant_withdrew", _("The person withdrew a consent")


# The kinds a reminder is (desk/reminders.py): something on a case the user leads is past its date.
REMINDER_KINDS = (
    NotificationKind.TASK_OVERDUE,
    NotificationKind.REVIEW_OVERDUE,
    NotificationKind.REASSESSMENT_OVERDUE,
    NotificationKind.FOLLOW_UP_OVERDUE,
    NotificationKind.SAFETY_PLAN_REVIEW_OVERDUE,
)


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("To be sent")
    SENT = "sent", _("Sent")
    NO_ADDRESS = "no_address", _("No e-mail address")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Not sent: no longer the case lead")


class Notification(models.Model):
    """A message in a user's own inbox in Utvei, for one of their memberships. It holds no case content:
    the text is made from `kind`, and `case` / `ref` point to what it is about (each link goes through access)."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="notifications")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    ref = models.UUIDField(null=True, blank=True)  # the public id of the emergency access or referral
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # An e-mail that says only that there is something to see (accounts.notifications.deliver_emails): "" for none.
    # (A reminder's e-mail is tracked on its Reminder row.)
    email_status = models.CharField(max_length=12, choices=EmailStatus.choices, blank=True, default="")
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "organisation", "read_at"]),
            models.Index(fields=["email_status", "created_at"], name="notification_email"),
        ]


class Reminder(models.Model):
    """The key that makes a reminder happen once: one row per (kind, item, due date, user), written in the same
    transaction as its notification. A second pass, or a second worker at the same moment, meets the unique
    constraint and skips. A new due date is a new reminder. Like the notification it holds no case content: `ref`
    is the public id of the task, plan or assessment. The e-mail's delivery is tracked here too, so that it is
    sent once, and retried a few times if the mail server fails."""

    kind = models.CharField(max_length=30, choices=[(k.value, k.label) for k in REMINDER_KINDS])
    ref = models.UUIDField()
    due_on = models.DateField()
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    notification = models.OneToOneField(Notification, on_delete=models.PROTECT, related_name="reminder")
    created_at = models.DateTimeField(default=timezone.now)
    email_status = models.CharField(max_length=12, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_claimed_at = models.DateTimeField(null=True, blank=True)  # a worker is sending it (stale after a while)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "ref", "due_on", "user"], name="uniq_reminder"),
        ]
        indexes = [models.Index(fields=["email_status", "created_at"])]


class InvitationState(models.TextChoices):
    PENDING = "pending", _("Invited, not accepted yet")
    ACCEPTED = "accepted", _("Accepted")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Withdrawn")


class Invitation(models.Model):
    """A one-time link that lets an invited user set their password (docs/administration.md). The user and their
    membership exist from the moment of the invitation (single sign-on may find them by e-mail); the invitation
    only says whether they have taken up the account. Only a hash of the token is stored: the token is a secret,
    shown once (in the e-mail, or to the administrator)."""

    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="invitations")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="invitations")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)  # withdrawn, or replaced by a newer invitation
    emailed = models.BooleanField(default=False)  # the link went out by e-mail (else it was shown once)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "created_at"])]

    @property
    def state(self) -> str:
        if self.accepted_at is not None:
            return InvitationState.ACCEPTED
        if self.revoked_at is not None:
            return InvitationState.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationState.EXPIRED
        return InvitationState.PENDING

    def get_state_display(self) -> str:
        return str(InvitationState(self.state).label)
