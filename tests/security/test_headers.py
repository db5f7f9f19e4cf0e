"""Response headers, cookie flags, local-only redirects after log-in, and no inline script anywhere."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask

from quizserver.config import PROJECT_ROOT
from tests.conftest import PASSWORD, AuthActions, csrf_token

from .conftest import Cast, login_as

pytestmark = pytest.mark.security


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


@pytest.mark.parametrize(
    "url", ["/login", "/weeks", "/weeks/1", "/static/style.css", "/healthz", "/no-such-page", "/admin/users"]
)
def test_every_response_carries_the_security_headers(app: Flask, cast: Cast, url: str) -> None:
    client = app.test_client()
    login_as(client, cast.student)
    response = client.get(url)
    response.close()
    policy = directives(response.headers["Content-Security-Policy"])
    script = policy.get("script-src", policy.get("default-src"))
    assert script is not None and "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert "'unsafe-inline'" not in policy.get("style-src", [])
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff" and response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")


def test_no_template_has_inline_script_or_style() -> None:
    """A JSON data block (`<script type="application/json">`) is never run, so the CSP does not concern it."""
    offenders = []
    for path in sorted((PROJECT_ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        if (
            re.search(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", text)
            or re.search(r"\sstyle\s*=", text)
            or re.search(r"\son[a-z]+\s*=", text)
        ):
            offenders.append(str(path.relative_to(PROJECT_ROOT)))
    assert not offenders, f"inline script, style or event handlers (the CSP forbids them): {offenders}"


def cookie_flags(headers: list[str], name: str) -> str:
    found = [h for h in headers if h.startswith(f"{name}=")]
    assert found, f"no {name} cookie set"
    return found[-1].lower()


def test_the_session_cookie_is_httponly_samesite_and_secure_in_production(make_app) -> None:
    app = make_app(ENV="production", SECRET_KEY="x" * 40, RATELIMIT_ENABLED=False)
    client = app.test_client()
    response = client.get("/login", base_url="https://quiz.example")
    flags = cookie_flags(response.headers.getlist("Set-Cookie"), "session")
    assert "httponly" in flags and "samesite=lax" in flags and "secure" in flags
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_remember_cookie_is_httponly_too(app: Flask, cast: Cast) -> None:
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": cast.student.email, "password": PASSWORD, "remember": "y", "csrf_token": token}
    )
    flags = cookie_flags(response.headers.getlist("Set-Cookie"), "remember_token")
    assert "httponly" in flags and "samesite=lax" in flags


OFF_SITE = [
    "//evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example/x", "http:evil.example",
    "javascript:alert(1)", " //evil.example", "\t/\\evil.example", "https:/evil.example", "////evil.example",
    "/%2F%2Fevil.example", "/\x00//evil.example", "evil.example",
]


def is_local(location: str) -> bool:
    parts = urlsplit(location)
    return (
        not parts.scheme
        and not parts.netloc
        and location.startswith("/")
        and not location.startswith("//")
        and "\\" not in location
    )


def test_the_next_page_after_log_in_is_always_local(app: Flask) -> None:
    from quizserver.auth.routes import _safe_next

    with app.test_request_context():
        assert {target: is_local(_safe_next(target)) for target in OFF_SITE} == dict.fromkeys(OFF_SITE, True)
        assert _safe_next("/progress?week=1") == "/progress?week=1"


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https://evil.example/x"])
def test_log_in_never_redirects_off_site(app: Flask, cast: Cast, target: str) -> None:
    client = app.test_client()
    token = csrf_token(client, "/login")
    data = {"email": cast.student.email, "password": PASSWORD, "csrf_token": token}
    response = client.post("/login", query_string={"next": target}, data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/weeks"


def test_log_in_returns_to_a_local_page(app: Flask, cast: Cast) -> None:
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=/progress", data={"email": cast.student.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/progress"


def test_passwords_are_stored_with_a_current_hash(app: Flask, cast: Cast) -> None:
    from quizserver.extensions import db
    from quizserver.models import User

    with app.app_context():
        stored = db.session.get(User, cast.student.id).password_hash
    assert stored.startswith(("scrypt:", "pbkdf2:")) and PASSWORD not in stored
    assert AuthActions(app.test_client()).login(cast.student.email, "x" + PASSWORD).status_code == 200


def test_the_test_suite_sees_every_template() -> None:
    assert len(list(Path(PROJECT_ROOT / "templates").rglob("*.html"))) > 10
