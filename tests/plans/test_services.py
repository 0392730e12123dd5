"""Writes to plans: the lifecycle (draft, approval, versions), goals and ratings, items, reviews, locking, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.plans.helpers import (
    GOAL_TEXT,
    add_item,
    approved_plan,
    draft_plan,
    events_since,
    fresh,
    measure,
    seq,
    to_planning,
)
from utvei.audit.models import Action
from utvei.cases import services as case_services
from utvei.cases.models import Phase
from utvei.core.dates import add_months
from utvei.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, UtveiError
from utvei.plans import services
from utvei.plans.models import Goal, GoalRating, ItemStatus, Plan, PlanItem, PlanStatus
from utvei.plans.services import NotDraft


def test_a_first_plan_is_an_empty_draft_of_version_1(pw):
    plan = services.plan_create(actor=pw.m["ola"], case=pw.case)
    assert (plan.number, plan.status, plan.classification) == (1, PlanStatus.DRAFT, "participant")
    assert plan.author_org == pw.m["ola"].organisation and not plan.goals.exists()
    with pytest.raises(Conflict):
        services.plan_create(actor=pw.m["kari"], case=pw.case)  # one draft at a time


def test_approval_needs_a_goal_and_the_persons_participation(pw):
    kari = pw.m["kari"]
    plan = services.plan_create(actor=kari, case=pw.case)
    with pytest.raises(UtveiError) as exc:
        services.plan_approve(actor=kari, plan=plan, expected_version=plan.version)
    assert exc.value.code == "plan_incomplete"
    services.goal_add(actor=kari, plan=plan, text=GOAL_TEXT, domain="work")
    plan = fresh(plan)
    services.plan_update(actor=kari, plan=plan, expected_version=plan.version, participation="did_not_take_part")
    plan = fresh(plan)
    with pytest.raises(UtveiError) as exc:  # not taking part needs a reason
        services.plan_approve(actor=kari, plan=plan, expected_version=plan.version)
    services.plan_update(actor=kari, plan=plan, expected_version=plan.version, participation_note="Ønsket ikke møte.")
    plan = fresh(plan)
    approved = services.plan_approve(actor=kari, plan=plan, expected_version=plan.version)
    assert approved.status == PlanStatus.APPROVED and approved.approved_by == kari.user
    assert approved.review_due == add_months(timezone.localdate(), 3)


def test_only_a_coordinator_approves(pw):
    plan = draft_plan(pw.world, pw.case, by="ola")
    with pytest.raises(Forbidden):
        services.plan_approve(actor=pw.m["ola"], plan=plan, expected_version=plan.version)
    with pytest.raises(Forbidden):
        services.plan_approve(actor=pw.m["per"], plan=plan, expected_version=plan.version)
    assert services.plan_approve(actor=pw.m["kari"], plan=plan, expected_version=plan.version).is_approved


def test_an_approval_of_a_plan_that_changed_since_it_was_read_is_refused(pw):
    plan = draft_plan(pw.world, pw.case)
    seen = plan.version
    services.goal_add(actor=pw.m["ola"], plan=plan, text="Flytte hjemmefra", domain="housing")
    with pytest.raises(Conflict):
        services.plan_approve(actor=pw.m["kari"], plan=fresh(plan), expected_version=seen)
    assert fresh(plan).status == PlanStatus.DRAFT


def test_a_new_version_copies_goals_ratings_and_items_and_approval_supersedes_the_old(pw):
    world, kari = pw.world, pw.m["kari"]
    v1 = approved_plan(world, pw.case)
    goal = v1.goals.get()
    services.goal_rate(actor=kari, goal=goal, rating=-1, note="Utgangspunkt")
    v2 = services.plan_create(actor=kari, case=pw.case)
    assert (v2.number, v2.based_on_id, v2.status) == (2, v1.pk, PlanStatus.DRAFT)
    copy = v2.goals.get()
    assert copy.text == GOAL_TEXT and copy.origin_id == goal.pk
    assert [r.rating for r in copy.ratings.all()] == [-1] and copy.ratings.get().note == "Utgangspunkt"
    v2 = fresh(v2)
    services.plan_update(actor=kari, plan=v2, expected_version=v2.version, participation="person_and_guardian")
    v2 = fresh(v2)
    services.plan_approve(actor=kari, plan=v2, expected_version=v2.version)
    assert fresh(v1).status == PlanStatus.SUPERSEDED and fresh(v1).superseded_at is not None
    assert Plan.objects.filter(case=pw.case, status=PlanStatus.APPROVED).get().pk == v2.pk
    # The superseded version is kept as approved, unchanged, and takes no more ratings.
    with pytest.raises(NotDraft):
        services.goal_rate(actor=kari, goal=goal, rating=1)


def test_items_are_copied_into_the_new_version(pw):
    world = pw.world
    plan = draft_plan(world, pw.case)
    item = add_item(world, plan, key="housing", by="kari", start_on=dt.date(2026, 1, 1))
    add_item(world, plan, key="mentor", user="mona")
    plan = fresh(plan)
    services.plan_approve(actor=pw.m["kari"], plan=plan, expected_version=plan.version)
    v2 = services.plan_create(actor=pw.m["kari"], case=pw.case)
    copies = list(v2.items.order_by("position"))
    assert [i.measure.key for i in copies] == ["housing", "mentor"]
    assert copies[0].origin_id == item.pk and copies[0].goal.plan_id == v2.pk
    assert copies[1].responsible_user == pw.m["mona"].user


def test_an_approved_plan_changes_only_through_a_new_version(pw):
    plan = approved_plan(pw.world, pw.case)
    kari = pw.m["kari"]
    goal = plan.goals.get()
    with pytest.raises(NotDraft):
        services.goal_add(actor=kari, plan=plan, text="Nytt mål", domain="other")
    with pytest.raises(NotDraft):
        services.goal_update(
            actor=kari, goal=goal, expected_version=goal.version, text="Endret", domain="work", target_date=None
        )
    with pytest.raises(NotDraft):
        services.goal_remove(actor=kari, goal=goal, expected_version=goal.version)
    with pytest.raises(NotDraft):
        services.plan_update(actor=kari, plan=plan, expected_version=plan.version, participation="guardian")
    with pytest.raises(NotDraft):
        add_item(pw.world, plan)


def test_goals_are_edited_with_optimistic_locking(pw):
    plan = draft_plan(pw.world, pw.case)
    goal = plan.goals.get()
    ola, kari = pw.m["ola"], pw.m["kari"]
    services.goal_update(
        actor=ola, goal=goal, expected_version=1, text="Få fast jobb", domain="work", target_date=dt.date(2027, 1, 1)
    )
    with pytest.raises(Conflict) as exc:
        services.goal_update(actor=kari, goal=goal, expected_version=1, text="Annet", domain="work", target_date=None)
    assert exc.value.current.text == "Få fast jobb"
    goal.refresh_from_db()
    assert (goal.text, goal.version, goal.target_date) == ("Få fast jobb", 2, dt.date(2027, 1, 1))


@pytest.mark.parametrize("bad", [3, -3, True, "1"])
def test_ratings_are_whole_numbers_from_minus_two_to_plus_two(pw, bad):
    plan = approved_plan(pw.world, pw.case)
    with pytest.raises(UtveiError):
        services.goal_rate(actor=pw.m["kari"], goal=plan.goals.get(), rating=bad)


def test_ratings_follow_a_goal_over_time_and_cannot_be_dated_ahead(pw):
    plan = approved_plan(pw.world, pw.case)
    goal = plan.goals.get()
    services.goal_rate(actor=pw.m["ola"], goal=goal, rating=-2, rated_on=dt.date(2026, 1, 10))
    services.goal_rate(actor=pw.m["kari"], goal=goal, rating=0, rated_on=dt.date(2026, 4, 10))
    assert list(GoalRating.objects.filter(goal=goal).values_list("rating", flat=True)) == [-2, 0]
    with pytest.raises(UtveiError):
        services.goal_rate(actor=pw.m["kari"], goal=goal, rating=1, rated_on=timezone.localdate() + dt.timedelta(2))


def test_item_rules(pw):
    world = pw.world
    plan = draft_plan(world, pw.case)
    with pytest.raises(UtveiError) as exc:  # nobody responsible
        services.item_add(actor=pw.m["kari"], plan=plan, measure=measure())
    assert exc.value.code == "responsible_required"
    with pytest.raises(UtveiError) as exc:  # atle is not on the team
        add_item(world, plan, user="atle")
    assert exc.value.code == "responsible_not_on_team"
    with pytest.raises(UtveiError) as exc:
        add_item(world, plan, start_on=dt.date(2026, 5, 1), end_on=dt.date(2026, 4, 1))
    assert exc.value.code == "end_before_start"
    other = approved_plan(world, world.open_case(name="Annen Person"))
    with pytest.raises(UtveiError) as exc:
        add_item(world, plan, goal=other.goals.get())
    assert exc.value.code == "goal_not_in_plan"
    retired = measure("housing")
    retired.active = False
    retired.save()
    with pytest.raises(UtveiError) as exc:
        add_item(world, plan, key="housing")
    assert exc.value.code == "measure_inactive"
    item = add_item(world, plan, user="nils")
    assert item.responsible_org == pw.m["nils"].organisation  # from the team membership


def test_the_responsible_mentor_updates_their_own_item_and_nothing_else(pw):
    world = pw.world
    plan = draft_plan(world, pw.case)
    mine = add_item(world, plan, key="mentor", user="mona")
    theirs = add_item(world, plan, key="employment-work-training", user="nils")
    plan = fresh(plan)
    services.plan_approve(actor=pw.m["kari"], plan=plan, expected_version=plan.version)
    plan = fresh(plan)
    mine, theirs = PlanItem.objects.get(pk=mine.pk), PlanItem.objects.get(pk=theirs.pk)
    updated = services.item_set_status(
        actor=pw.m["mona"], item=mine, status=ItemStatus.ONGOING, note="Ukentlige turer", expected_version=mine.version
    )
    assert (updated.status, updated.note) == (ItemStatus.ONGOING, "Ukentlige turer")
    with pytest.raises(Forbidden):
        services.item_set_status(
            actor=pw.m["mona"], item=theirs, status=ItemStatus.DONE, expected_version=theirs.version
        )
    with pytest.raises(Forbidden):  # a mentor does not rate goals or change the plan
        services.goal_rate(actor=pw.m["mona"], goal=plan.goals.get(), rating=1)
    # NAV's caseworker is responsible for their item and may also update others as a writer of the plan.
    done = services.item_set_status(actor=pw.m["nils"], item=theirs, status=ItemStatus.DONE, expected_version=1)
    assert done.status == ItemStatus.DONE


def test_people_without_a_relation_cannot_write_and_learn_nothing(pw):
    plan = draft_plan(pw.world, pw.case)
    for username in ("atle", "dina", "rolf"):
        with pytest.raises(NotFound):
            services.goal_add(actor=pw.m[username], plan=plan, text="x", domain="work")
        with pytest.raises((NotFound, Forbidden)):
            services.plan_create(actor=pw.m[username], case=pw.case)


def test_a_mentor_cannot_start_or_see_a_draft(pw):
    with pytest.raises(Forbidden):
        services.plan_create(actor=pw.m["mona"], case=pw.case)
    plan = draft_plan(pw.world, pw.case)
    with pytest.raises(NotFound):  # drafts do not exist for mentors
        services.goal_add(actor=pw.m["mona"], plan=plan, text="x", domain="work")


def test_a_closed_case_takes_no_plan_changes(pw):
    plan = draft_plan(pw.world, pw.case)
    case_services.case_close(actor=pw.m["kari"], case=pw.case, reason="other", summary="Avsluttet.")
    with pytest.raises(Forbidden):
        services.goal_add(actor=pw.m["kari"], plan=fresh(plan), text="x", domain="work")


def test_a_review_sets_the_next_one_three_months_on(pw):
    plan = approved_plan(pw.world, pw.case)
    review = services.plan_review(actor=pw.m["ola"], plan=plan, reviewed_on=dt.date(2026, 3, 31), note="Går bra")
    assert review.next_review_due == dt.date(2026, 6, 30)
    assert fresh(plan).review_due == dt.date(2026, 6, 30)
    with pytest.raises(UtveiError):
        services.plan_review(actor=pw.m["ola"], plan=fresh(plan), next_review_due=dt.date(2000, 1, 1))
    draft = services.plan_create(actor=pw.m["kari"], case=pw.case)
    with pytest.raises(NotDraft):
        services.plan_review(actor=pw.m["kari"], plan=draft)


def test_removing_a_goal_keeps_its_items_unlinked(pw):
    plan = draft_plan(pw.world, pw.case)
    goal = plan.goals.get()
    item = add_item(pw.world, plan, goal=goal)
    services.goal_remove(actor=pw.m["kari"], goal=goal, expected_version=goal.version)
    assert not Goal.objects.filter(pk=goal.pk).exists()
    assert PlanItem.objects.get(pk=item.pk).goal is None


def test_every_write_is_audited_without_content(pw):
    start = seq()
    plan = approved_plan(pw.world, pw.case)
    goal = plan.goals.get()
    services.goal_rate(actor=pw.m["kari"], goal=goal, rating=1, note="HEMMELIG-NOTAT")
    actions = [e.action for e in events_since(start)]
    assert actions == [
        Action.PLAN_CREATE,
        Action.PLAN_GOAL_ADD,
        Action.PLAN_UPDATE,
        Action.PLAN_APPROVE,
        Action.PLAN_GOAL_RATE,
    ]
    for e in events_since(start):
        row = " ".join(str(v) for v in (e.object_type, e.object_id, e.reason, e.case_id))
        assert "HEMMELIG" not in row and "jobb" not in row and "person" not in row
        assert e.case_id == str(pw.case.public_id)


def test_activation_needs_an_approved_plan(pw):
    kari = pw.m["kari"]
    case = to_planning(pw.world, pw.case)
    draft_plan(pw.world, case)
    with pytest.raises(InvalidTransition) as exc:
        case_services.case_transition(actor=kari, case=case, to_phase=Phase.ACTIVE)
    assert "plan" in str(exc.value).lower()
    plan = Plan.objects.get(case=case)
    services.plan_approve(actor=kari, plan=fresh(plan), expected_version=plan.version)
    case.refresh_from_db()
    assert case_services.case_transition(actor=kari, case=case, to_phase=Phase.ACTIVE).phase == Phase.ACTIVE


@pytest.mark.parametrize("what", ["goal", "item", "plan"])
def test_a_stale_plan_write_is_refused_and_its_attempt_stays_on_the_audit_log(pw, what):
    """Issue 11: the conflict event used to be written inside the transaction that then rolled back."""
    from utvei.audit.models import AuditEvent

    plan = draft_plan(pw.world, pw.case)
    goal = plan.goals.get()
    item = add_item(pw.world, plan)
    ola, kari = pw.m["ola"], pw.m["kari"]
    if what == "goal":
        services.goal_update(actor=ola, goal=goal, expected_version=1, text="Ola", domain="work", target_date=None)
        stale = lambda: services.goal_update(  # noqa: E731
            actor=kari, goal=goal, expected_version=1, text="Kari", domain="work", target_date=None
        )
        target = goal
    elif what == "item":
        services.item_set_status(actor=ola, item=item, status=ItemStatus.ONGOING, expected_version=item.version)
        stale = lambda: services.item_set_status(  # noqa: E731
            actor=kari, item=item, status=ItemStatus.ONGOING, expected_version=item.version, note="Kari"
        )
        target = item
    else:
        plan = Plan.objects.get(pk=plan.pk)
        services.plan_update(actor=ola, plan=plan, expected_version=plan.version, participation_note="Ola")
        stale = lambda: services.plan_update(  # noqa: E731
            actor=kari, plan=plan, expected_version=plan.version, participation_note="Kari"
        )
        target = plan
    before = AuditEvent.objects.order_by("-seq").first().seq
    with pytest.raises(Conflict):
        stale()
    events = list(AuditEvent.objects.filter(seq__gt=before))
    assert [(e.action, e.actor_id, e.object_id, e.case_id) for e in events] == [
        (Action.PLAN_CONFLICT, kari.user_id, str(target.public_id), str(pw.case.public_id))
    ]
