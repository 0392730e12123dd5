"""The analyst's pages: the dashboard, the evaluation report (HTML and PDF) and the evaluations their organisation
has joined. Every other role is told the page does not exist (404). The figures are protected aggregates from
evaluation/analytics.py — the dashboard and the report call the same `all_figures`, so they show the same
numbers — drawn as server-side SVG, each with its data table."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from utvei.access.evaluation import (
    analytics_cases,
    analytics_decision,
    analytics_org_ids,
    evaluation_manage_decision,
    joined_evaluations,
)
from utvei.accounts.models import Membership, Organisation
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.cases.models import ClosureReason, Ideology, Track
from utvei.core.errors import NotFound, UtveiError
from utvei.core.forms import submit
from utvei.core.pdf import render_pdf
from utvei.core.validation import parse_uuid
from utvei.core.web import not_found, page
from utvei.plans.models import Measure

from . import agreements, analytics, charts, releases
from .forms import CohortForm, EvaluationForm, ReleaseForm
from .models import Direction, Evaluation, EvaluationMember, Indicator, MissedReason

KM_TIMES = (0, 90, 180, 365, 730)


def _form(request: HttpRequest, m: Membership) -> tuple[CohortForm, Any]:
    evaluations = {str(e.public_id): e for e in joined_evaluations(m)}
    measures = [(x.key, x.name) for x in Measure.objects.filter(owner_org__isnull=True).order_by("position")]
    member_orgs = EvaluationMember.objects.filter(evaluation__in=list(evaluations.values()), left_at__isnull=True)
    jurisdictions = sorted(
        {m.organisation.jurisdiction}
        | set(
            Organisation.objects.filter(pk__in=member_orgs.values("organisation_id"))
            .exclude(jurisdiction="")
            .values_list("jurisdiction", flat=True)
        )
        - {""}
    )
    form = CohortForm(
        request.GET or None,
        measures=measures,
        evaluations=[(k, e.name) for k, e in evaluations.items()],
        jurisdictions=jurisdictions,
    )
    evaluation = None
    if form.is_bound and form.is_valid():
        evaluation = evaluations.get(form.cleaned_data.get("evaluation") or "")
    return form, evaluation


def _cohort(form: CohortForm) -> analytics.Cohort:
    if not form.is_bound or not form.is_valid():
        return analytics.Cohort()
    d = form.cleaned_data
    return analytics.Cohort(
        track=d.get("track") or "",
        ideology=d.get("ideology") or "",
        age_band=d.get("age_band") or "",
        opened_from=d.get("opened_from"),
        opened_to=d.get("opened_to"),
        measure=d.get("measure") or "",
        jurisdiction=d.get("jurisdiction") or "",
    )


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return ""
    return f"{value:.{digits}f}".replace(".", "," if translation.get_language() == "nb" else ".")


def figures_context(m: Membership, form: CohortForm, evaluation: Any) -> dict[str, Any]:
    """The figures and their charts for the dashboard and the report."""
    cohort = _cohort(form)
    cases = analytics.cohort_cases(analytics_cases(m, evaluation), cohort)
    figures = analytics.figures(cases, key=(tuple(analytics_org_ids(m, evaluation)), cohort))
    suppressed = _("hidden (fewer than 5)")
    track_labels = dict(Track.choices)
    # The chart shows the indicators rated on short scales (levels, yes/no, counts of ties), in scale points;
    # percentages (school attendance, plan goals met) would dwarf them and are in the table only.
    short = set(Indicator.objects.exclude(scale="percent").values_list("key", flat=True))
    change_bars = [
        charts.Bar(
            label=c.name_en if translation.get_language() == "en" else c.name_nb,
            value=None if c.change.suppressed else c.change.mean_change,
            lo=c.change.lo,
            hi=c.change.hi,
            note="" if c.change.suppressed else f"n = {c.change.n}",
        )
        for c in figures.changes
        if c.indicator_key in short
    ]
    series = [
        charts.StepSeries(
            label=str(track_labels.get(g.key, _("All cases"))),
            points=[(p.t, p.survival, p.lo, p.hi) for p in g.curve.points],
        )
        for g in figures.survival
    ]
    labels = dict(Ideology.choices)
    ideology_bars = [
        charts.Bar(label=str(labels.get(k, k)), value=None if v is None else float(v))
        for k, v in figures.overview.by_ideology.items()
    ]
    return {
        "figures": figures,
        **tables(figures),
        "evaluation": evaluation,
        "organisation": m.organisation,
        "km_times": KM_TIMES,
        "suppressed_text": suppressed,
        "change_svg": charts.bar_chart(
            change_bars,
            chart_id="change",
            title=_("Change from intake to the latest measurement, per indicator"),
            desc=_(
                "Mean change per person, in scale points, with a 95 % bootstrap interval. Positive is up the scale; "
                "whether up is better depends on the indicator (see the table, which also holds the indicators "
                "measured in per cent). Hidden where fewer than 5 persons were measured twice."
            ),
            value_label=_("Mean change"),
            suppressed_text=suppressed,
        ),
        "survival_svg": charts.survival_chart(
            series,
            chart_id="survival",
            title=_("Time to re-engagement after closure"),
            desc=_(
                "Kaplan–Meier estimate of the share not known to have re-engaged with the milieu or committed an "
                "extremist offence, by days since closure. The curve stops where fewer than 5 remain at risk."
            ),
            x_label=_("Days since closure"),
            y_label=_("Share not re-engaged"),
            empty_note=_("(too few to show)"),
            x_max=730,
        ),
        "ideology_svg": charts.bar_chart(
            ideology_bars,
            chart_id="ideology",
            title=_("Cases by ideological orientation"),
            desc=_("The number of cases per recorded orientation; a case with several is counted under each."),
            value_label=_("Cases"),
            suppressed_text=suppressed,
            decimals=0,
        ),
        "quarters_svg": charts.line_chart(
            [charts.LineSeries(_("Cases opened"), [v for _q, v in figures.overview.opened_by_quarter])],
            [q for q, _v in figures.overview.opened_by_quarter],
            chart_id="quarters",
            title=_("Cases opened per quarter"),
            desc=_("The number of cases opened each quarter; a gap is a count below 5, hidden."),
            y_label=_("Cases"),
            gap_note=_("A gap: fewer than 5, hidden."),
        ),
        "num": _num,
    }


def _phase_labels() -> dict[str, str]:
    return {
        "intake_assessment": _("Intake and assessment"),
        "planning_active": _("Planning and active"),
        "follow_up": _("Follow-up"),
        "closed": _("Closed"),
    }


def _follow_up_labels() -> dict[str, str]:
    labels = {"done": _("Held"), "missed_unrecorded": _("Missed, reason not recorded")}
    labels |= {f"missed_{k}": _("Missed: %(reason)s") % {"reason": str(v).lower()} for k, v in MissedReason.choices}
    labels |= {"pending": _("Pending, not yet due"), "pending_overdue": _("Pending, overdue")}
    return labels


def tables(figures: analytics.Figures) -> dict[str, Any]:
    """The figures as rows for the templates' data tables (labels in the active language)."""
    english = translation.get_language() == "en"
    tracks = dict(Track.choices)
    ov = figures.overview
    track_phase = [
        (str(tracks.get(key, key)), [c.value for c in row], total.value)
        for key, row, total in zip(ov.row_keys, ov.by_track_phase.cells, ov.by_track_phase.row_totals, strict=True)
    ]
    ideologies = dict(Ideology.choices)
    changes = [
        {
            "name": c.name_en if english else c.name_nb,
            "direction": dict(Direction.choices).get(c.direction, c.direction),
            "change": c.change,
            "improved": c.improved,
            "same": c.same,
            "worse": c.worse,
        }
        for c in figures.changes
    ]
    survival = [
        {
            "label": str(tracks.get(g.key, _("All cases"))),
            "group": g,
        }
        for g in figures.survival
    ]
    measures = [{"name": r.name_en if english else r.name_nb, "row": r} for r in figures.measures.rows]
    fu = _follow_up_labels()
    return {
        "phase_labels": [_phase_labels()[k] for k in ov.col_keys],
        "phase_totals": [c.value for c in ov.by_track_phase.col_totals],
        "track_phase": track_phase,
        "ideology_rows": [(str(ideologies.get(k, k)), v) for k, v in ov.by_ideology.items()],
        "change_rows": changes,
        "survival_rows": survival,
        "measure_rows": measures,
        "follow_up_rows": [(fu.get(k, k), v) for k, v in figures.process.follow_ups.items()],
    }


def analyst(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The analyst's pages: every other role is told the page does not exist (404)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, m: Membership, *args: Any, **kwargs: Any) -> HttpResponse:
        if not analytics_decision(m):
            return not_found(request)
        return view(request, m, *args, **kwargs)

    return wrapper


@require_GET
@page
@analyst
def dashboard(request: HttpRequest, m: Membership) -> HttpResponse:
    form, evaluation = _form(request, m)
    status = 400 if form.is_bound and not form.is_valid() else 200
    ctx = {"form": form, **figures_context(m, form, evaluation)}
    audit_by(m, Action.ANALYTICS_VIEW, object_type="analytics", object_id="dashboard")
    return render(request, "evaluation/analytics.html", ctx, status=status)


def _report_context(request: HttpRequest, m: Membership) -> dict[str, Any]:
    form, evaluation = _form(request, m)
    today = timezone.localdate()
    d = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return {
        "form": form,
        "today": today,
        "period_from": d.get("opened_from"),
        "period_to": d.get("opened_to") or today,
        **figures_context(m, form, evaluation),
    }


def _language(request: HttpRequest) -> str:
    lang = request.GET.get("lang", "")
    return lang if lang in {"nb", "en"} else (translation.get_language() or "nb")


@require_GET
@page
@analyst
def report(request: HttpRequest, m: Membership) -> HttpResponse:
    """The evaluation report an SLT coordinator takes to the municipal council: printable HTML."""
    with translation.override(_language(request)):
        ctx = _report_context(request, m)
        audit_by(m, Action.ANALYTICS_REPORT, object_type="analytics", object_id="report.html")
        response = render(request, "evaluation/report.html", {**ctx, "pdf": False, "base_template": "base.html"})
    return response


@require_GET
@page
@analyst
def report_pdf(request: HttpRequest, m: Membership) -> HttpResponse:
    """The same report as a PDF, rendered with WeasyPrint from our own static files only (no network)."""
    lang = _language(request)
    with translation.override(lang):
        ctx = _report_context(request, m)
        html = render_to_string(
            "evaluation/report.html",
            {**ctx, "pdf": True, "base_template": "evaluation/report_document.html"},
            request=request,
        )
        audit_by(m, Action.ANALYTICS_REPORT, object_type="analytics", object_id="report.pdf")
    pdf = render_pdf(html)
    response = HttpResponse(pdf, content_type="application/pdf")
    stamp = dt.date.today().isoformat()
    response["Content-Disposition"] = f'attachment; filename="utvei-evaluation-{stamp}-{lang}.pdf"'
    return response


@require_GET
@page
@analyst
def evaluations(request: HttpRequest, m: Membership) -> HttpResponse:
    rows = list(joined_evaluations(m).prefetch_related("members__organisation"))
    return render(request, "evaluation/evaluations.html", {"evaluations": rows})


# ---- Differentially private releases and research extracts ----------------------------------------------------


def _query_labels() -> list[tuple[str, str]]:
    names = {i.key: i.name for i in Indicator.objects.filter(active=True)}
    fixed = {
        "cases_by_track": _("Cases by track"),
        "closed_by_reason": _("Closed cases by closure reason"),
        "reengaged_after_closure": _("Re-engaged after closure"),
    }
    out = []
    for q in releases.available_queries():
        if q in fixed:
            out.append((q, fixed[q]))
        elif q.startswith("mean_change:"):
            key = q.split(":", 1)[1]
            out.append((q, _("Mean change from intake: %(name)s") % {"name": names.get(key, key)}))
    return out


def _result_pairs(result: dict[str, Any]) -> list[tuple[str, str]]:
    """A release's noisy figures as label and value, in the active language."""
    labels = dict(Track.choices) | dict(ClosureReason.choices)
    if "histogram" in result:
        return [(str(labels.get(k, k)), _num(float(v), 0)) for k, v in result["histogram"].items()]
    if "count" in result:
        return [(_("Persons"), _num(float(result["count"]), 0))]
    if "mean_change" in result:
        return [(_("Mean change"), _num(float(result["mean_change"]), 2))]
    return []


@require_http_methods(["GET", "POST"])
@page
@analyst
def dp_releases(request: HttpRequest, m: Membership) -> HttpResponse:
    """Recurring public figures released with differential privacy, against the dataset's ε ledger."""
    evaluations = {str(e.public_id): e for e in joined_evaluations(m)}
    wanted = request.POST.get("evaluation") if request.method == "POST" else request.GET.get("evaluation")
    evaluation = evaluations.get(wanted or "")
    form = ReleaseForm(request.POST or None, queries=_query_labels(), initial={"evaluation": wanted or ""})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                releases.dp_release(
                    actor=m,
                    query=form.cleaned_data["query"],
                    epsilon=form.cleaned_data["epsilon"],
                    evaluation=evaluation,
                )
            except UtveiError as exc:
                if isinstance(exc, NotFound):
                    raise
                form.add_error(None, str(exc.message))
                status = exc.status
            else:
                messages.success(request, _("The figure is released."))
                suffix = f"?evaluation={wanted}" if evaluation else ""
                return HttpResponseRedirect(reverse("analytics_releases") + suffix)
        else:
            status = 400
    book = releases.ledger(releases.dataset_key(m, evaluation))
    labels = dict(_query_labels())
    rows = [(r, labels.get(r.query, r.query), _result_pairs(r.result)) for r in book.releases]
    ctx = {"form": form, "ledger": book, "rows": rows, "evaluation": evaluation, "evaluations": evaluations.values()}
    return render(request, "evaluation/releases.html", ctx, status=status)


@require_http_methods(["GET", "POST"])
@page
@analyst
def research_extract(request: HttpRequest, m: Membership) -> HttpResponse:
    """A pseudonymised research extract, as CSV: only persons with a research consent, k-anonymous or refused."""
    evaluations = {str(e.public_id): e for e in joined_evaluations(m)}
    error = None
    if request.method == "POST":
        evaluation = evaluations.get(request.POST.get("evaluation") or "")
        try:
            result = releases.research_extract(actor=m, evaluation=evaluation)
        except UtveiError as exc:
            if isinstance(exc, NotFound):
                raise
            error = str(exc.message)
        else:
            response = HttpResponse(releases.extract_csv(result), content_type="text/csv; charset=utf-8")
            stamp = timezone.localdate().isoformat()
            response["Content-Disposition"] = f'attachment; filename="utvei-extract-{stamp}.csv"'
            return response
    ctx = {"evaluations": evaluations.values(), "error": error}
    return render(request, "evaluation/extract.html", ctx, status=409 if error else 200)


# ---- Evaluation agreements (organisation administrators) -------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page
def evaluation_admin(request: HttpRequest, m: Membership) -> HttpResponse:
    if not evaluation_manage_decision(m):
        return not_found(request)
    form = EvaluationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "create")
        wanted = parse_uuid(request.POST.get("evaluation"))
        target = Evaluation.objects.filter(public_id=wanted).first() if wanted else None
        if action in {"join", "leave"} and target is not None:
            act = agreements.evaluation_join if action == "join" else agreements.evaluation_leave
            try:
                act(actor=m, evaluation=target)
            except UtveiError as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, _("Done."))
            return HttpResponseRedirect(reverse("evaluation_admin"))
        form = EvaluationForm(request.POST)
        status = submit(form, lambda d: agreements.evaluation_create(actor=m, **d)) or 0
        if not status:
            messages.success(request, _("The evaluation is recorded, and your organisation has joined it."))
            return HttpResponseRedirect(reverse("evaluation_admin"))
    ctx = {"form": form, "rows": agreements.evaluations_for_admin(m)}
    return render(request, "evaluation/evaluation_admin.html", ctx, status=status)
