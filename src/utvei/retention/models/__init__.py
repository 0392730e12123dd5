"""The retention app's models, one module per concern; each module's models are imported here."""

from .holds import LegalHold
from .rectification import RectificationRequest, RectificationStatus
from .requests import ReceivedVia, RequestStatus, SubjectAccessRequest
from .restriction import ReadReason, RestrictedRead, RestrictionChange
from .steps import RetentionStep, Step

__all__ = [
    "LegalHold",
    "ReceivedVia",
    "RequestStatus",
    "SubjectAccessRequest",
    "ReadReason",
    "RectificationRequest",
    "RectificationStatus",
    "RestrictedRead",
    "RestrictionChange",
    "RetentionStep",
    "Step",
]
