"""Browser fixtures: one live server and one Chromium per run, a fresh browser context per test.

Every request the browser makes is recorded; a test fails when one leaves 127.0.0.1. A failing test
leaves a screenshot in tests/e2e/artifacts/.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.live import LiveServer, add_user, browser_missing, launch_chromium, log_in, make_live_app

FIXTURES = Path(__file__).parent.parent / "fixtures"
ARTIFACTS = Path(__file__).parent / "artifacts"
_report_key = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    item.stash.setdefault(_report_key, {})[report.when] = report
    return report


def _cannot_run(reason: str) -> None:
    # In CI (QUIZ_REQUIRE_ALL_TESTS=1) a missing browser is a failure, not a quiet skip.
    if os.environ.get("QUIZ_REQUIRE_ALL_TESTS") == "1":
        pytest.fail(f"browser tests required but cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


class Site:
    """The running app, its address and a few accounts."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.app = server.app
        self.url = server.url
        self._numbers = count(1)
        self.instructor = "instructor@uni.example"
        self.staff = "staff@uni.example"

    def new_student(self, name: str = "") -> tuple[str, int]:
        email = f"student{next(self._numbers)}@uni.example"
        return email, add_user(self.app, email, "student", name)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    reason = browser_missing()
    if reason:
        _cannot_run(reason)
    app = make_live_app(tmp_path_factory.mktemp("e2e") / "e2e.sqlite3", [FIXTURES / "banks", FIXTURES / "closed"])
    add_user(app, "instructor@uni.example", "instructor", "Ines Instructor")
    add_user(app, "staff@uni.example", "staff", "Sam Staff")
    with LiveServer(app) as server:
        yield Site(server)
    from quizserver.extensions import db

    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser(site: Site) -> Iterator[Any]:
    from playwright.sync_api import Error, expect, sync_playwright

    expect.set_options(timeout=10_000)  # a loaded CI machine is slower than a laptop
    with sync_playwright() as playwright:
        try:
            launched = launch_chromium(playwright)
        except Error as exc:
            _cannot_run(f"Chromium would not start: {exc.message.splitlines()[0]}")
        yield launched
        launched.close()


class Requests(list):
    """Every URL the browser asked for during one test."""

    def foreign(self, base_url: str) -> list[str]:
        local = re.compile(re.escape(base_url) + r"(/|$)")
        return [url for url in self if not local.match(url) and not url.startswith(("data:", "about:"))]


@pytest.fixture
def requests_seen() -> Requests:
    return Requests()


@pytest.fixture
def make_page(
    browser: Any, site: Site, requests_seen: Requests, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """new page(**context options) -> a page in its own browser context, recording its requests."""
    contexts: list[Any] = []
    pages: list[Any] = []

    def factory(**options: Any) -> Any:
        context = browser.new_context(base_url=site.url, **options)
        context.set_default_timeout(10_000)
        context.on("request", lambda r: requests_seen.append(r.url))
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        return page

    yield factory
    reports = request.node.stash.get(_report_key, {})
    if "call" in reports and reports["call"].failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        for number, page in enumerate(pages, start=1):
            try:
                page.screenshot(path=str(ARTIFACTS / f"{name}-{number}.png"), full_page=True)
            except Exception:  # noqa: BLE001 -- a closed page must not hide the real failure
                pass
    for context in contexts:
        context.close()
    foreign = requests_seen.foreign(site.url)
    assert not foreign, f"the browser left 127.0.0.1: {foreign[:5]}"


@pytest.fixture
def page(make_page: Callable[..., Any]) -> Any:
    return make_page()


@pytest.fixture
def login(site: Site) -> Callable[[Any, str], None]:
    return lambda page, email: log_in(page, site.url, email)
