"""Log-in rate limits per account and per address: the N+1th failure is refused, and only for a while."""
from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from quizserver import create_app
from quizserver.accounts import create_user
from quizserver.config import from_environment
from quizserver.extensions import db
from tests.conftest import CSRF_PATTERN, PASSWORD

from .conftest import password_hash

pytestmark = pytest.mark.security

LIMIT = 3
WINDOW = 2  # seconds


def limited_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(LOGIN_LIMIT=f"{LIMIT} per {WINDOW} seconds", RATELIMIT_ENABLED=True)


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


def test_the_account_limit_refuses_the_next_log_in_from_any_address_then_lets_it_in(make_app) -> None:
    app = limited_app(make_app)
    add_user(app, "ada@uni.example")
    for n in range(LIMIT):
        assert log_in(app, "ada@uni.example", "wrong password!", f"10.0.0.{n}").status_code == 200
    refused = log_in(app, "ADA@uni.example", PASSWORD, "10.0.1.1")
    assert refused.status_code == 429
    assert "Too many requests" in refused.get_data(as_text=True)
    time.sleep(WINDOW + 0.3)
    assert log_in(app, "ada@uni.example", PASSWORD, "10.0.1.1").status_code == 302  # not locked for ever


def test_the_address_limit_refuses_guessing_across_accounts(make_app) -> None:
    app = limited_app(make_app)
    add_user(app, "grace@uni.example")
    for n in range(LIMIT):
        assert log_in(app, f"nobody{n}@uni.example", "wrong password!", "10.0.0.9").status_code == 200
    assert log_in(app, "grace@uni.example", PASSWORD, "10.0.0.9").status_code == 429
    assert log_in(app, "grace@uni.example", PASSWORD, "10.0.0.10").status_code == 302


def test_successful_log_ins_do_not_count(make_app) -> None:
    """A lecture hall behind one address logs in at once."""
    app = limited_app(make_app)
    for n in range(LIMIT * 2):
        add_user(app, f"s{n}@uni.example")
        assert log_in(app, f"s{n}@uni.example", PASSWORD, "10.0.0.20").status_code == 302


def test_the_limiter_storage_comes_from_the_environment() -> None:
    settings = from_environment({"QUIZ_RATELIMIT_STORAGE_URI": "redis://cache.internal:6379/2"})
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://cache.internal:6379/2"
    assert from_environment({})["RATELIMIT_STORAGE_URI"] == "memory://"


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
    shared = {"LOGIN_LIMIT": f"{LIMIT} per {WINDOW} seconds", "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"}
    first = make_app(**shared)
    add_user(first, email)
    connection = redis.Redis(host="127.0.0.1", port=6379)
    second = None
    try:
        for n in range(LIMIT):
            assert log_in(first, email, "wrong password!", f"10.1.0.{n}").status_code == 200
        assert list(connection.scan_iter(match=f"*{run}*")), "the failed log-ins were not counted in Redis"
        # Another worker process: its own app and its own connection to the limiter storage.
        second = create_app({**app_config, **shared})
        assert log_in(second, email, PASSWORD, "10.1.1.2").status_code == 429
    finally:
        for key in connection.scan_iter(match=f"*{run}*"):
            connection.delete(key)
        connection.close()
        if second is not None:
            with second.app_context():
                db.engine.dispose()
