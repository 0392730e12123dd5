"""Shared support for browser tests: Chromium through Playwright, axe-core, logging in with TOTP, screenshots.

Registered for the whole suite by `pytest_plugins` in tests/conftest.py, so any test module can ask for the
`page` or `browser_page` fixtures. Every browser test module marks itself with `pytest.mark.browser`.

Nothing here downloads a browser: Playwright drives Debian's Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from playwright import sync_api  # pinned in requirements.lock: a machine without it fails, never skips

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ENGLISH = "en-GB"
NORWEGIAN = "nb-NO"


# ---- Browser and pages ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module; each test gets fresh contexts (cookies, storage) from it."""

    with pytest.MonkeyPatch.context() as mp:
        # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls stay synchronous.
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_api.sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            yield chromium
            chromium.close()


@dataclass
class PageProblems:
    """What went wrong behind the scenes while a page was open: server errors and uncaught script errors."""

    server_errors: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)


@pytest.fixture
def browser_page(browser: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """A factory: `browser_page(locale="en-GB", width=1280)` opens a page in a new, separate browser context.

    Each context is a separate person at a separate computer (own cookies). When the test ends, every page is
    checked for 5xx answers and uncaught JavaScript errors, which fail the test even if no assertion noticed.
    """
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    opened: list[tuple[Any, PageProblems]] = []

    def make(locale: str = ENGLISH, width: int = 1280, height: int = 900) -> Any:
        context = browser.new_context(locale=locale, viewport={"width": width, "height": height})
        pg = context.new_page()
        problems = PageProblems()

        def on_response(response: Any) -> None:
            if response.status >= 500:
                problems.server_errors.append(f"{response.status} {response.request.method} {response.url}")

        pg.on("response", on_response)
        pg.on("pageerror", lambda exc: problems.script_errors.append(str(exc)))
        opened.append((context, problems))
        return pg

    yield make
    found = []
    for context, problems in opened:
        found += problems.server_errors + problems.script_errors
        context.close()
    if found:
        pytest.fail("Problems behind the pages: " + "; ".join(found))


@pytest.fixture
def page(browser_page: Callable[..., Any]) -> Any:
    """A page in English (en-GB), for tests that find elements by their visible text."""
    return browser_page()


# ---- axe-core ------------------------------------------------------------------------------------------


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, with the elements they concern."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for v in results.response["violations"]:
        if v["impact"] in {"serious", "critical"}:
            targets = ", ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:3])
            found.append(f"{v['id']} ({v['impact']}): {v['help']} [{targets}]")
    return found


class A11yLog:
    """Runs axe on each named page and screenshots it, and reports all pages with violations at once.

    Gathering instead of stopping at the first page keeps the walkthrough going, so one run shows every page
    that needs fixing; `assert_clean()` at the end fails with the full list.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.violations: dict[str, list[str]] = {}
        self.checked: list[str] = []

    def check(self, page: Any, name: str) -> None:
        screenshot(page, f"{self.prefix}-{len(self.checked) + 1:02d}-{name}")
        self.checked.append(name)
        found = serious_violations(page)
        if found:
            self.violations[name] = found

    def assert_clean(self) -> None:
        assert self.checked, "no page was checked"
        assert self.violations == {}, f"axe found serious or critical violations on: {self.violations}"


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# ---- Logging in ----------------------------------------------------------------------------------------


def code_for(secret: str) -> str:
    """The current TOTP code; waits for the next period when this one is about to run out."""
    period = mfa_settings.TOTP_PERIOD
    if period - time.time() % period < 3:
        time.sleep(3)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def give_totp(user: Any) -> str:
    """Set up an authenticator app for the user, as they would on first login; returns its secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def log_in(page: Any, base: str, username: str, secret: str | None = None, *, check: bool = True) -> None:
    """Log in through the login page, then the code page when a TOTP secret is given.

    Finds fields by name and submits with Enter, so it works in any language. With `check`, asserts that the
    user ends up logged in, outside the account pages.
    """
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    if secret is not None:
        assert "/accounts/2fa/authenticate/" in page.url, f"expected the code page after login, got {page.url}"
        page.locator("input[name=code]").fill(code_for(secret))
        page.locator("input[name=code]").press("Enter")
        page.wait_for_url(lambda url: "/accounts/2fa/authenticate/" not in url)
    if check:
        assert "/accounts/" not in page.url, f"{username} is not logged in: still on {page.url}"
