"""The built-in instruments (the migration loads them, but a transactional test elsewhere may have flushed
the tables; syncing is idempotent)."""

from __future__ import annotations

from typing import Any

import pytest

from utvei.assessments.services import instruments_sync


@pytest.fixture(autouse=True)
def instruments(db: Any) -> None:
    instruments_sync()
