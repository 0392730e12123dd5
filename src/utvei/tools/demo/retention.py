"""The demo story's retention steps (`do: hold`, `do: restrict` in tools/data/demo.yaml), told through the retention
services (utvei.retention.services), then moved to the story's date as the loader does for everything else.

    - do: hold
      at: 30                       # days ago it was set
      by: personvern               # the DPO or a coordinator of the owning organisation
      reason: "…"                  # why the case must be kept as it is

    - do: restrict                 # restriction on the person's request (GDPR art. 18)
      at: 20
      by: personvern               # the DPO or the case lead
      reason: "…"
"""

from __future__ import annotations

from typing import Any

from utvei.cases.models import Case
from utvei.retention import services
from utvei.retention.models import LegalHold, RestrictionChange


def hold_step(loader: Any, case: Case, step: dict[str, Any]) -> None:
    hold = services.hold_set(actor=loader.m[step["by"]], case=case, reason=step["reason"])
    LegalHold.objects.filter(pk=hold.pk).update(set_at=loader.clock.at(step["at"]))


def restrict_step(loader: Any, case: Case, step: dict[str, Any]) -> None:
    at = loader.clock.at(step["at"])
    services.restriction_request(actor=loader.m[step["by"]], case=case, reason=step["reason"])
    Case.objects.filter(pk=case.pk).update(restricted_at=at)
    RestrictionChange.objects.filter(case=case).update(changed_at=at)
