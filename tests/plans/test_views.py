"""The toolbox pages and the plan pages: a plan made on the web from start to approval, htmx answers, errors,
printing in bokmål and English, and a constant number of queries on the catalogue."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.plans.helpers import add_item, approved_plan, draft_plan, events_since, fresh, seq
from utvei.audit.models import Action
from utvei.plans import services
from utvei.plans.forms import form_prefix
from utvei.plans.models import Measure, Plan, PlanStatus

HX = {"HTTP_HX_REQUEST": "true"}


def plan_url(plan, suffix=""):
    return f"/cases/{plan.case.public_id}/plans/{plan.public_id}/{suffix}"


# ---- The catalogue -------------------------------------------------------------------------------------


def test_the_catalogue_page_filters_and_explains_evidence_and_counts(world, browse):
    client = browse("ola")
    body = client.get("/measures/").content.decode()
    assert "Nobody knows which exit measures work." in body
    assert "Mentor (professional or lay)" in body and "Restorative mediation" in body
    assert "fewer than 3" in body  # the explanation of suppression
    police = client.get("/measures/", {"sector": "police"}).content.decode()
    assert "Police concern conversation" in police and "Housing" not in police
    returnee = client.get("/measures/", {"track": "returnee"}).content.decode()
    assert "Returnee-child health" in returnee and "Police concern conversation" not in returnee
    assert client.get("/measures/", {"sector": "space"}).status_code == 400


def test_the_catalogue_is_in_bokmal_by_default(world, client_for):
    body = client_for("ola").get("/measures/").content.decode()
    assert "Bekymringssamtale (politiet)" in body and "Gjenopprettende mekling" in body


def test_the_catalogue_shows_suppressed_and_real_counts(world, browse):
    for i in range(3):
        plan = draft_plan(world, world.open_case(name=f"Person {i}"))
        add_item(world, plan, key="housing")
        if i < 2:
            add_item(world, plan, key="debt-counselling")
        plan = fresh(plan)
        services.plan_approve(actor=world.m["kari"], plan=plan, expected_version=plan.version)
    body = browse("atle").get("/measures/").content.decode()
    housing = body.split('id="measure-housing"')[1].split("</li>")[0]
    debt = body.split('id="measure-debt-counselling"')[1].split("</li>")[0]
    assert "In use in 3 current plans" in housing
    assert "In use in fewer than 3 current plans" in debt and "2" not in debt.split("In use")[1][:40]


def test_the_catalogue_makes_a_constant_number_of_queries(world, browse):
    client = browse("kari")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/measures/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(5):
        services.measure_create_local(
            actor=world.m["kari"], name_nb=f"Tiltak {i}", sector="municipality", tracks=["exit"], evidence_nb="Ikke."
        )
    assert count() == few


def test_a_coordinator_adds_and_edits_a_local_measure_on_the_web(world, browse):
    client = browse("kari")
    assert client.get("/measures/new/").status_code == 200
    data = {
        "name_nb": "Jobbklubb",
        "sector": "municipality",
        "tracks": ["exit"],
        "evidence_basis": "practice",
        "evidence_nb": "Ikke evaluert.",
    }
    response = client.post("/measures/new/", data)
    assert response.status_code == 302
    measure = Measure.objects.get(owner_org=world.orgs["kommune"])
    assert response["Location"] == f"/measures/{measure.key}/"
    page = client.get(response["Location"]).content.decode()
    assert "Jobbklubb" in page and "Local: Testby kommune" in page and "Edit the local measure" in page
    edit = {**data, "name_nb": "Jobbklubben", "version": 1, "active": "on"}
    assert client.post(f"/measures/{measure.key}/edit/", edit).status_code == 302
    assert client.post(f"/measures/{measure.key}/edit/", edit).status_code == 409  # stale version
    assert client.post("/measures/new/", {**data, "evidence_nb": ""}).status_code == 400
    assert browse("ola").get("/measures/new/").status_code == 403
    assert browse("atle").get(f"/measures/{measure.key}/edit/").status_code == 403
    assert browse("kari").get("/measures/mentor/edit/").status_code == 403
    assert browse("kari").get("/measures/no-such-measure/").status_code == 404


# ---- A plan on the web ---------------------------------------------------------------------------------


def test_a_plan_is_made_on_the_web_from_start_to_approval(pw, browse):
    kari = browse("kari")
    case_url = f"/cases/{pw.case.public_id}/"
    assert "Start the plan" in kari.get(case_url).content.decode()
    response = kari.post(f"/cases/{pw.case.public_id}/plans/")
    plan = Plan.objects.get(case=pw.case)
    assert response.status_code == 302 and response["Location"] == plan_url(plan)
    page = kari.get(plan_url(plan)).content.decode()
    assert "Individual plan, version 1" in page and "Add at least one goal" in page

    # A goal through htmx: the answer is the plan's body, with the goal in it.
    r = kari.post(plan_url(plan, "goals/"), {"goal-new-text": "Jeg vil ha en venn", "goal-new-domain": "network"}, **HX)
    assert r.status_code == 200 and 'id="plan-body"' in r.content.decode() and "<html" not in r.content.decode()
    assert "Jeg vil ha en venn" in r.content.decode() and "The goal is added." in r.content.decode()
    goal = plan.goals.get()
    # A missing domain is a 400 with the form's error.
    r = kari.post(plan_url(plan, "goals/"), {"goal-new-text": "Noe"}, **HX)
    assert r.status_code == 400 and "This field is required." in r.content.decode()

    # A measure, for mona the mentor.
    r = kari.post(
        plan_url(plan, "items/"),
        {
            "item-new-measure": "mentor",
            "item-new-goal": goal.public_id.hex,
            "item-new-responsible_user": "mona",
            "item-new-status": "planned",
            "item-new-start_on": "2026-02-01",
            "item-new-end_on": "2026-01-01",
        },
        **HX,
    )
    assert r.status_code == 400 and "The end cannot be before the start." in r.content.decode()
    data = {
        "item-new-measure": "mentor",
        "item-new-goal": goal.public_id.hex,
        "item-new-responsible_user": "mona",
        "item-new-status": "planned",
    }
    assert kari.post(plan_url(plan, "items/"), data).status_code == 302
    item = plan.items.get()
    assert item.responsible_user == pw.m["mona"].user and item.responsible_org == pw.m["mona"].organisation

    # Approval waits for the participation record.
    plan = fresh(plan)
    r = kari.post(plan_url(plan, "approve/"), {"approve-version": plan.version})
    assert r.status_code == 400 and "took part" in r.content.decode()
    fields = {"plan-version": plan.version, "plan-participation": "person", "plan-classification": "participant"}
    assert kari.post(plan_url(plan, "edit/"), fields).status_code == 302
    plan = fresh(plan)
    stale = plan.version - 1
    assert kari.post(plan_url(plan, "approve/"), {"approve-version": stale}).status_code == 409
    page = kari.get(plan_url(plan)).content.decode()
    approve = re.search(r'<form[^>]*action="[^"]*/approve/"[^>]*>', page)
    assert approve is not None and "hx-post" not in approve.group(0)  # a whole page: its head changes too
    r = kari.post(plan_url(plan, "approve/"), {"approve-version": plan.version}, follow=True)
    assert r.redirect_chain and fresh(plan).status == PlanStatus.APPROVED
    head = r.content.decode().split('id="plan-body"')[0]
    assert "This is a draft" not in head and "badge-plan-approved" in head, head[-1500:]

    # Rating and review on the approved plan; the mentor updates their item.
    prefix = form_prefix("rate", goal)
    r = kari.post(plan_url(plan, f"goals/{goal.public_id}/ratings/"), {f"{prefix}-rating": "-1"}, **HX)
    assert r.status_code == 200 and "−1 Somewhat less than expected" in r.content.decode()
    assert kari.post(plan_url(plan, "review/"), {"review-note": "Bra"}).status_code == 302
    status = form_prefix("status", item)
    item.refresh_from_db()
    mona_page = browse("mona").get(plan_url(plan)).content.decode()
    assert f'name="{status}-version" value="{item.version}"' in mona_page  # the status form carries its version
    url = plan_url(plan, f"items/{item.public_id}/status/")
    r = browse("mona").post(url, {f"{status}-status": "ongoing"}, **HX)
    assert r.status_code == 400  # without the version it saw: refused, nothing overwritten
    r = browse("mona").post(url, {f"{status}-status": "ongoing", f"{status}-version": item.version}, **HX)
    assert r.status_code == 200 and "Ongoing" in r.content.decode()
    assert "Start a new version" in kari.get(plan_url(plan)).content.decode()


def test_a_goal_edit_conflict_keeps_the_text_and_names_the_problem(pw, browse):
    plan = draft_plan(pw.world, pw.case)
    goal = plan.goals.get()
    services.goal_update(
        actor=pw.m["ola"], goal=goal, expected_version=1, text="Ola sin", domain="work", target_date=None
    )
    p = form_prefix("goal", goal)
    r = browse("kari").post(
        plan_url(plan, f"goals/{goal.public_id}/"),
        {f"{p}-text": "Kari sin tekst", f"{p}-domain": "work", f"{p}-version": 1},
        **HX,
    )
    body = r.content.decode()
    assert r.status_code == 409 and "Kari sin tekst" in body and "Someone else saved this goal" in body
    assert f'name="{p}-version" value="2"' in body


def test_removing_goals_and_items_from_a_draft(pw, browse):
    plan = draft_plan(pw.world, pw.case)
    item = add_item(pw.world, plan)
    kari = browse("kari")
    goal = plan.goals.get()
    assert kari.post(plan_url(plan, f"items/{item.public_id}/remove/")).status_code == 400  # which version?
    stale = kari.post(plan_url(plan, f"items/{item.public_id}/remove/"), {"version": item.version + 1})
    assert stale.status_code == 409 and "Look at it again before you remove it" in stale.content.decode()
    assert plan.items.exists()
    assert kari.post(plan_url(plan, f"items/{item.public_id}/remove/"), {"version": item.version}).status_code == 302
    assert kari.post(plan_url(plan, f"goals/{goal.public_id}/remove/"), {"version": goal.version}).status_code == 302
    assert not plan.goals.exists() and not plan.items.exists()
    assert kari.get(plan_url(plan, f"goals/{item.public_id}/remove/")).status_code == 405


def test_the_printable_plan_in_bokmal_and_english(pw, browse):
    plan = draft_plan(pw.world, pw.case, goals=("Få meg jobb",))
    add_item(pw.world, plan, key="housing")
    plan = fresh(plan)
    services.plan_approve(actor=pw.m["kari"], plan=plan, expected_version=plan.version)
    client = browse("kari")
    start = seq()
    en = client.get(plan_url(plan, "print/"), {"lang": "en"})
    nb = client.get(plan_url(plan, "print/"), {"lang": "nb"})
    assert en["Content-Language"] == "en" and nb["Content-Language"] == "nb"
    en_body, nb_body = en.content.decode(), nb.content.decode()
    assert '<html lang="en">' in en_body and "Housing" in en_body and "«Få meg jobb»" in en_body
    assert '<html lang="nb">' in nb_body and "Bolig" in nb_body
    assert "Petter Plansen" in en_body  # kari's header scope includes the person
    assert "plan-print.css" in en_body
    assert [e.action for e in events_since(start)] == [Action.PLAN_PRINT, Action.PLAN_PRINT]
    assert client.get(plan_url(plan, "print/"), {"lang": "de"}).status_code == 400


def test_a_draft_or_superseded_version_says_so(pw, browse):
    v1 = approved_plan(pw.world, pw.case)
    v2 = services.plan_create(actor=pw.m["kari"], case=pw.case)
    kari = browse("kari")
    assert "This is a draft." in kari.get(plan_url(v2)).content.decode()
    assert f"Open the draft (version {v2.number})" in kari.get(plan_url(v1)).content.decode()
    assert "A draft of version 2 is being prepared." in kari.get(f"/cases/{pw.case.public_id}/").content.decode()
    v2 = fresh(v2)
    services.plan_update(actor=pw.m["kari"], plan=v2, expected_version=v2.version, participation="person")
    v2 = fresh(v2)
    services.plan_approve(actor=pw.m["kari"], plan=v2, expected_version=v2.version)
    body = kari.get(plan_url(v1)).content.decode()
    assert "This version has been replaced by a newer one." in body and "All versions of the plan" in body


def test_writes_on_the_web_are_refused_for_readers_who_may_not_write(pw, browse):
    plan = approved_plan(pw.world, pw.case)
    goal = plan.goals.get()
    prefix = form_prefix("rate", goal)
    r = browse("mona").post(plan_url(plan, f"goals/{goal.public_id}/ratings/"), {f"{prefix}-rating": "1"})
    assert r.status_code == 403
    assert browse("atle").post(plan_url(plan, "review/"), {}).status_code == 404
    assert browse("mona").post(f"/cases/{pw.case.public_id}/plans/").status_code == 403


def test_the_plan_page_and_the_case_page_make_a_constant_number_of_queries(pw, browse):
    world = pw.world

    def case_with_plan(n: int):
        case = world.open_case(name=f"Person med {n} mål")
        for username in ("ola", "nils"):
            world.add(case, username)
        plan = draft_plan(world, case, goals=tuple(f"Mål {i}" for i in range(n)))
        for goal in plan.goals.all():
            add_item(world, plan, user="nils", goal=goal)
            services.goal_rate(actor=world.m["kari"], goal=goal, rating=0)
        plan = fresh(plan)
        services.plan_approve(actor=world.m["kari"], plan=plan, expected_version=plan.version)
        return case, fresh(plan)

    client = browse("ola")

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small_case, small_plan = case_with_plan(1)
    big_case, big_plan = case_with_plan(5)
    assert count(plan_url(small_plan)) == count(plan_url(big_plan))
    assert count(f"/cases/{small_case.public_id}/") == count(f"/cases/{big_case.public_id}/")
