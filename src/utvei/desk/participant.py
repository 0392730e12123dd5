"""What the person's own page shows (docs/participant.md), for the page (/me/) and the API (/api/v1/me/).

Each part is built from what `access.participant` lets the person see, in a constant number of queries, and every
read is audited (`participant.view`, the part as the reason) — so their own reads show in their access log too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access import participant as rules
from utvei.access.access_log import LogRow, case_access_log
from utvei.accounts.models import OrgKind
from utvei.audit.models import Action
from utvei.audit.services import audit_record
from utvei.cases.models import Attachment, Entry, ParticipantAccount
from utvei.core.vocabulary import DataCategory
from utvei.evaluation.models import Indicator, IndicatorSource, Measurement
from utvei.evaluation.services import self_report_indicators
from utvei.meetings.models import Meeting
from utvei.plans.models import GoalRating, Plan, PlanStatus
from utvei.sharing.models import Consent, GivenBy, Purpose

PARTS = ("plan", "appointments", "entries", "documents", "consents", "indicators", "access_log")
LOG_LIMIT = 300  # the newest events read for the log (grouped by day, organisation, kind and reason)


def audit_read(account: ParticipantAccount, part: str) -> None:
    audit_record(action=Action.PARTICIPANT_VIEW, actor=account.user, case=account.case, reason=part[:64])


# ---- The plan: goals in their own words, and the dates of its measures ------------------------------------


@dataclass
class GoalView:
    goal: Any
    ratings: list[GoalRating]
    items: list[Any]

    @property
    def own_ratings(self) -> list[GoalRating]:
        return [r for r in self.ratings if r.source == "person"]

    @property
    def team_ratings(self) -> list[GoalRating]:
        return [r for r in self.ratings if r.source != "person"]


@dataclass
class PlanPart:
    plan: Any | None
    goals: list[GoalView] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)  # every item, in the plan's order (with a date, or not)


def plan_part(account: ParticipantAccount) -> PlanPart:
    """The approved plan classified for them (four queries), else nothing."""
    plan = Plan.objects.filter(case_id=account.case_id, status=PlanStatus.APPROVED).first()
    if plan is None or not rules.plan_shows(account, plan):
        return PlanPart(None)
    ratings = GoalRating.objects.order_by("rated_on", "pk")
    goals = list(plan.goals.prefetch_related(Prefetch("ratings", queryset=ratings)).order_by("position", "pk"))
    items = list(plan.items.select_related("measure", "responsible_org").order_by("position", "pk"))
    views = [GoalView(g, list(g.ratings.all()), [i for i in items if i.goal_id == g.pk]) for g in goals]
    return PlanPart(plan, views, items)


# ---- Appointments, entries and documents -----------------------------------------------------------------


def appointments(account: ParticipantAccount) -> list[Meeting]:
    rows = Meeting.objects.filter(rules.items_q(account)).order_by("starts_at", "pk")
    return [m for m in rows if rules.meeting_shows(account, m)]


def entries(account: ParticipantAccount) -> list[Entry]:
    rows = Entry.objects.filter(rules.items_q(account)).select_related("author_org").order_by("-occurred_at", "-pk")
    return [e for e in rows if rules.entry_shows(account, e)]


def documents(account: ParticipantAccount) -> list[Attachment]:
    rows = (
        Attachment.objects.filter(rules.items_q(account))
        .select_related("entry", "meeting", "author_org")
        .order_by("-uploaded_at", "-pk")
    )
    return [a for a in rows if rules.attachment_shows(account, a)]


# ---- Consents, with their scope in plain words ------------------------------------------------------------


@dataclass
class ConsentView:
    consent: Consent
    given_by: str
    organisations: list[str]
    categories: list[str]
    purposes: list[str]
    active: bool
    status: str


def consents(account: ParticipantAccount) -> list[ConsentView]:
    now = timezone.now()
    kinds = dict(OrgKind.choices)
    cats = dict(DataCategory.choices)
    purposes = dict(Purpose.choices)
    given = dict(GivenBy.choices)
    rows = []
    for c in rules.consents_of(account).prefetch_related("scope_orgs").order_by("-created_at", "-pk"):
        orgs = [o.name for o in c.scope_orgs.all()] + [str(kinds.get(k, k)) for k in c.scope_kinds]
        if c.withdrawn_at is not None:
            status = str(_("Withdrawn"))
        elif c.valid_until is not None and c.valid_until <= now:
            status = str(_("Expired"))
        elif c.valid_from > now:
            status = str(_("Not yet in force"))
        else:
            status = str(_("In force"))
        rows.append(
            ConsentView(
                c,
                str(given.get(c.given_by, c.given_by)),
                orgs,
                [str(cats.get(x, x)) for x in c.categories],
                [str(purposes.get(x, x)) for x in c.purposes],
                c.is_active(now),
                status,
            )
        )
    return rows


# ---- Self-report indicators, with their own latest answer --------------------------------------------------


@dataclass
class IndicatorView:
    indicator: Indicator
    choices: list[tuple[int, str]]
    last_value: float | None
    last_label: str
    last_on: dt.date | None


def indicators(account: ParticipantAccount) -> list[IndicatorView]:
    found = self_report_indicators(account)
    answers: dict[int, Measurement] = {}
    rows = Measurement.objects.filter(
        rules.items_q(account), source=IndicatorSource.SELF_REPORT, author_id=account.user_id
    ).order_by("measured_on", "created_at", "pk")
    for m in rows:
        answers[m.indicator_id] = m
    out = []
    for i in found:
        last = answers.get(i.pk)
        choices = i.level_choices() or [(v, str(v)) for v in range(i.min_value, i.max_value + 1)]
        out.append(
            IndicatorView(
                i,
                choices,
                last.value if last else None,
                i.level_label(last.value) if last else "",
                last.measured_on if last else None,
            )
        )
    return out


# ---- The access log in plain words (built in access/access_log.py, shared with the subject-access export) ------


def access_log(account: ParticipantAccount) -> list[LogRow]:
    """Who read the record, when, and why: each day's reads by one organisation of one kind for one reason as one
    row, newest first (the newest LOG_LIMIT events). Four queries."""
    return case_access_log(account.case, you=(account.user_id,), limit=LOG_LIMIT)


# ---- The whole page ----------------------------------------------------------------------------------------


@dataclass
class MyPage:
    account: ParticipantAccount
    plan: PlanPart
    appointments: list[Meeting]
    entries: list[Entry]
    documents: list[Attachment]
    consents: list[ConsentView]
    indicators: list[IndicatorView]
    access_log: list[LogRow]


def my_page(account: ParticipantAccount) -> MyPage:
    """Everything on /me/; one audit event for the page (before the log is read, so it is in it)."""
    audit_read(account, "page")
    return MyPage(
        account,
        plan_part(account),
        appointments(account),
        entries(account),
        documents(account),
        consents(account),
        indicators(account),
        access_log(account),
    )
