"""No audit event holds a person's name, identity number or anything written about them."""

from __future__ import annotations

import contextlib
import datetime as dt

from django.test import Client

from tests.conftest import PASSWORD
from utvei.audit.models import AuditEvent
from utvei.audit.services import audit_verify
from utvei.cases import selectors, services
from utvei.cases.models import EntryKind
from utvei.core.errors import NotFound
from utvei.core.vocabulary import Classification
from utvei.people.services import person_find_or_create

NAME = "Kåre Hemmeligsen"
NIN = "01019912345"
ENTRY_BODY = "Fortalte om ny kjæreste utenfor miljøet"
ENTRY_TITLE = "Samtale om nettverket"
CONCERN = "Eleven har sagt at han vil reise ut for å slutte seg til en gruppe"
TASK = "Ring moren om skolegangen"
SECRETS = [NAME, "Kåre", "Hemmeligsen", NIN, ENTRY_BODY, ENTRY_TITLE, CONCERN, TASK, "kjæreste", "reise ut"]
STRING_FIELDS = ["action", "object_type", "object_id", "case_id", "reason", "request_id", "prev_hash", "hash"]


def test_a_full_flow_leaves_no_names_or_content_in_the_log(world, client_for):
    kari, per, rolf = world.m["kari"], world.m["per"], world.m["rolf"]
    # A concern, triaged into a case.
    concern = services.concern_submit(
        actor=rolf,
        receiving_org=world.orgs["kommune"],
        description=CONCERN,
        subject_name=NAME,
        subject_national_id=NIN,
        subject_birth_date=dt.date(1999, 1, 1),
    )
    selectors.concern_get(actor=kari, concern_id=concern.public_id, for_triage=True)
    person, _ = person_find_or_create(actor=kari, full_name=NAME, national_id=NIN)
    case = services.case_open(actor=kari, person=person, track="exit")
    # The team writes and reads.
    world.add(case, "per")
    entry = services.entry_create(
        actor=kari,
        case=case,
        kind=EntryKind.CONVERSATION,
        classification=Classification.TEAM,
        body=ENTRY_BODY,
        title=ENTRY_TITLE,
    )
    services.task_create(actor=kari, case=case, title=TASK, assignee=per.user)
    selectors.case_get(actor=per, case_id=case.public_id)
    selectors.entry_get(actor=per, entry_id=entry.public_id)
    selectors.case_list(actor=kari, filters=selectors.CaseFilters(reference=case.reference))
    # Someone outside is refused; people log in, fail to, and log out; the DPO looks.
    with contextlib.suppress(NotFound):
        selectors.case_get(actor=world.m["atle"], case_id=case.public_id)
    c = Client()
    c.post("/accounts/login/", {"login": NAME, "password": NIN})
    c.post("/accounts/login/", {"login": "rolf", "password": PASSWORD})
    c.post("/accounts/logout/")
    dpo = client_for("dina")
    dpo.get("/audit/", {"case": case.reference})
    dpo.get("/audit/", {"case": person.reference})
    b"".join(dpo.get("/audit/export/", {"case": case.reference}).streaming_content)

    events = list(AuditEvent.objects.all())
    assert len(events) >= 15  # the flow's own events (the world is made without any)
    for event in events:
        for f in STRING_FIELDS:
            value = getattr(event, f).lower()
            for secret in SECRETS:
                assert secret.lower() not in value, (event.seq, event.action, f)
    assert audit_verify().ok


def test_the_audit_table_has_no_free_text_column():
    """Content cannot leak into a column that is not there: every text column is short and structured."""
    text = [f for f in AuditEvent._meta.get_fields() if f.get_internal_type() in {"CharField", "TextField"}]
    assert {f.name for f in text} == {*STRING_FIELDS}
    assert all(f.get_internal_type() == "CharField" and f.max_length <= 64 for f in text)
