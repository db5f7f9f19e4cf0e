"""A live server and a headless Chromium for the browser tests and scripts/screenshots.py.

The browser is Debian's chromium (never a downloaded one) and every page is served from 127.0.0.1,
so the whole run works offline.
"""
from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from flask import Flask
from werkzeug.serving import make_server

from quizserver import create_app
from quizserver.accounts import create_user
from quizserver.banksync import sync_banks
from quizserver.extensions import db

CHROMIUM = os.environ.get("QUIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery"
ENROLLMENT_KEY = "deep-learning-2026"


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -r requirements-dev.txt)"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def make_live_app(database: Path, banks: Sequence[Path], **overrides: Any) -> Flask:
    """An app on a fresh SQLite file with the given banks synced."""
    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": f"sqlite:///{database}",
            "QUESTIONS_DIR": str(banks[0]),
            "ENROLLMENT_KEY": ENROLLMENT_KEY,
            "RATELIMIT_ENABLED": False,
            "POOL_VARIANTS": 3,
            **overrides,
        }
    )
    with app.app_context():
        db.create_all()
        report = sync_banks(list(banks), variants=3)
        assert report.ok, [str(p) for f in report.files for p in f.problems]
        db.session.commit()
    return app


def add_user(app: Flask, email: str, role: str = "student", name: str = "") -> int:
    with app.app_context():
        user = create_user(email, PASSWORD, role=role, name=name or email.split("@")[0].title())
        db.session.commit()
        return user.id


class ServedInThread:
    """A server bound to 127.0.0.1 (werkzeug's, or http.server's) serving in a background thread while in `with`."""

    def __init__(self, server: Any, name: str) -> None:
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_port}"
        self._thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class LiveServer(ServedInThread):
    """The app served by werkzeug in a background thread on 127.0.0.1 and a free port."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        super().__init__(make_server("127.0.0.1", 0, app, threaded=True), "live-server")


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Any, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    # students land on their weeks, staff and instructors on the gradebook
    page.wait_for_url(lambda url: url in (f"{base_url}/weeks", f"{base_url}/staff/"))
