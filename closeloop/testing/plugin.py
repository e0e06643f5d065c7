"""Test-suite plugin: PostgreSQL-only tests and browser tests (Playwright driving Debian's Chromium).

Tests marked ``postgres`` run only on PostgreSQL; with CLOSELOOP_REQUIRE_POSTGRES=1 (CI) they fail
instead of skipping when the suite runs on another database.

Tests that read PDFs with poppler (``pdffonts``, ``pdftoppm``) take the ``poppler`` fixture: skipped
when poppler-utils is missing, failed instead when CLOSELOOP_REQUIRE_BROWSER=1 (CI installs both).

Tests marked ``browser`` run when a Chromium is found at ``config.env.CHROMIUM_PATH``. Without one,
``make test`` skips them and says so plainly; with CLOSELOOP_REQUIRE_BROWSER=1 (CI) a missing
Chromium fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from config import env as E

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_available() -> bool:
    return Path(E.CHROMIUM_PATH).is_file() and os.access(E.CHROMIUM_PATH, os.X_OK)


def _postgres_in_use() -> bool:
    from django.conf import settings

    return "postgresql" in settings.DATABASES["default"]["ENGINE"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    pg_items = [i for i in items if i.get_closest_marker("postgres")]
    if pg_items and not _postgres_in_use():
        if E.REQUIRE_POSTGRES:
            for item in pg_items:
                item.add_marker(pytest.mark.usefixtures("_postgres_required"))
        else:
            for item in pg_items:
                item.add_marker(
                    pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); runs in .ci/run")
                )
    browser_items = [i for i in items if i.get_closest_marker("browser")]
    if not browser_items or chromium_available():
        return
    if E.REQUIRE_BROWSER:
        for item in browser_items:
            item.add_marker(pytest.mark.usefixtures("_chromium_required"))
        return
    reason = f"no Chromium at {E.CHROMIUM_PATH} (install Debian's 'chromium' to run the browser tests)"
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=reason))


def pytest_report_header(config: pytest.Config) -> str:
    if chromium_available():
        return f"browser tests: Chromium at {E.CHROMIUM_PATH}"
    if E.REQUIRE_BROWSER:
        return f"browser tests: REQUIRED but no Chromium at {E.CHROMIUM_PATH} — they will fail"
    return f"browser tests: SKIPPED — no Chromium at {E.CHROMIUM_PATH}"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if not chromium_available() and not E.REQUIRE_BROWSER:
        terminalreporter.write_line(
            f"NOTE: browser tests were skipped: no Chromium at {E.CHROMIUM_PATH}.", yellow=True
        )


@pytest.fixture
def _postgres_required() -> None:
    pytest.fail("PostgreSQL is required (CLOSELOOP_REQUIRE_POSTGRES) but DATABASE_URL is not PostgreSQL.")


@pytest.fixture
def _chromium_required() -> None:
    pytest.fail(f"Browser tests are required (CLOSELOOP_REQUIRE_BROWSER) but {E.CHROMIUM_PATH} is missing.")


@pytest.fixture(scope="session")
def _playwright_browser() -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are synchronous and safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=E.CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(_playwright_browser: Any, live_server: Any, settings: Any) -> Iterator[Any]:
    """A fresh browser context (zh-CN, Asia/Shanghai) whose base URL is the live server."""
    settings.DEBUG = False
    context = _playwright_browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
    )
    context.set_default_timeout(15000)
    pg = context.new_page()
    yield pg
    context.close()


def login(page: Any, username: str, password: str = "pass12345!") -> None:
    """Sign in through the real login form."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


POPPLER_TOOLS = ("pdffonts", "pdftoppm")


@pytest.fixture
def poppler() -> dict[str, str]:
    """Paths of poppler's ``pdffonts`` and ``pdftoppm``. Missing: the test is skipped with the reason,
    or fails when CLOSELOOP_REQUIRE_BROWSER=1 (CI, where poppler-utils is installed)."""
    found = {tool: shutil.which(tool) for tool in POPPLER_TOOLS}
    missing = [tool for tool, path in found.items() if path is None]
    if missing:
        message = f"poppler-utils not installed ({', '.join(missing)} missing): PDF fonts and pages unchecked"
        if E.REQUIRE_BROWSER:
            pytest.fail(f"{message}; required by CLOSELOOP_REQUIRE_BROWSER.")
        pytest.skip(message)
    return {tool: str(path) for tool, path in found.items()}
