"""Log-in throttling: failures count per account and address and per address, in the limiter's storage;
each failure past the free ones makes that pair (or address) wait longer, and nobody else waits with it."""
from __future__ import annotations

import re
import runpy
import socket
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from quizserver import create_app
from quizserver.accounts import create_user
from quizserver.config import from_environment
from quizserver.extensions import db
from tests.conftest import CSRF_PATTERN, ENROLLMENT_KEY, PASSWORD

from .conftest import password_hash

pytestmark = pytest.mark.security

FREE = 3  # failures per account and address before the waits begin
ADDRESS_FREE = 5  # failures per address, all accounts together
WAIT = re.compile(r"Try again in (\d+) seconds?\.")
GUNICORN_CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def limited_app(make_app: Callable[..., Flask], **overrides: object) -> Flask:
    settings = {"LOGIN_FREE_FAILURES": FREE, "LOGIN_ADDRESS_FREE_FAILURES": ADDRESS_FREE, "RATELIMIT_ENABLED": True}
    return make_app(**(settings | overrides))


def add_user(app: Flask, email: str) -> None:
    with app.app_context():
        create_user(email, None).password_hash = password_hash()
        db.session.commit()


def log_in(app: Flask, email: str, password: str, ip: str) -> TestResponse:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    match = CSRF_PATTERN.search(client.get("/login").get_data(as_text=True))
    assert match
    return client.post("/login", data={"email": email, "password": password, "csrf_token": match.group(1)})


def wait_of(response: TestResponse) -> int:
    """The seconds a refusal asks for, in words on the page; the same as its Retry-After header."""
    assert response.status_code == 429
    match = WAIT.search(response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)
    assert abs(int(response.headers["Retry-After"]) - int(match.group(1))) <= 1
    return int(match.group(1))


def test_failures_from_one_address_do_not_lock_the_account_or_the_room(make_app) -> None:
    """One student's mistyped passwords in a lecture hall lock out neither them elsewhere nor the others there."""
    app = limited_app(make_app)
    for email in ("ada@uni.example", "grace@uni.example", "prof@uni.example"):
        add_user(app, email)
    for _ in range(FREE):
        assert log_in(app, "ada@uni.example", "wrong password!", "10.0.0.1").status_code == 200
    refused = log_in(app, "ADA@uni.example", PASSWORD, "10.0.0.1")
    assert wait_of(refused) >= 1
    page = refused.get_data(as_text=True)
    assert "per" not in page.split("<main", 1)[-1] and "Too many failed log-ins" in page  # words, not "3 per ..."
    assert log_in(app, "ada@uni.example", PASSWORD, "10.0.0.2").status_code == 302  # her phone, elsewhere
    assert log_in(app, "grace@uni.example", PASSWORD, "10.0.0.1").status_code == 302  # same room
    assert log_in(app, "prof@uni.example", PASSWORD, "10.0.0.1").status_code == 302


def test_the_wait_grows_with_each_further_failure_and_then_lets_the_right_password_in(make_app) -> None:
    app = limited_app(make_app)
    add_user(app, "ada@uni.example")
    for _ in range(FREE):
        assert log_in(app, "ada@uni.example", "wrong password!", "10.0.0.3").status_code == 200
    waits = []
    for _ in range(2):
        waits.append(wait_of(log_in(app, "ada@uni.example", "wrong password!", "10.0.0.3")))
        time.sleep(waits[-1] + 0.2)
        assert log_in(app, "ada@uni.example", "wrong password!", "10.0.0.3").status_code == 200  # one more try
    waits.append(wait_of(log_in(app, "ada@uni.example", PASSWORD, "10.0.0.3")))
    assert waits[0] < waits[1] < waits[2], waits
    time.sleep(waits[-1] + 0.2)
    assert log_in(app, "ada@uni.example", PASSWORD, "10.0.0.3").status_code == 302  # not locked for ever
    # A correct password clears that pair's count: the next mistake is free again.
    assert log_in(app, "ada@uni.example", "wrong password!", "10.0.0.3").status_code == 200


def test_the_address_bound_slows_guessing_across_accounts(make_app) -> None:
    app = limited_app(make_app)
    add_user(app, "grace@uni.example")
    for n in range(ADDRESS_FREE):
        assert log_in(app, f"nobody{n}@uni.example", "wrong password!", "10.0.0.9").status_code == 200
    assert wait_of(log_in(app, "grace@uni.example", PASSWORD, "10.0.0.9")) >= 1
    assert log_in(app, "grace@uni.example", PASSWORD, "10.0.0.10").status_code == 302


def test_successful_log_ins_do_not_count(make_app) -> None:
    """A lecture hall behind one address logs in at once."""
    app = limited_app(make_app)
    for n in range(ADDRESS_FREE * 2):
        add_user(app, f"s{n}@uni.example")
        assert log_in(app, f"s{n}@uni.example", PASSWORD, "10.0.0.20").status_code == 302


def test_the_other_limits_refuse_in_words_too(make_app) -> None:
    app = limited_app(make_app, LOGIN_LIMIT="1 per 5 minutes")
    client = app.test_client()
    for expected in (200, 429):
        match = CSRF_PATTERN.search(client.get("/signup").get_data(as_text=True))
        assert match
        data = {"email": "not an email", "password": "x", "confirm": "x", "enrollment_key": ENROLLMENT_KEY}
        response = client.post("/signup", data=data | {"csrf_token": match.group(1)})
        assert response.status_code == expected
    page = response.get_data(as_text=True)
    assert "1 per 5 minute" not in page and re.search(r"Try again in \d+ (minutes|seconds)\.", page), page


def test_the_limiter_storage_comes_from_the_environment() -> None:
    settings = from_environment({"QUIZ_RATELIMIT_STORAGE_URI": "redis://cache.internal:6379/2"})
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://cache.internal:6379/2"
    assert from_environment({})["RATELIMIT_STORAGE_URI"] == "memory://"


def gunicorn_starts(monkeypatch: pytest.MonkeyPatch, workers: int, **env: str) -> None:
    for name in ("QUIZ_ENV", "QUIZ_DEBUG", "QUIZ_RATELIMIT_STORAGE_URI", "QUIZ_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    conf = runpy.run_path(str(GUNICORN_CONF))
    log = SimpleNamespace(error=lambda *args: None, warning=lambda *args: None)
    conf["on_starting"](SimpleNamespace(cfg=SimpleNamespace(workers=workers), log=log))


def test_production_with_several_workers_refuses_per_worker_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """With memory:// each worker counts alone: two workers would allow twice the failures."""
    with pytest.raises(SystemExit, match="QUIZ_RATELIMIT_STORAGE_URI"):
        gunicorn_starts(monkeypatch, 2)
    with pytest.raises(SystemExit, match="QUIZ_RATELIMIT_STORAGE_URI"):
        gunicorn_starts(monkeypatch, 4, QUIZ_ENV="production", QUIZ_RATELIMIT_STORAGE_URI="memory://")
    gunicorn_starts(monkeypatch, 4, QUIZ_RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379")
    gunicorn_starts(monkeypatch, 1)  # one worker: its threads share one count
    gunicorn_starts(monkeypatch, 4, QUIZ_ENV="development")


def _redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_reachable(), reason="needs Redis at redis://127.0.0.1:6379 (CI provides it)")
def test_two_workers_share_the_count_through_redis(make_app, app_config) -> None:
    import redis

    run = uuid.uuid4().hex[:12]
    email = f"shared-{run}@uni.example"
    shared = {
        "LOGIN_FREE_FAILURES": FREE, "LOGIN_ADDRESS_FREE_FAILURES": ADDRESS_FREE, "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
    }  # fmt: skip
    first = make_app(**shared)
    add_user(first, email)
    connection = redis.Redis(host="127.0.0.1", port=6379)
    second = None
    address = f"10.{int(run[:2], 16)}.{int(run[2:4], 16)}.7"
    try:
        for _ in range(FREE):
            assert log_in(first, email, "wrong password!", address).status_code == 200
        assert list(connection.scan_iter(match=f"*{run}*")), "the failed log-ins were not counted in Redis"
        # Another worker process: its own app and its own connection to the limiter storage.
        second = create_app({**app_config, **shared})
        assert log_in(second, email, PASSWORD, address).status_code == 429
    finally:
        for key in connection.scan_iter(match=f"*{run}*"):
            connection.delete(key)
        for key in connection.scan_iter(match=f"*{address}*"):
            connection.delete(key)
        connection.close()
        if second is not None:
            with second.app_context():
                db.engine.dispose()
