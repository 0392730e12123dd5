"""API v1 paths of the toolbox and individual plans (included by api/urls.py)."""

from django.urls import URLPattern, path

from .views.measures import MeasureDetailView, MeasureListView
from .views.plans import (
    GoalDetailView,
    GoalListView,
    GoalRatingView,
    ItemDetailView,
    ItemListView,
    PlanApproveView,
    PlanDetailView,
    PlanListView,
    PlanReviewView,
)

P = "cases/<uuid:case_id>/plans/<uuid:plan_id>/"

urlpatterns: list[URLPattern] = [
    path("measures/", MeasureListView.as_view(), name="measure_list"),
    path("measures/<slug:key>/", MeasureDetailView.as_view(), name="measure_detail"),
    path("cases/<uuid:case_id>/plans/", PlanListView.as_view(), name="plan_list"),
    path(P, PlanDetailView.as_view(), name="plan_detail"),
    path(P + "approve/", PlanApproveView.as_view(), name="plan_approve"),
    path(P + "reviews/", PlanReviewView.as_view(), name="plan_review"),
    path(P + "goals/", GoalListView.as_view(), name="plan_goal_list"),
    path(P + "goals/<uuid:goal_id>/", GoalDetailView.as_view(), name="plan_goal_detail"),
    path(P + "goals/<uuid:goal_id>/ratings/", GoalRatingView.as_view(), name="plan_goal_rate"),
    path(P + "items/", ItemListView.as_view(), name="plan_item_list"),
    path(P + "items/<uuid:item_id>/", ItemDetailView.as_view(), name="plan_item_detail"),
]
