"""The catalogue of legal bases, loaded from the data file (the migration loads it too, but a transactional
test elsewhere may have flushed the tables; syncing is idempotent)."""

from __future__ import annotations

from typing import Any

import pytest

from utvei.sharing.consent.services import legal_bases_sync
from utvei.sharing.models import LegalBasis


@pytest.fixture
def catalogue(db: Any) -> dict[str, LegalBasis]:
    legal_bases_sync()
    return {b.key: b for b in LegalBasis.objects.all()}
