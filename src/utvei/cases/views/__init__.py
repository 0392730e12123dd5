"""The case pages, one module per area; urls.py refers to them as views.<name>."""

from .attachments import attachment_download
from .cases import (
    case_close,
    case_detail,
    case_edit,
    case_list,
    case_parallel_ask,
    case_phase,
    case_reopen,
    case_track,
    parallel_handled,
    team_add,
    team_end,
)
from .concerns import (
    concern_answer,
    concern_mine,
    concern_new,
    concern_parallel_ask,
    concern_receipt,
    concern_take,
    concern_triage,
    intake,
)
from .entries import entry_attachment_add, entry_detail, entry_edit, entry_new
from .export import case_export
from .history import case_history, person_edit
from .participant import case_participant, case_participant_end
from .protection import case_protection, identity_reader_name, identity_reader_remove
from .tasks import my_tasks, task_new, task_status

__all__ = [
    "case_participant",
    "case_participant_end",
    "attachment_download",
    "entry_attachment_add",
    "case_close",
    "case_detail",
    "case_edit",
    "case_export",
    "case_history",
    "person_edit",
    "case_list",
    "case_parallel_ask",
    "case_protection",
    "identity_reader_name",
    "identity_reader_remove",
    "parallel_handled",
    "concern_parallel_ask",
    "case_phase",
    "case_reopen",
    "case_track",
    "concern_answer",
    "concern_mine",
    "concern_new",
    "concern_receipt",
    "concern_take",
    "concern_triage",
    "entry_detail",
    "entry_edit",
    "entry_new",
    "intake",
    "my_tasks",
    "task_new",
    "task_status",
    "team_add",
    "team_end",
]
