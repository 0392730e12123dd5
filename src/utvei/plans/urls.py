"""Pages of the plans app: the toolbox (measure catalogue) and individual plans (names and paths: docs/urls.md)."""

from django.urls import URLPattern, path

from . import views, views_plan

P = "cases/<uuid:case_id>/plans/<uuid:plan_id>/"

urlpatterns: list[URLPattern] = [
    path("measures/", views.measure_list, name="measure_list"),
    path("measures/new/", views.measure_new, name="measure_new"),
    path("measures/<slug:key>/", views.measure_detail, name="measure_detail"),
    path("measures/<slug:key>/edit/", views.measure_edit, name="measure_edit"),
    path("cases/<uuid:case_id>/plans/", views_plan.plan_new, name="plan_new"),
    path(P, views_plan.plan_detail, name="plan_detail"),
    path(P + "edit/", views_plan.plan_edit, name="plan_edit"),
    path(P + "approve/", views_plan.plan_approve, name="plan_approve"),
    path(P + "review/", views_plan.plan_review, name="plan_review"),
    path(P + "print/", views_plan.plan_print, name="plan_print"),
    path(P + "goals/", views_plan.goal_add, name="plan_goal_add"),
    path(P + "goals/<uuid:goal_id>/", views_plan.goal_edit, name="plan_goal_edit"),
    path(P + "goals/<uuid:goal_id>/remove/", views_plan.goal_remove, name="plan_goal_remove"),
    path(P + "goals/<uuid:goal_id>/ratings/", views_plan.goal_rate, name="plan_goal_rate"),
    path(P + "items/", views_plan.item_add, name="plan_item_add"),
    path(P + "items/<uuid:item_id>/", views_plan.item_edit, name="plan_item_edit"),
    path(P + "items/<uuid:item_id>/status/", views_plan.item_status, name="plan_item_status"),
    path(P + "items/<uuid:item_id>/remove/", views_plan.item_remove, name="plan_item_remove"),
]
