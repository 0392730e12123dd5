"""A restricted case (sperret): in no list, search, dashboard or export for anyone; 404 on every page and in the API
for everyone but the case lead who opened it for a stated reason (read-only), and the DPO who reads it on its
retention page; every such read audited with the reason."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from utvei.audit.models import Action, AuditEvent
from utvei.cases.models import Case, RetentionState
from utvei.core.errors import UtveiError
from utvei.retention import services
from utvei.retention.models import RestrictedRead
from utvei.sharing.emergency.services import emergency_open
from utvei.sharing.models import EmergencyAccess

SECRET = "Samtale om jobb"


@pytest.fixture
def restricted(world: Any, closed_case: Any) -> Case:
    """kari leads it (coordinator of the owning municipality), ola is on the team; restricted on request."""
    case = closed_case(name="Sperret Person")
    services.restriction_request(actor=world.m["dina"], case=case, reason="Personen bestrider riktigheten")
    case.refresh_from_db()
    assert case.retention_state == RetentionState.RESTRICTED and case.lead_id == world.m["kari"].user_id
    return case


def _pages(case: Case, entry: Any) -> list[str]:
    c = case.public_id
    return [
        f"/cases/{c}/",
        f"/cases/{c}/history/",
        f"/cases/{c}/export/",
        f"/cases/{c}/entries/{entry.public_id}/",
        f"/api/v1/cases/{c}/",
        f"/api/v1/cases/{c}/entries/",
        f"/api/v1/cases/{c}/team/",
        f"/api/v1/cases/{c}/export/",
    ]


def _get(world: Any, browse: Any, who: str, url: str) -> Any:
    client = world.api(who) if url.startswith("/api/") else browse(who)
    return client.get(url)


@pytest.mark.parametrize("who", ["kari", "ola", "kjell", "dina", "per", "atle"])
def test_before_anyone_opens_it_every_page_and_endpoint_is_404_for_everyone(
    world: Any, browse: Any, restricted: Case, who: str
) -> None:
    entry = restricted.entries.get()
    for url in _pages(restricted, entry):
        response = _get(world, browse, who, url)
        assert response.status_code in (404, 403), url  # 403 only for a role without case content
        assert SECRET not in response.content.decode(), url


@pytest.mark.parametrize("who", ["kari", "ola", "kjell"])
def test_the_case_is_in_no_list_search_dashboard_or_task_list(
    world: Any, browse: Any, closed_case: Any, restricted: Case, who: str
) -> None:
    control = str(closed_case(name="Ikke Sperret").public_id)  # closed too, not restricted: listed
    ref, pid = restricted.reference, str(restricted.public_id)
    listing = browse(who).get("/cases/?closed=on").content.decode()
    assert control in listing and pid not in listing
    for url in (f"/cases/?q={ref}", "/", "/tasks/"):
        assert pid not in browse(who).get(url).content.decode(), url  # no row links to it (the query echoes ref)
    api = world.api(who)
    listed = api.get("/api/v1/cases/?closed=true")
    assert listed.status_code == 200 and control in listed.content.decode() and pid not in listed.content.decode()
    found = api.post("/api/v1/cases/search/", {"q": ref}, content_type="application/json")
    assert found.status_code == 200 and found.json()["results"] == []


def test_the_lead_opens_it_for_a_reason_and_reads_it_read_only_each_read_audited(
    world: Any, browse: Any, restricted: Case
) -> None:
    kari = browse("kari")
    page = kari.get(f"/retention/cases/{restricted.public_id}/")
    assert page.status_code == 200 and "Open for this reason" in page.content.decode()
    opened = kari.post(
        f"/retention/cases/{restricted.public_id}/open/",
        {"reason_code": "legal_claim", "reason": "Personen har varslet søksmål"},
    )
    assert opened.status_code == 302 and opened["Location"] == f"/cases/{restricted.public_id}/"
    shown = kari.get(f"/cases/{restricted.public_id}/").content.decode()
    assert "Sperret" in shown and "Personen bestrider riktigheten" in shown and SECRET in shown
    api = world.api("kari")
    assert api.get(f"/api/v1/cases/{restricted.public_id}/").status_code == 200
    assert SECRET in api.get(f"/api/v1/cases/{restricted.public_id}/entries/").content.decode()
    reads = AuditEvent.objects.filter(case_id=str(restricted.public_id), action=Action.CASE_VIEW)
    assert reads.count() >= 2 and all(e.reason.startswith("restricted;legal_claim") for e in reads)
    # Read-only: no entry, no export, no change of phase.
    new = kari.post(f"/cases/{restricted.public_id}/entries/new/", {"kind": "note", "body": "x"})
    assert new.status_code in (403, 404)
    assert api.get(f"/api/v1/cases/{restricted.public_id}/export/").status_code in (403, 404)
    # The rest of the team still finds nothing, nor does the case show in kari's lists.
    assert browse("ola").get(f"/cases/{restricted.public_id}/").status_code == 404
    assert f'href="/cases/{restricted.public_id}/"' not in kari.get("/cases/?closed=on").content.decode()


def test_the_opening_expires(world: Any, browse: Any, restricted: Case) -> None:
    services.restricted_open(actor=world.m["kari"], case=restricted, reason_code="other", reason="Kontroll")
    assert browse("kari").get(f"/cases/{restricted.public_id}/").status_code == 200
    RestrictedRead.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert browse("kari").get(f"/cases/{restricted.public_id}/").status_code == 404


def test_the_dpo_reads_it_on_its_retention_page_after_stating_a_reason(
    world: Any, browse: Any, restricted: Case
) -> None:
    dina = browse("dina")
    url = f"/retention/cases/{restricted.public_id}/"
    assert SECRET not in dina.get(url).content.decode()
    opened = dina.post(f"{url}open/", {"reason_code": "subject_request", "reason": "Innsynskrav"})
    assert opened.status_code == 302 and opened["Location"] == url
    assert SECRET in dina.get(url).content.decode()
    read = AuditEvent.objects.filter(case_id=str(restricted.public_id), action=Action.ENTRY_LIST).last()
    assert read is not None and read.reason == "restricted;subject_request" and read.actor_id == world.m["dina"].user_id
    assert dina.get(f"/cases/{restricted.public_id}/").status_code in (403, 404)  # never the case pages


@pytest.mark.parametrize("who", ["ola", "kjell", "per", "dora", "atle"])
def test_nobody_else_may_open_it(world: Any, browse: Any, restricted: Case, who: str) -> None:
    response = browse(who).post(
        f"/retention/cases/{restricted.public_id}/open/", {"reason_code": "other", "reason": "Nysgjerrig"}
    )
    assert response.status_code == 404
    assert not RestrictedRead.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("dina", 200), ("kari", 200), ("kjell", 200), ("ola", 404), ("dora", 404)])
def test_the_retention_page_is_for_the_dpo_the_lead_and_the_owners_coordinators(
    world: Any, browse: Any, restricted: Case, who: str, status: int
) -> None:
    response = browse(who).get(f"/retention/cases/{restricted.public_id}/")
    assert response.status_code == status
    assert SECRET not in response.content.decode()


def test_lifting_the_restriction_brings_the_case_back(world: Any, browse: Any, restricted: Case) -> None:
    services.restriction_lift(actor=world.m["kari"], case=restricted, reason="Opplysningene er rettet")
    assert browse("ola").get(f"/cases/{restricted.public_id}/").status_code == 200
    assert AuditEvent.objects.filter(action=Action.RETENTION_UNRESTRICT).count() == 1


def test_emergency_access_does_not_open_a_restricted_case(world: Any, restricted: Case) -> None:
    with pytest.raises(UtveiError) as refused:
        emergency_open(
            actor=world.m["arne"],
            case_reference=restricted.reference,
            reason_code="life_health",
            reason_text="Akutt",
        )
    assert refused.value.code == "no_match" and not EmergencyAccess.objects.exists()


def _case_routes() -> list[str]:
    """Every page and endpoint whose one argument is a case (`<uuid:case_id>`), through every include."""
    found: list[str] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                walk(p, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if re.findall(r"<(?:\w+:)?(\w+)>", route) == ["case_id"] and "(?P" not in route:
                    found.append("/" + route)

    walk(get_resolver(), "")
    return found


@pytest.mark.parametrize("who", ["kari", "ola", "kjell"])
def test_every_route_of_a_case_is_404_while_it_is_restricted(
    world: Any, browse: Any, restricted: Case, who: str
) -> None:
    routes = _case_routes()
    assert len(routes) > 30  # the case page, its parts, and their API
    api, web = world.api(who), browse(who)
    for route in routes:
        url = route.replace("<uuid:case_id>", str(restricted.public_id))
        response = (api if url.startswith("/api/") else web).get(url)
        assert response.status_code in (404, 405), (url, response.status_code)
        assert SECRET not in response.content.decode(), url
