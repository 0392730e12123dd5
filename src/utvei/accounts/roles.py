"""Roles are capability sets defined here, in code, and nowhere else."""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    CASEWORKER = "caseworker", _("Caseworker")
    MENTOR = "mentor", _("Mentor")
    REPORTER = "reporter", _("Reporter")
    DPO = "dpo", _("Data protection officer")
    ANALYST = "analyst", _("Analyst")
    ORG_ADMIN = "org_admin", _("Organisation administrator")


class Cap(StrEnum):
    """Capabilities. A role is the set of these it holds."""

    CONCERN_SUBMIT = "concern.submit"
    CONCERN_TRIAGE = "concern.triage"
    CASE_READ = "case.read"  # see case header and (subject to classification) content
    CASE_READ_FULL = "case.read_full"  # beyond mentor's goals/appointments/own notes
    CASE_OPEN = "case.open"
    CASE_MANAGE = "case.manage"  # phase, track, team, close, reopen
    ENTRY_WRITE = "entry.write"
    TASK_WRITE = "task.write"
    AUDIT_READ = "audit.read"
    STATS_READ = "stats.read"
    ORG_ADMIN = "org.admin"
    EMERGENCY_ACCESS = "emergency.access"  # break the glass on a case outside one's relations


CAPABILITIES: dict[str, frozenset[Cap]] = {
    Role.COORDINATOR: frozenset(
        {
            Cap.CONCERN_SUBMIT,
            Cap.CONCERN_TRIAGE,
            Cap.CASE_READ,
            Cap.CASE_READ_FULL,
            Cap.CASE_OPEN,
            Cap.CASE_MANAGE,
            Cap.ENTRY_WRITE,
            Cap.TASK_WRITE,
            Cap.EMERGENCY_ACCESS,
        }
    ),
    Role.CASEWORKER: frozenset(
        {
            Cap.CONCERN_SUBMIT,
            Cap.CASE_READ,
            Cap.CASE_READ_FULL,
            Cap.ENTRY_WRITE,
            Cap.TASK_WRITE,
            Cap.EMERGENCY_ACCESS,
        }
    ),
    Role.MENTOR: frozenset({Cap.CONCERN_SUBMIT, Cap.CASE_READ, Cap.ENTRY_WRITE}),
    Role.REPORTER: frozenset({Cap.CONCERN_SUBMIT}),
    Role.DPO: frozenset({Cap.AUDIT_READ}),
    Role.ANALYST: frozenset({Cap.STATS_READ}),
    Role.ORG_ADMIN: frozenset({Cap.ORG_ADMIN}),
}

# The person a case is about, on their own page (docs/participant.md): a principal, not a role in an organisation.
PARTICIPANT = "participant"

# Roles that can read case content must use multi-factor authentication; so must the person reading their own.
MFA_REQUIRED_ROLES = frozenset({Role.COORDINATOR, Role.CASEWORKER, Role.MENTOR, Role.DPO, PARTICIPANT})


def mfa_required(role: str) -> bool:
    """Must a membership with this role use multi-factor authentication (on the web and for an API token)?"""
    return role in MFA_REQUIRED_ROLES


def has_cap(role: str, cap: Cap) -> bool:
    return cap in CAPABILITIES.get(role, frozenset())
