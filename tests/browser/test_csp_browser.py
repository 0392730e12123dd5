"""The main pages work in Chromium under the Content-Security-Policy (issue 12, deliverable 4): no violation is
reported on any of them — no inline script or style, nothing from elsewhere — and htmx still swaps sections."""

from __future__ import annotations

import pytest

from tests.browser.support import give_totp, log_in
from utvei.core.vocabulary import Classification

pytestmark = pytest.mark.browser

# Collects every violation the page reports, from the first script on (an init script runs outside the policy).
CATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def test_the_main_pages_report_no_csp_violation(live_server, world, browser_page):
    case = world.open_case()
    world.entry(case, "kari", Classification.TEAM, body="Samtale med skolen.")
    page = browser_page()
    page.add_init_script(CATCH)
    console: list[str] = []
    # The headers' own complaints too (an unknown Permissions-Policy feature is an error on every page).
    headers = ("Content Security Policy", "Permissions-Policy")
    page.on("console", lambda msg: console.append(msg.text) if any(h in msg.text for h in headers) else None)
    base = live_server.url
    found: dict[str, list[str]] = {}

    def visit(path: str) -> None:
        response = page.goto(base + path)
        assert response is not None and response.status < 400, path
        assert "script-src 'self'" in (response.headers.get("content-security-policy") or "")
        page.wait_for_load_state("networkidle")
        seen = page.evaluate("window.__csp")
        if seen:
            found[path] = seen

    visit("/api/v1/docs/")  # Swagger, before logging in
    page.wait_for_selector(".swagger-ui .info", timeout=15000)
    log_in(page, base, "kari", give_totp(world.m["kari"].user))
    for path in (
        "/",
        "/cases/",
        f"/cases/{case.public_id}/",
        f"/cases/{case.public_id}/sharing/",
        f"/cases/{case.public_id}/network/",
        "/tasks/",
        "/me/notifications/",
        "/measures/",
        "/legal-bases/",
    ):
        visit(path)
    # htmx under the policy: adding a task swaps the Tasks section in place
    visit(f"/cases/{case.public_id}/")
    page.locator("#tasks summary").click()
    page.locator("#tasks input[name=title]").fill("Ring skolen")
    with page.expect_response(lambda r: "/tasks/" in r.url and r.request.headers.get("hx-request") == "true"):
        page.locator("#task-add-submit").click()
    page.locator("#tasks .task-title", has_text="Ring skolen").wait_for()
    seen = page.evaluate("window.__csp")
    if seen:
        found["htmx task"] = seen
    assert found == {} and console == [], (found, console)
