"""The audit log: append-only, hash-chained events that name who did what to which object, never content."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    LOGIN = "auth.login", _("Logged in")
    LOGIN_FAILED = "auth.login_failed", _("Login failed")
    LOGOUT = "auth.logout", _("Logged out")
    MFA_ADDED = "auth.mfa_added", _("MFA method added")
    MFA_REMOVED = "auth.mfa_removed", _("MFA method removed")
    MFA_VERIFIED = "auth.mfa_verified", _("MFA verified")
    MEMBERSHIP_SWITCH = "membership.switch", _("Switched organisation")
    MEMBERSHIP_CREATE = "membership.create", _("Membership created")
    MEMBERSHIP_CHANGE = "membership.change", _("Membership changed")
    ORG_CREATE = "org.create", _("Organisation created")
    TOKEN_CREATE = "api.token_create", _("API token issued")
    CONCERN_CREATE = "concern.create", _("Concern submitted")
    CONCERN_VIEW = "concern.view", _("Concern viewed")
    CONCERN_LIST = "concern.list", _("Intake queue viewed")
    CONCERN_TRIAGE = "concern.triage", _("Concern triaged")
    PERSON_CREATE = "person.create", _("Person registered")
    PERSON_LOOKUP = "person.lookup", _("Person looked up by identity number")
    CASE_CREATE = "case.create", _("Case opened")
    CASE_VIEW = "case.view", _("Case viewed")
    CASE_LIST = "case.list", _("Case list viewed")
    CASE_LOOKUP = "case.lookup", _("Case looked up by reference")
    CASE_DENIED = "case.denied", _("Access refused")
    CASE_UPDATE = "case.update", _("Case updated")
    CASE_PHASE = "case.phase", _("Phase changed")
    CASE_TRACK = "case.track", _("Track changed")
    CASE_CLOSE = "case.close", _("Case closed")
    CASE_REOPEN = "case.reopen", _("Case reopened")
    TEAM_ADD = "team.add", _("Team member added")
    TEAM_END = "team.end", _("Team membership ended")
    TEAM_VIEW = "team.view", _("Team viewed")
    ENTRY_CREATE = "entry.create", _("Entry written")
    ENTRY_VIEW = "entry.view", _("Entry viewed")
    ENTRY_LIST = "entry.list", _("Timeline viewed")
    ENTRY_UPDATE = "entry.update", _("Entry edited")
    ENTRY_CONFLICT = "entry.conflict", _("Edit conflict")
    TASK_CREATE = "task.create", _("Task created")
    TASK_UPDATE = "task.update", _("Task updated")
    TASK_LIST = "task.list", _("Tasks viewed")
    TASK_VIEW = "task.view", _("Task viewed")
    RECEIPT_LIST = "concern.receipts", _("Own concern receipts viewed")
    AUDIT_VIEW = "audit.view", _("Audit log viewed")
    LEGAL_BASIS_UPDATE = "legal_basis.update", _("Legal basis changed")
    LEGAL_BASIS_VIEW = "legal_basis.view", _("Legal basis viewed")
    CONSENT_RECORD = "consent.record", _("Consent recorded")
    CONSENT_WITHDRAW = "consent.withdraw", _("Consent withdrawn")
    CONSENT_VIEW = "consent.view", _("Consents viewed")
    DISCLOSURE_RECORD = "disclosure.record", _("Disclosure recorded")
    DISCLOSURE_REVOKE = "disclosure.revoke", _("Disclosure revoked")
    DISCLOSURE_VIEW = "disclosure.view", _("Disclosures viewed")
    REFERRAL_SEND = "referral.send", _("Referral sent")
    REFERRAL_ACCEPT = "referral.accept", _("Referral accepted")
    REFERRAL_DECLINE = "referral.decline", _("Referral declined")
    REFERRAL_WITHDRAW = "referral.withdraw", _("Referral withdrawn")
    REFERRAL_VIEW = "referral.view", _("Referral viewed")
    TRANSFER_COMPLETE = "transfer.complete", _("Ownership transferred")
    EMERGENCY_OPEN = "emergency.open", _("Emergency access opened")
    EMERGENCY_REFUSED = "emergency.refused", _("Emergency access refused")
    EMERGENCY_END = "emergency.end", _("Emergency access ended")
    EMERGENCY_REVIEW = "emergency.review", _("Emergency access reviewed")
    EMERGENCY_VIEW = "emergency.view", _("Emergency access queue viewed")
    CASE_EXPORT = "case.export", _("Case record exported")
    INSTRUMENT_LOAD = "instrument.load", _("Assessment instrument loaded")
    ASSESSMENT_CREATE = "assessment.create", _("Assessment started")
    ASSESSMENT_UPDATE = "assessment.update", _("Assessment draft saved")
    ASSESSMENT_CONFLICT = "assessment.conflict", _("Assessment edit conflict")
    ASSESSMENT_FINALISE = "assessment.finalise", _("Assessment finalised")
    ASSESSMENT_VIEW = "assessment.view", _("Assessment viewed")
    ASSESSMENT_LIST = "assessment.list", _("Assessments listed")
    ASSESSMENT_COMPARE = "assessment.compare", _("Assessment compared with the previous one")
    ASSESSMENT_SKIP = "assessment.skip", _("Planning without an assessment recorded")
    PLAN_CREATE = "plan.create", _("Plan started")
    PLAN_VIEW = "plan.view", _("Plan viewed")
    PLAN_LIST = "plan.list", _("Plan versions listed")
    PLAN_UPDATE = "plan.update", _("Plan changed")
    PLAN_APPROVE = "plan.approve", _("Plan approved")
    PLAN_REVIEW = "plan.review", _("Plan reviewed")
    PLAN_PRINT = "plan.print", _("Plan printed")
    PLAN_GOAL_ADD = "plan.goal_add", _("Goal added to a plan")
    PLAN_GOAL_EDIT = "plan.goal_edit", _("Plan goal edited")
    PLAN_GOAL_REMOVE = "plan.goal_remove", _("Goal removed from a plan")
    PLAN_GOAL_RATE = "plan.goal_rate", _("Plan goal rated")
    PLAN_ITEM_ADD = "plan.item_add", _("Item added to a plan")
    PLAN_ITEM_EDIT = "plan.item_edit", _("Plan item changed")
    PLAN_ITEM_REMOVE = "plan.item_remove", _("Item removed from a plan")
    PLAN_CONFLICT = "plan.conflict", _("Plan edit conflict")
    MEASURE_CREATE = "measure.create", _("Local measure added")
    MEASURE_UPDATE = "measure.update", _("Measure changed")
    MEETING_CREATE = "meeting.create", _("Meeting planned")
    MEETING_VIEW = "meeting.view", _("Meeting viewed")
    MEETING_LIST = "meeting.list", _("Meetings listed")
    MEETING_UPDATE = "meeting.update", _("Meeting changed")
    MEETING_HOLD = "meeting.hold", _("Meeting recorded as held")
    MEETING_CANCEL = "meeting.cancel", _("Meeting cancelled")
    MEETING_PRINT = "meeting.print", _("Meeting minutes printed")
    MEETING_CONFLICT = "meeting.conflict", _("Meeting edit conflict")
    MEETING_DECISION_ADD = "meeting.decision_add", _("Meeting decision recorded")
    MEETING_DECISION_EDIT = "meeting.decision_edit", _("Meeting decision changed")
    MEETING_DECISION_REMOVE = "meeting.decision_remove", _("Proposed meeting decision removed")
    REMINDER_SEND = "reminder.send", _("Reminder sent")
    NETWORK_VIEW = "network.view", _("Network map viewed")
    NETWORK_COMPARE = "network.compare", _("Network map compared between two dates")
    NETWORK_LIST = "network.list", _("Network contacts listed")
    CONTACT_VIEW = "contact.view", _("Network contact viewed")
    CONTACT_CREATE = "contact.create", _("Network contact added")
    CONTACT_UPDATE = "contact.update", _("Network contact changed")
    CONTACT_CONFLICT = "contact.conflict", _("Network contact edit conflict")
    OBSERVATION_CREATE = "observation.create", _("Network observation recorded")


class AuditEvent(models.Model):
    seq = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True)
    actor_org_id = models.BigIntegerField(null=True)
    action = models.CharField(max_length=40, choices=Action.choices)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    case_id = models.CharField(max_length=64, blank=True, db_index=True)
    reason = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["actor_id", "occurred_at"]), models.Index(fields=["occurred_at"])]


class AuditHead(models.Model):
    """One row: the last sequence number and hash. Locked while appending, so the chain has one order."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)


class AuditCheckpoint(models.Model):
    """A signed statement "the chain had this hash at this sequence number".

    The chain alone detects any change that leaves the later hashes alone; someone who can write the database
    could still recompute every hash after a change. A checkpoint is signed (HMAC) with a key from the keyring,
    which the database does not hold, so a rewritten chain no longer matches its checkpoints.
    """

    seq = models.BigIntegerField(unique=True)
    hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
