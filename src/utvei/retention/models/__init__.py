"""The retention app's models, one module per concern; each module's models are imported here."""

from .requests import ReceivedVia, RequestStatus, SubjectAccessRequest

__all__ = ["ReceivedVia", "RequestStatus", "SubjectAccessRequest"]
