"""`utvei worker`: the background process `utvei serve` starts once runs the reminder pass and seals the audit log."""

from __future__ import annotations

import pytest

from utvei.audit import seals
from utvei.audit.models import Action, AuditCheckpoint
from utvei.audit.services import audit_record, audit_verify
from utvei.tools.management.commands import worker

pytestmark = pytest.mark.django_db


def test_the_workers_checkpoint_signs_and_seals_the_chain_once_it_has_grown():
    worker.checkpoint()  # an empty log: nothing to sign
    assert not AuditCheckpoint.objects.exists()
    audit_record(action=Action.LOGIN_FAILED, object_type="user")
    worker.checkpoint()
    worker.checkpoint()  # nothing new: nothing more
    assert AuditCheckpoint.objects.count() == 1
    (seal,) = seals.read(seals.seal_path())
    assert audit_verify(held=[seal]).ok
