"""Two gunicorn app servers on one PostgreSQL database and one Redis, driven over real HTTP.

What docs/deploy.md promises for several app servers: a session made on one is valid on the other,
a form's token records an answer once whichever server gets it, the log-in limit is counted for all
of them in Redis, and a bank synced once is served by every server without a restart.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from quizserver import create_app
from quizserver.accounts import create_user
from quizserver.config import PROJECT_ROOT
from quizserver.databases import scratch_database
from quizserver.extensions import db
from quizserver.models import Attempt, User
from tests.conftest import CSRF_PATTERN, FIXTURES, PASSWORD

from .conftest import password_hash

pytestmark = [pytest.mark.postgres, pytest.mark.security]

BANK = FIXTURES / "banks" / "week01-test.yaml"
LIMIT = 3
TIMEOUT = 10  # seconds, for every request and every command
STUDENT = "ada@uni.example"
GUESSED = "grace@uni.example"  # the account whose password is guessed at
REDIS_CLAIM = "quizserver-test-app-servers"


class Browser(requests.Session):
    """Sends `Secure` cookies to http://127.0.0.1 too, as browsers do for a local address (requests
    never does): the servers run in production mode, whose session cookie is Secure, without TLS."""

    secure_cookies: set[str]

    def __init__(self) -> None:
        super().__init__()
        self.secure_cookies = set()

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        response = super().request(*args, **kwargs)
        for cookie in self.cookies:
            if cookie.secure:
                self.secure_cookies.add(cookie.name)
                cookie.secure = False
        return response


@dataclass
class AppServer:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- last lines of {self.name}'s log ---\n" + "\n".join(text.splitlines()[-lines:])

    def get(self, client: Browser, path: str) -> requests.Response:
        return self._checked(client.get(self.url + path, allow_redirects=False, timeout=TIMEOUT))

    def post(self, client: Browser, path: str, data: dict[str, str]) -> requests.Response:
        return self._checked(client.post(self.url + path, data=data, allow_redirects=False, timeout=TIMEOUT))

    def _checked(self, response: requests.Response) -> requests.Response:
        assert response.status_code < 500, f"{self.name}: {response.status_code}\n{self.log_tail()}"
        return response


def quiz_environment(database_url: str, redis_url: str) -> dict[str, str]:
    """What every server and command gets, as from one environment file: none of the caller's QUIZ_*."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("QUIZ_", "FLASK_"))}
    return environ | {
        "QUIZ_ENV": "production",
        "QUIZ_SECRET_KEY": secrets.token_hex(32),
        "QUIZ_DATABASE_URL": database_url,
        "QUIZ_RATELIMIT_STORAGE_URI": redis_url,
        # Failed log-ins allowed before a refusal: LOGIN_LIMIT counts them with Flask-Limiter, while
        # LOGIN_FREE_FAILURES is the setting of the failure throttle that is replacing it for log-ins.
        "QUIZ_LOGIN_LIMIT": f"{LIMIT} per 5 minutes",
        "QUIZ_LOGIN_FREE_FAILURES": str(LIMIT),
        "QUIZ_WORKERS": "2",
        "QUIZ_LOG_LEVEL": "warning",
    }


def flask_command(environ: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=PROJECT_ROOT, env=environ, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def gunicorn_flags() -> list[str]:
    """gunicorn 25 and later open a control socket at a fixed path in $HOME: two servers on one
    machine would share it. These servers are controlled by signals, so they need none."""
    from gunicorn.config import Config

    return ["--no-control-socket"] if "control_socket" in Config().settings else []


def start_server(name: str, environ: dict[str, str], folder: Path) -> AppServer:
    """gunicorn on a listening socket made here (fd://), so no other process can take its port first."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    log = folder / f"{name.replace(' ', '-')}.log"
    with listener, log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", *gunicorn_flags(), "app:app"],
            cwd=PROJECT_ROOT, env=environ | {"QUIZ_BIND": f"fd://{listener.fileno()}"},
            pass_fds=[listener.fileno()], stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        return AppServer(name, f"http://127.0.0.1:{listener.getsockname()[1]}", process, log)


def wait_until_healthy(server: AppServer, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"{server.name} exited with {server.process.returncode}\n{server.log_tail()}")
        try:
            if requests.get(server.url + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    pytest.fail(f"{server.name} was not healthy within the time allowed\n{server.log_tail()}")


def stop_server(server: AppServer) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)  # its own process group: the master and its workers
            server.process.wait(timeout=5)


@pytest.fixture(scope="module")
def server_database_url() -> Iterator[str]:
    base = os.environ.get("QUIZ_TEST_DATABASE_URL")
    assert base, "the postgres marker skips this module without QUIZ_TEST_DATABASE_URL"
    with scratch_database(base, Path("unused.sqlite3"), "quiz_servers") as url:
        yield url


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A Redis database of this run's own: the first empty one it can claim (never 0), emptied after."""
    import redis

    for number in range(15, 0, -1):
        connection = redis.Redis(host="127.0.0.1", port=6379, db=number, socket_timeout=5)
        try:
            claimed = connection.dbsize() == 0 and connection.set(REDIS_CLAIM, "1", nx=True, ex=600)
        except redis.ConnectionError:
            pytest.skip("needs Redis at redis://127.0.0.1:6379 (CI provides it)")
        if claimed:
            break
        connection.close()
    else:
        pytest.fail("no empty Redis database among 1-15 to count log-ins in")
    try:
        yield f"redis://127.0.0.1:6379/{number}"
    finally:
        connection.flushdb()
        connection.close()


@pytest.fixture(scope="module")
def environ(server_database_url: str, redis_url: str) -> dict[str, str]:
    environ = quiz_environment(server_database_url, redis_url)
    flask_command(environ, "db", "upgrade")  # the production schema path
    return environ


@pytest.fixture(scope="module")
def banks(tmp_path_factory: pytest.TempPathFactory, environ: dict[str, str]) -> Path:
    """The test bank, synced once before any server starts (a server without banks is not healthy)."""
    folder = tmp_path_factory.mktemp("banks")
    shutil.copy(BANK, folder)
    flask_command(environ, "quiz", "sync", "--variants", "3", str(folder))
    return folder


@pytest.fixture(scope="module")
def database(server_database_url: str, environ: dict[str, str]) -> Iterator[Flask]:
    """An app in this process on the same database: to add accounts and count the stored rows."""
    app = create_app({"ENV": "testing", "DATABASE_URL": server_database_url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        for email in (STUDENT, GUESSED):
            create_user(email, None, name=email.split("@")[0].title()).password_hash = password_hash()
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory, environ: dict[str, str], banks: Path, database: Flask
) -> Iterator[tuple[AppServer, AppServer]]:
    folder = tmp_path_factory.mktemp("servers")
    started: list[AppServer] = []
    try:
        for name in ("server A", "server B"):
            started.append(start_server(name, environ, folder))
        deadline = time.monotonic() + 30
        for server in started:
            wait_until_healthy(server, deadline)
        yield started[0], started[1]
    finally:
        for server in started:
            stop_server(server)


@pytest.fixture(scope="module")
def student(servers: tuple[AppServer, AppServer]) -> Browser:
    """A browser logged in on server A. Module-wide, so it logs in before the log-in limit test runs,
    whose failures may hold up every log-in from 127.0.0.1, the address all these requests come from."""
    a, _ = servers
    client = Browser()
    response = a.post(client, "/login", {"email": STUDENT, "password": PASSWORD, "csrf_token": login_csrf(a, client)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/weeks"), response.text[:500]
    assert "session" in client.secure_cookies, "server A set no Secure session cookie"
    return client


def login_csrf(server: AppServer, client: Browser) -> str:
    match = CSRF_PATTERN.search(server.get(client, "/login").text)
    assert match, f"no CSRF token on {server.name}'s log-in page"
    return match.group(1)


def answer_form(server: AppServer, client: Browser, question_id: str = "scale") -> dict[str, str]:
    """The hidden fields of one question's answer form on the week page, as the browser would send them."""
    page = server.get(client, "/weeks/1")
    assert page.status_code == 200, f"{server.name}: {page.status_code} {page.headers.get('Location')}"
    form = re.search(rf'<form[^>]*action="/weeks/1/{question_id}/answer".*?</form>', page.text, re.DOTALL)
    assert form, f"{server.name}'s week page has no answer form for {question_id}"
    fields = dict(re.findall(r'<input type="hidden" name="(csrf_token|token)" value="([^"]+)"', form.group(0)))
    assert fields.keys() == {"csrf_token", "token"}, fields
    return fields


def stored_answers(app: Flask, email: str, question_id: str = "scale") -> list[str | None]:
    """The form tokens of a student's stored answers to one question, one per row."""
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        keys = db.session.scalars(
            select(Attempt.idempotency_key).where(Attempt.user_id == user.id, Attempt.question_id == question_id)
        ).all()
        db.session.remove()
        return list(keys)


def test_a_session_made_on_one_server_is_valid_on_the_other(servers, student) -> None:
    a, b = servers
    week = b.get(student, "/weeks/1")
    assert week.status_code == 200, f"server B did not accept server A's session: {week.headers.get('Location')}"
    assert 'action="/weeks/1/scale/answer"' in week.text
    assert b.get(Browser(), "/weeks/1").status_code == 302  # without the cookie: to the log-in page


def test_answers_sent_to_both_servers_are_stored_exactly_once(servers, student, database) -> None:
    """Wrong answers, so every one is recorded (no question is solved); one row per form token."""
    sent: list[str] = []
    for n in range(6):
        page_from, post_to = servers[n % 2], servers[(n + 1) % 2]  # the form from one, the answer to the other
        fields = answer_form(page_from, student)
        response = post_to.post(student, "/weeks/1/scale/answer", fields | {"answer": str(-n)})
        assert response.status_code == 302 and "/weeks/1" in response.headers["Location"], response.status_code
        sent.append(fields["token"])
    twice = answer_form(servers[0], student)
    for server in servers:  # the same form sent to A, then to B
        response = server.post(student, "/weeks/1/scale/answer", twice | {"answer": "-7"})
        assert response.status_code == 302 and "/weeks/1" in response.headers["Location"], response.status_code
    sent.append(twice["token"])

    stored = stored_answers(database, STUDENT)
    assert sorted(stored, key=str) == sorted(sent), "each answer is one row, the form sent twice too"


def test_a_bank_synced_once_is_served_by_both_servers(servers, student, environ, banks) -> None:
    for server in servers:
        assert "Test week" in server.get(student, "/weeks").text, f"{server.name} does not list week 1"
    revised = (banks / BANK.name).read_text().replace("title: Scaling", "title: Scaling, second edition")
    (banks / BANK.name).write_text(revised)
    flask_command(environ, "quiz", "sync", "--variants", "3", str(banks))  # once, while both servers run
    for server in servers:
        for _ in range(3):  # each request may reach either of the server's workers
            page = server.get(student, "/weeks/1")
            assert "Scaling, second edition" in page.text, f"{server.name} still serves the old version"


def refused(response: requests.Response) -> bool:
    """The limiter's answer: 429, or a page that asks to wait."""
    return response.status_code == 429 or bool(re.search(r"too many|wait", response.text, re.IGNORECASE))


def test_the_log_in_limit_counts_failures_on_both_servers(servers, student) -> None:
    """LIMIT failures allowed, sent in turn to A and B: neither server alone sees LIMIT of them before
    the refusal, so a count kept per server (or per worker) would never refuse within LIMIT + 1."""
    turns = [servers[n % 2] for n in range(LIMIT + 2)]
    # Every log-in form first: then the posts follow each other closely, inside even a short wait.
    forms = []
    for server in turns:
        client = Browser()
        forms.append((server, client, login_csrf(server, client)))
    outcomes: list[tuple[str, bool]] = []
    for server, client, csrf in forms:
        response = server.post(client, "/login", {"email": GUESSED, "password": "wrong password!", "csrf_token": csrf})
        assert response.status_code != 302, "a wrong password logged in"
        outcomes.append((server.name, refused(response)))
        if len(outcomes) > 1 and outcomes[-2][1]:
            break  # refused on one server, then tried once on the other
    assert not outcomes[0][1], "the first failure was refused: the limit started from stale counts"
    assert any(was_refused for _, was_refused in outcomes[: LIMIT + 1]), (
        f"{LIMIT + 1} failures sent in turn to A and B and none was refused: {outcomes}"
    )
    assert outcomes[-1][1], f"refused on {outcomes[-2][0]}, but not on {outcomes[-1][0]} right after: {outcomes}"
