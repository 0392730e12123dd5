"""The analyst's pages at scale: the dashboard, the report (HTML and PDF) and the analytics API, over every case
of the organisation, at 1,000 (small) and 100,000 (full) synthetic persons.

Cases, outcome data (measurements at intake, review, closure and follow-up, outcome events, plan exposure) come
from the bulk writer of `utvei synth`, all owned by Syntetisk kommune; an analyst of that organisation looks at
them. Measured: each page as a browser gets it (middleware, session, access, audit event, template and charts),
and `analytics.all_figures` alone. The issue's target is 2 s per page at 100,000 persons.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from django.test import Client
from django.utils import timezone

from utvei.accounts.models import Membership
from utvei.accounts.services import user_create
from utvei.api.models import ApiToken
from utvei.cases.models import Case
from utvei.evaluation import analytics
from utvei.evaluation.models import FollowUp, Measurement, OutcomeEvent
from utvei.tools.synthetic import synth_bulk, synth_world

SIZES = {"small": [1000], "full": [1000, 100_000]}
PAGES = ("analytics", "analytics_report", "analytics_report_pdf")


def _analyst(world: Any) -> Membership:
    org = world.coordinator.organisation
    existing = Membership.objects.filter(user__username="synth-analytiker", organisation=org).first()
    m = existing or user_create(
        username="synth-analytiker", password="x" * 24, org_slug=org.slug, role="analyst", validate=False
    )
    return Membership.objects.select_related("user", "organisation").get(pk=m.pk)


def run(ctx: Any) -> dict[str, Any]:
    world = synth_world()
    analyst = _analyst(world)
    rng = random.Random(7)
    rows = []
    have = 0
    for n in ctx.pick(SIZES):
        start = time.perf_counter()
        synth_bulk(world=world, persons=n - have, rng=rng)
        have = n
        made = time.perf_counter() - start
        ctx.log(f"{n} persons ({made:.0f} s to generate)")
        cases = Case.objects.filter(owning_org=analyst.organisation)
        row: dict[str, Any] = {
            "persons": n,
            "cases": cases.count(),
            "measurements": Measurement.objects.count(),
            "outcome_events": OutcomeEvent.objects.count(),
            "follow_ups": FollowUp.objects.count(),
            "all_figures": ctx.measure(lambda c=cases: analytics.all_figures(c), repeat=3),
            "all_figures_queries": ctx.queries(lambda c=cases: analytics.all_figures(c)),
        }
        repeat = 3 if n >= 10_000 else 5
        for name in PAGES:
            row[name] = ctx.page(analyst, name, repeat=repeat)
        _, raw = ApiToken.issue(membership=analyst, expires_at=timezone.now() + dt.timedelta(hours=2))
        api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        row["api_analytics_status"] = api.get("/api/v1/analytics/").status_code
        row["api_analytics"] = ctx.measure(lambda a=api: a.get("/api/v1/analytics/"), repeat=repeat)
        rows.append(row)
    return {"viewer": "analyst of the owning organisation (synth-analytiker)", "sizes": rows}
