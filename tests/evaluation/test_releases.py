"""Releases of evaluation data: differentially private figures under a privacy-budget ledger, and pseudonymised,
k-anonymous research extracts for persons who consented to research. Analysts only; everything audited, and no
person or case ever named in a release or in the audit."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from typing import Any

import pytest
from django.utils import timezone

from utvei.accounts.services import user_create
from utvei.audit.models import Action, AuditEvent
from utvei.cases.models import Case, ClosureReason, Phase, Track
from utvei.core.errors import NotFound, UtveiError
from utvei.core.vocabulary import DataCategory
from utvei.evaluation import releases
from utvei.evaluation.models import (
    Evaluation,
    EvaluationMember,
    Indicator,
    IndicatorSource,
    Measurement,
    Occasion,
    OutcomeEvent,
    OutcomeKind,
    OutcomeSource,
    PrivacyBudget,
    PrivacyRelease,
    ResearchExtract,
)
from utvei.evaluation.releases import (
    DEFAULT_EPSILON_BUDGET,
    BudgetSpent,
    ExtractRefused,
    dataset_key,
    dp_release,
    extract_csv,
    ledger,
    research_extract,
)
from utvei.evaluation.stats.kanon import is_k_anonymous
from utvei.people.models import Person
from utvei.sharing.models import Consent

QIS = ["age_band", "region", "quarter", "track"]
_serial = itertools.count(1)


def make_case(
    world: Any,
    *,
    track: str = Track.EXIT,
    age: str = "18-24",
    municipality: str = "Testby",
    opened: dt.datetime | None = None,
    closed: dt.datetime | None = None,
    reason: str = "",
    consent: str | None = "evaluation_research",
    person: Person | None = None,
    org: str = "kommune",
) -> Case:
    """A case straight in the database (fast): a person, the case, and optionally a consent for `consent`."""
    n = next(_serial)
    if person is None:
        person = Person.objects.create(
            reference=f"UTVR{n:05d}", full_name=f"Navnesen Nummer{n}", age_band=age, municipality=municipality
        )
    case = Case.objects.create(
        reference=f"{person.reference}-{n}",
        person=person,
        track=track,
        owning_org=world.orgs[org],
        opened_at=opened or timezone.now(),
        phase=Phase.CLOSED if closed else Phase.ACTIVE,
        closed_at=closed,
        closure_reason=reason,
    )
    if consent:
        Consent.objects.create(
            case=case,
            given_by="person",
            categories=DataCategory.values,
            purposes=[consent],
            evidence="signed_form",
            recorded_by=world.m["kari"].user,
            recorded_by_org=world.orgs["kommune"],
        )
    return case


def measure(world: Any, case: Case, key: str, occasion: str, on: dt.date, value: float) -> Measurement:
    indicator = Indicator.objects.get(key=key)
    return Measurement.objects.create(
        case=case,
        indicator=indicator,
        indicator_version=indicator.version,
        occasion=occasion,
        measured_on=on,
        value=value,
        source=IndicatorSource.WORKER,
        category=indicator.category,
        author=world.m["kari"].user,
        author_org=world.orgs["kommune"],
    )


def actions(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


@pytest.fixture
def analyst(world: Any) -> Any:
    return world.m["anna"]


# ---- Differentially private releases and the ledger --------------------------------------------------------


def test_the_ledger_records_spent_epsilon_and_refuses_a_release_past_the_budget(world, analyst, monkeypatch):
    for track in (Track.EXIT, Track.PREVENTION, Track.RETURNEE):
        make_case(world, track=track)
    first = dp_release(actor=analyst, query="cases_by_track", epsilon=1.0)
    second = dp_release(actor=analyst, query="cases_by_track", epsilon=0.8)
    dataset = dataset_key(analyst)
    assert dataset == "org:kommune" and first.dataset == dataset
    assert PrivacyBudget.objects.get(dataset=dataset).epsilon_total == DEFAULT_EPSILON_BUDGET

    # The refusal comes before anything is computed.
    def must_not_compute(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("computed a release past the budget")

    monkeypatch.setattr(releases, "_compute", must_not_compute)
    with pytest.raises(BudgetSpent) as refused:
        dp_release(actor=analyst, query="cases_by_track", epsilon=0.5)
    assert refused.value.code == "budget_spent" and refused.value.status == 409
    assert isinstance(refused.value, UtveiError) and str(refused.value.message)

    book = ledger(dataset)
    assert book.total == DEFAULT_EPSILON_BUDGET
    assert math.isclose(book.spent, 1.8) and math.isclose(book.remaining, 0.2)
    assert [r.pk for r in book.releases] == [second.pk, first.pk]  # newest first
    assert PrivacyRelease.objects.count() == 2

    (denied,) = actions(Action.DP_REFUSED)
    assert denied.reason == "cases_by_track;eps=0.5" and denied.actor_id == analyst.user_id
    released = actions(Action.DP_RELEASE)
    assert [e.reason for e in released] == ["cases_by_track;eps=1.0", "cases_by_track;eps=0.8"]
    assert all(e.case_id == "" for e in [denied, *released])  # no case or person in the audit


def test_what_is_left_can_still_be_spent(world, analyst):
    make_case(world)
    dp_release(actor=analyst, query="cases_by_track", epsilon=1.5)
    dp_release(actor=analyst, query="closed_by_reason", epsilon=0.5)
    assert math.isclose(ledger("org:kommune").remaining, 0.0, abs_tol=1e-9)
    with pytest.raises(BudgetSpent):
        dp_release(actor=analyst, query="reengaged_after_closure", epsilon=0.01)


@pytest.mark.parametrize("username", ["kari", "ola", "dina", "adam", "mona", "pia"])
def test_everyone_but_an_analyst_is_told_there_is_nothing(world, username):
    make_case(world)
    with pytest.raises(NotFound):
        dp_release(actor=world.m[username], query="cases_by_track", epsilon=0.5)
    with pytest.raises(NotFound):
        research_extract(actor=world.m[username])
    assert not PrivacyRelease.objects.exists() and not PrivacyBudget.objects.exists()
    assert not ResearchExtract.objects.exists()


def test_a_released_histogram_has_exactly_the_public_categories(world, analyst):
    person = Person.objects.create(reference="UTVR-TWICE", full_name="To Saker", age_band="18-24")
    make_case(world, track=Track.PREVENTION, person=person, opened=timezone.now() - dt.timedelta(days=400))
    make_case(world, track=Track.EXIT, person=person)  # the same person, counted once
    make_case(world, closed=timezone.now(), reason=ClosureReason.GOALS_MET)

    by_track = dp_release(actor=analyst, query="cases_by_track", epsilon=0.5)
    assert list(by_track.result["histogram"]) == list(Track.values)
    by_reason = dp_release(actor=analyst, query="closed_by_reason", epsilon=0.5)
    assert list(by_reason.result["histogram"]) == list(ClosureReason.values)
    for release in (by_track, by_reason):
        assert set(release.result) == {"histogram", "mechanism"}
        assert all(isinstance(v, float) and v >= 0 for v in release.result["histogram"].values())


def test_reengagement_after_closure_and_mean_change_are_noisy_numbers(world, analyst):
    closed = timezone.now() - dt.timedelta(days=200)
    for i in range(6):
        case = make_case(world, closed=closed, reason=ClosureReason.GOALS_MET)
        if i < 3:
            OutcomeEvent.objects.create(
                case=case,
                kind=OutcomeKind.RE_ENGAGEMENT,
                occurred_on=timezone.localdate() - dt.timedelta(days=30),
                source=OutcomeSource.WORKER,
                category=DataCategory.IDEOLOGY,
                author=world.m["kari"].user,
                author_org=world.orgs["kommune"],
            )
        start = timezone.localdate() - dt.timedelta(days=300)
        measure(world, case, "milieu-contact", Occasion.INTAKE, start, 3)
        measure(world, case, "milieu-contact", Occasion.CLOSURE, start + dt.timedelta(days=90), 1)

    count = dp_release(actor=analyst, query="reengaged_after_closure", epsilon=0.5)
    assert set(count.result) == {"count", "mechanism"} and count.result["count"] >= 0

    mean = dp_release(actor=analyst, query="mean_change:milieu-contact", epsilon=1.0)
    indicator = Indicator.objects.get(key="milieu-contact")
    width = indicator.max_value - indicator.min_value
    assert mean.result["bounds"] == [-width, width]  # from the catalogue, never from the data
    assert -width <= mean.result["mean_change"] <= width
    assert (AuditEvent.objects.filter(action=Action.DP_RELEASE).values_list("reason", flat=True).last()) == (
        "mean_change:milieu-contact;eps=1.0"
    )


@pytest.mark.parametrize("query", ["", "everything", "mean_change:", "mean_change:no-such-indicator", None])
def test_an_unknown_query_is_refused(world, analyst, query):
    with pytest.raises(UtveiError) as error:
        dp_release(actor=analyst, query=query, epsilon=0.5)
    assert error.value.code == "bad_query" and error.value.status == 400


@pytest.mark.parametrize("epsilon", [0, -1.0, math.nan, math.inf, DEFAULT_EPSILON_BUDGET + 0.5, "1", True])
def test_epsilon_outside_zero_to_the_budget_is_refused(world, analyst, epsilon):
    with pytest.raises(UtveiError) as error:
        dp_release(actor=analyst, query="cases_by_track", epsilon=epsilon)
    assert error.value.code == "bad_epsilon" and error.value.status == 400
    assert not PrivacyRelease.objects.exists()


def evaluation_with(world: Any, *orgs: str, budget: float = 1.0) -> Evaluation:
    today = timezone.localdate()
    evaluation = Evaluation.objects.create(
        name="Felles evaluering",
        purpose="Lære sammen",
        legal_basis="Avtale",
        starts_on=today - dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=300),
        epsilon_budget=budget,
        created_by=world.m["adam"].user,
        created_org=world.orgs["kommune"],
    )
    for slug in orgs:
        EvaluationMember.objects.create(
            evaluation=evaluation, organisation=world.orgs[slug], joined_by=world.m["adam"].user
        )
    return evaluation


def test_an_evaluation_has_its_own_budget_and_only_its_members_analysts(world, analyst):
    evaluation = evaluation_with(world, "kommune", "annen", budget=1.0)
    make_case(world)
    make_case(world, org="annen")
    release = dp_release(actor=analyst, query="cases_by_track", epsilon=0.6, evaluation=evaluation)
    assert release.dataset == f"evaluation:{evaluation.public_id}"
    assert ledger(release.dataset).total == 1.0
    with pytest.raises(UtveiError) as error:  # more than the whole budget
        dp_release(actor=analyst, query="cases_by_track", epsilon=1.5, evaluation=evaluation)
    assert error.value.code == "bad_epsilon"
    with pytest.raises(BudgetSpent):
        dp_release(actor=analyst, query="cases_by_track", epsilon=0.6, evaluation=evaluation)
    # The organisation's own dataset is a separate ledger.
    dp_release(actor=analyst, query="cases_by_track", epsilon=1.0)

    outsider = user_create(username="alma", password="x" * 20, org_slug="skole", role="analyst", validate=False)
    with pytest.raises(NotFound):
        dp_release(actor=outsider, query="cases_by_track", epsilon=0.1, evaluation=evaluation)
    with pytest.raises(NotFound):
        research_extract(actor=outsider, evaluation=evaluation)


# ---- Research extracts -------------------------------------------------------------------------------------


def consenting_cohort(world: Any, n: int = 7) -> list[Case]:
    """n persons who consented to research, with varied quasi-identifiers."""
    ages = ["15-17", "18-24", "25-34", "u15", "35+", "18-24", "25-34", "15-17"]
    places = ["Testby", "Annenby", "Fjordvik", "Testby", "Nordby", "Annenby", "Testby", "Sørby"]
    tracks = [Track.EXIT, Track.PREVENTION, Track.EXIT, Track.RETURNEE, Track.PREVENTION, Track.EXIT, Track.EXIT]
    opened = [timezone.now() - dt.timedelta(days=40 * i) for i in range(n)]
    return [
        make_case(world, age=ages[i % 8], municipality=places[i % 8], track=tracks[i % 7], opened=opened[i])
        for i in range(n)
    ]


def test_an_extract_with_fewer_than_five_consenting_persons_is_refused(world, analyst):
    consenting_cohort(world, n=4)
    for _ in range(3):
        make_case(world, consent=None)  # cases without research consent do not count
    with pytest.raises(ExtractRefused) as refused:
        research_extract(actor=analyst)
    assert refused.value.code == "k_anonymity" and refused.value.status == 409
    assert not ResearchExtract.objects.exists()
    (event,) = actions(Action.EXTRACT_REFUSED)
    assert event.reason == "rows=4;k=5" and event.case_id == ""


def test_k_below_five_is_not_allowed(world, analyst):
    consenting_cohort(world, n=5)
    with pytest.raises(UtveiError) as error:
        research_extract(actor=analyst, k=2)
    assert error.value.code == "bad_k"


def test_an_extract_is_k_anonymous_and_only_of_consenting_persons(world, analyst):
    cohort = consenting_cohort(world, n=7)
    make_case(world, consent=None)
    make_case(world, consent="coordination")
    withdrawn = make_case(world)
    Consent.objects.filter(case=withdrawn).update(withdrawn_at=timezone.now() - dt.timedelta(days=1))
    expired = make_case(world)
    Consent.objects.filter(case=expired).update(valid_until=timezone.now() - dt.timedelta(days=1))

    start = timezone.localdate() - dt.timedelta(days=100)
    measure(world, cohort[0], "milieu-contact", Occasion.INTAKE, start, 3)
    measure(world, cohort[0], "milieu-contact", Occasion.REVIEW, start + dt.timedelta(days=30), 2)
    wrong = measure(world, cohort[0], "milieu-contact", Occasion.REVIEW, start + dt.timedelta(days=60), 3)
    fixed = measure(world, cohort[0], "milieu-contact", Occasion.REVIEW, start + dt.timedelta(days=60), 1)
    Measurement.objects.filter(pk=fixed.pk).update(corrects=wrong)

    result = research_extract(actor=analyst)
    assert len(result.rows) == 7 and result.extract.rows == 7
    assert is_k_anonymous(result.rows, QIS, 5)
    assert result.extract.excluded_without_consent == 4
    assert result.extract.k == 5 and result.extract.levels == result.levels
    assert set(result.levels) == set(QIS)
    (event,) = actions(Action.EXTRACT_RELEASE)
    assert event.reason == "rows=7;k=5" and event.object_id == str(result.extract.public_id)

    for row in result.rows:
        assert {"pseudonym", *QIS, "closed", "reengaged_after_closure", "measures"} <= set(row)
    values = sorted(
        (row["milieu-contact_intake"], row["milieu-contact_latest"])
        for row in result.rows
        if row["milieu-contact_intake"] is not None
    )
    assert values == [(3.0, 1.0)]  # the corrected value is replaced by its correction


def test_two_extracts_give_different_pseudonyms_for_the_same_persons(world, analyst):
    consenting_cohort(world, n=6)
    first = research_extract(actor=analyst)
    second = research_extract(actor=analyst)
    one = {row["pseudonym"] for row in first.rows}
    two = {row["pseudonym"] for row in second.rows}
    assert len(one) == len(two) == 6
    assert not one & two
    assert ResearchExtract.objects.count() == 2


def test_a_person_with_several_cases_is_one_row(world, analyst):
    cohort = consenting_cohort(world, n=5)
    make_case(world, person=cohort[0].person, opened=timezone.now() + dt.timedelta(seconds=1))
    result = research_extract(actor=analyst)
    assert len(result.rows) == 5
    assert len({row["pseudonym"] for row in result.rows}) == 5


def test_no_row_names_a_person_or_a_case(world, analyst):
    cohort = consenting_cohort(world, n=6)
    cohort[0].person.municipality = "=HYPERLINK(1)"
    cohort[0].person.save()
    result = research_extract(actor=analyst)
    text = extract_csv(result)
    assert text.splitlines()[0].startswith("pseudonym,age_band,region,quarter,track")
    assert len(text.splitlines()) == 1 + len(result.rows)
    forbidden: list[str] = []
    for case in cohort:
        person = case.person
        forbidden += [case.reference, str(case.public_id), person.reference, str(person.public_id), person.full_name]
    flat = " ".join(str(value) for row in result.rows for value in row.values())
    for needle in forbidden:
        assert needle not in text and needle not in flat
    assert "\n=" not in text and ",=" not in text  # no spreadsheet formula survives
    for event in AuditEvent.objects.all():
        assert event.case_id == ""
