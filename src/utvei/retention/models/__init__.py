"""The retention app's models, one module per concern; each module's models are imported here."""

from .holds import LegalHold
from .rectification import RectificationRequest, RectificationStatus
from .restriction import ReadReason, RestrictedRead, RestrictionChange
from .steps import RetentionStep, Step

__all__ = [
    "LegalHold",
    "ReadReason",
    "RectificationRequest",
    "RectificationStatus",
    "RestrictedRead",
    "RestrictionChange",
    "RetentionStep",
    "Step",
]
