"""Pages for concerns, intake, cases, the timeline and tasks (names and paths: docs/urls.md)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("concerns/new/", views.concern_new, name="concern_new"),
    path("concerns/mine/", views.concern_mine, name="concern_mine"),
    path("concerns/<uuid:concern_id>/receipt/", views.concern_receipt, name="concern_receipt"),
    path("intake/", views.intake, name="intake"),
    path("concerns/<uuid:concern_id>/answer/", views.concern_answer, name="concern_answer"),
    path("intake/<uuid:concern_id>/", views.concern_triage, name="concern_triage"),
    path("intake/<uuid:concern_id>/take/", views.concern_take, name="concern_take"),
    path("intake/<uuid:concern_id>/ask/<slug:org_slug>/", views.concern_parallel_ask, name="concern_parallel_ask"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<uuid:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<uuid:case_id>/edit/", views.case_edit, name="case_edit"),
    path("cases/<uuid:case_id>/history/", views.case_history, name="case_history"),
    path("cases/<uuid:case_id>/person/edit/", views.person_edit, name="person_edit"),
    path("cases/<uuid:case_id>/export/", views.case_export, name="case_export"),
    path("cases/<uuid:case_id>/phase/", views.case_phase, name="case_phase"),
    path("cases/<uuid:case_id>/track/", views.case_track, name="case_track"),
    path("cases/<uuid:case_id>/close/", views.case_close, name="case_close"),
    path("cases/<uuid:case_id>/reopen/", views.case_reopen, name="case_reopen"),
    path("cases/<uuid:case_id>/ask/<slug:org_slug>/", views.case_parallel_ask, name="case_parallel_ask"),
    path("cases/<uuid:case_id>/inquiries/<uuid:inquiry_id>/handled/", views.parallel_handled, name="parallel_handled"),
    path("cases/<uuid:case_id>/protection/", views.case_protection, name="case_protection"),
    path("cases/<uuid:case_id>/protection/readers/", views.identity_reader_name, name="identity_reader_name"),
    path(
        "cases/<uuid:case_id>/protection/readers/<int:member_id>/remove/",
        views.identity_reader_remove,
        name="identity_reader_remove",
    ),
    path("cases/<uuid:case_id>/participant/", views.case_participant, name="case_participant"),
    path(
        "cases/<uuid:case_id>/participant/<uuid:account_id>/end/",
        views.case_participant_end,
        name="case_participant_end",
    ),
    path("cases/<uuid:case_id>/team/", views.team_add, name="team_add"),
    path("cases/<uuid:case_id>/team/<int:member_id>/end/", views.team_end, name="team_end"),
    path("cases/<uuid:case_id>/entries/new/", views.entry_new, name="entry_new"),
    path("cases/<uuid:case_id>/entries/<uuid:entry_id>/", views.entry_detail, name="entry_detail"),
    path("cases/<uuid:case_id>/entries/<uuid:entry_id>/edit/", views.entry_edit, name="entry_edit"),
    path(
        "cases/<uuid:case_id>/entries/<uuid:entry_id>/attachments/",
        views.entry_attachment_add,
        name="entry_attachment_add",
    ),
    path("attachments/<uuid:attachment_id>/", views.attachment_download, name="attachment_download"),
    path("cases/<uuid:case_id>/tasks/", views.task_new, name="task_new"),
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("tasks/<uuid:task_id>/status/", views.task_status, name="task_status"),
]
