"""Dynamic registration against a real HTTP platform on 127.0.0.1: what Moodle 4.x does when its administrator
pastes the tool's registration link (an OpenID configuration, a registration endpoint with a bearer token)."""
from __future__ import annotations

import html
import json
import socket
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from quizserver.extensions import db
from quizserver.lti.registration import TOOL_CONFIGURATION, issue_registration_key
from quizserver.models import LtiPlatform, LtiRegistrationKey, User, utcnow
from tests.e2e.live import ServedInThread
from tests.lti.platform import LINEITEM_SCOPE, NRPS_SCOPE, SCORE_SCOPE

TOKEN = "registration-token-1"
DEEP_LINKING = "LtiDeepLinkingRequest"


class RegistrationPlatform(ServedInThread):
    """An LTI platform's two registration endpoints, served by http.server in a thread.

    `GET /openid-configuration` answers `configuration()` (or `raw_configuration` as it is); `POST /register`
    checks the bearer token (single use, as Moodle's) and the tool's configuration, and answers a client id
    and a deployment id, or an error as a platform would.
    """

    def __init__(self) -> None:
        self.token = TOKEN
        self.overrides: dict[str, Any] = {}
        self.raw_configuration: bytes | None = None
        self.answer: dict[str, Any] | None = None  # replaces the registration's answer when set
        self.fetched = 0
        self.posted: list[dict[str, Any]] = []
        self._used_tokens: set[str] = set()
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 -- http.server's name
                if self.path.startswith("/dialog?"):
                    return self.reply(200, platform.dialog(self.path).encode(), "text/html; charset=utf-8")
                if self.path != "/openid-configuration":
                    return self.reply(404, b"{}")
                platform.fetched += 1
                body = platform.raw_configuration or json.dumps(platform.configuration()).encode()
                self.reply(200, body)

            def do_POST(self) -> None:  # noqa: N802
                if self.path != "/register":
                    return self.reply(404, b"{}")
                length = int(self.headers.get("Content-Length", "0"))
                status, answer = platform.register(self.headers.get("Authorization", ""), self.rfile.read(length))
                self.reply(status, json.dumps(answer).encode())

        super().__init__(ThreadingHTTPServer(("127.0.0.1", 0), Handler), "registration-platform")

    @property
    def configuration_url(self) -> str:
        return f"{self.url}/openid-configuration"

    def configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/mod/lti/auth.php",
            "token_endpoint": f"{self.url}/mod/lti/token.php",
            "jwks_uri": f"{self.url}/mod/lti/certs.php",
            "registration_endpoint": f"{self.url}/register",
            "scopes_supported": [LINEITEM_SCOPE, SCORE_SCOPE, NRPS_SCOPE, "openid"],
            "response_types_supported": ["id_token"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "moodle", "version": "4.3",
                "messages_supported": [{"type": "LtiResourceLinkRequest"}, {"type": DEEP_LINKING}],
            },
        } | self.overrides

    def dialog(self, path: str) -> str:
        """Moodle's registration dialog: the tool's page in a frame, closed when the tool says so."""
        src = html.escape(parse_qs(urlsplit(path).query)["src"][0])
        return (
            "<!doctype html><html lang='en'><head><title>Registering</title></head><body>"
            f'<iframe src="{src}" title="tool registration"></iframe><script>'
            "window.addEventListener('message', (e) => {"
            "  if (e.data && e.data.subject === 'org.imsglobal.lti.close') document.title = 'closed';"
            "});</script></body></html>"
        )

    def register(self, authorization: str, body: bytes) -> tuple[int, dict[str, Any]]:
        token = authorization.removeprefix("Bearer ")
        if not authorization.startswith("Bearer ") or token != self.token or token in self._used_tokens:
            return 401, {"error": "invalid_token", "error_description": "the registration token is not valid"}
        tool = json.loads(body)
        self.posted.append(tool)
        problems = tool_configuration_problems(tool)
        if problems:
            return 400, {"error": "invalid_client_metadata", "error_description": "; ".join(problems)}
        self._used_tokens.add(token)
        if self.answer is not None:
            return 200, self.answer
        return 200, {
            "client_id": "dyn-client-1",
            "response_types": tool["response_types"],
            "jwks_uri": tool["jwks_uri"],
            "initiate_login_uri": tool["initiate_login_uri"],
            "redirect_uris": tool["redirect_uris"],
            "scope": tool["scope"],
            TOOL_CONFIGURATION: tool[TOOL_CONFIGURATION] | {"deployment_id": "7"},
        }


def tool_configuration_problems(tool: dict[str, Any]) -> list[str]:
    """What the LTI-DR specification requires of a tool's configuration, as Moodle checks it."""
    problems = []
    if "id_token" not in tool.get("response_types", []):
        problems.append("response_types lacks id_token")
    if not {"implicit", "client_credentials"} <= set(tool.get("grant_types", [])):
        problems.append("grant_types lacks implicit or client_credentials")
    if tool.get("token_endpoint_auth_method") != "private_key_jwt":
        problems.append("token_endpoint_auth_method is not private_key_jwt")
    for name in ("initiate_login_uri", "jwks_uri"):
        if not str(tool.get(name, "")).startswith("http"):
            problems.append(f"{name} missing")
    config = tool.get(TOOL_CONFIGURATION) or {}
    if config.get("target_link_uri") not in tool.get("redirect_uris", []):
        problems.append("the target link is not a redirect URI")
    if urlsplit(str(config.get("target_link_uri"))).netloc != config.get("domain"):
        problems.append("the target link is not on the tool's domain")
    return problems


@pytest.fixture
def lms() -> Iterator[RegistrationPlatform]:
    with RegistrationPlatform() as platform:
        yield platform


@pytest.fixture
def new_key(app: Flask) -> Callable[..., str]:
    def make(lifetime: timedelta = timedelta(days=1), created: timedelta = timedelta(0)) -> str:
        with app.app_context():
            key = issue_registration_key(lifetime=lifetime, now=utcnow() - created)
            db.session.commit()
            return key

    return make


def register_url(key: str | None, configuration_url: str | None, token: str | None = TOKEN) -> str:
    params = {"key": key, "openid_configuration": configuration_url, "registration_token": token}
    return "/lti/register?" + urlencode({name: value for name, value in params.items() if value is not None})


def stored_platforms(app: Flask) -> list[LtiPlatform]:
    with app.app_context():
        found = list(db.session.scalars(select(LtiPlatform)))
        for platform in found:
            _ = platform.deployments
            db.session.expunge(platform)
        return found


def key_row(app: Flask) -> LtiRegistrationKey:
    with app.app_context():
        row = db.session.scalar(select(LtiRegistrationKey).order_by(LtiRegistrationKey.id.desc()).limit(1))
        assert row is not None
        db.session.expunge(row)
        return row


def page(client: FlaskClient, url: str) -> tuple[int, str, dict[str, str]]:
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True), dict(response.headers)


# ---------------------------------------------------------------- a registration that works


def test_moodle_registers_the_tool_and_the_platform_is_stored(
    app: Flask, lms: RegistrationPlatform, new_key: Callable[..., str]
) -> None:
    key = new_key()
    status, text, headers = page(app.test_client(), register_url(key, lms.configuration_url))
    assert status == 200, text
    assert "registration_done.js" in text and "dyn-client-1" in text
    assert f"frame-ancestors {lms.url}" in headers["Content-Security-Policy"]  # Moodle shows it in a frame
    assert "X-Frame-Options" not in headers  # DENY would forbid the frame in browsers that read only this header

    (posted,) = lms.posted
    assert posted["client_name"] == app.config["QUIZ"]["COURSE_TITLE"]
    assert posted["initiate_login_uri"] == "http://localhost/lti/login"
    assert posted["jwks_uri"] == "http://localhost/lti/jwks"
    assert posted["redirect_uris"] == ["http://localhost/lti/launch"]
    assert set(posted["scope"].split()) == {LINEITEM_SCOPE, SCORE_SCOPE, NRPS_SCOPE}
    config = posted[TOOL_CONFIGURATION]
    assert config["target_link_uri"] == "http://localhost/lti/launch" and config["domain"] == "localhost"
    assert {"sub", "email", "name"} <= set(config["claims"])
    deep_link = [m for m in config["messages"] if m["type"] == DEEP_LINKING]
    assert deep_link and deep_link[0]["target_link_uri"] == "http://localhost/lti/launch"

    (platform,) = stored_platforms(app)
    assert (platform.issuer, platform.client_id) == (lms.url, "dyn-client-1")
    assert [d.deployment_id for d in platform.deployments] == ["7"]
    assert platform.auth_login_url == f"{lms.url}/mod/lti/auth.php"
    assert platform.auth_token_url == f"{lms.url}/mod/lti/token.php"
    assert platform.key_set_url == f"{lms.url}/mod/lti/certs.php"
    assert not platform.trust_emails and platform.send_grades
    row = key_row(app)
    assert row.used_at is not None and row.platform_id == platform.id

    again = page(app.test_client(), register_url(key, lms.configuration_url, "another-token"))
    assert again[0] == 403 and "already used" in again[1]
    assert lms.fetched == 1 and len(stored_platforms(app)) == 1


def test_the_command_line_prints_a_link_that_registers(app: Flask, lms: RegistrationPlatform) -> None:
    result = app.test_cli_runner().invoke(args=["lti", "registration-url", "--base-url", "https://quiz.uni.example"])
    assert result.exit_code == 0, result.output
    link = result.stdout.strip()
    assert link.startswith("https://quiz.uni.example/lti/register?key=")
    key = link.partition("key=")[2]
    status, text, _ = page(app.test_client(), register_url(key, lms.configuration_url))
    assert status == 200, text
    assert len(stored_platforms(app)) == 1


def test_an_instructor_makes_a_link_and_changes_a_platforms_settings(
    app: Flask, lms: RegistrationPlatform, make_user: Callable[..., User]
) -> None:
    from tests.conftest import PASSWORD, csrf_token

    instructor = make_user("instructor")
    client = app.test_client()
    token = csrf_token(client, "/login")
    client.post("/login", data={"email": instructor.email, "password": PASSWORD, "csrf_token": token})
    token = csrf_token(client, "/lti/platforms")
    made = client.post("/lti/platforms/registration-link", data={"csrf_token": token})
    assert made.status_code == 200
    text = made.get_data(as_text=True)
    start = text.index("http://localhost/lti/register?key=")
    key = text[start: text.index("<", start)].partition("key=")[2]
    assert key_row(app).created_by_id == instructor.id

    status, body, _ = page(app.test_client(), register_url(key, lms.configuration_url))
    assert status == 200, body
    (platform,) = stored_platforms(app)
    saved = client.post(f"/lti/platforms/{platform.id}/settings",
                        data={"csrf_token": token, "trust_emails": "y"}, follow_redirects=True)  # fmt: skip
    assert "Saved the settings" in saved.get_data(as_text=True)
    (platform,) = stored_platforms(app)
    assert platform.trust_emails and not platform.send_grades


# ---------------------------------------------------------------- refusals: a clear page, nothing stored


def nothing_stored(app: Flask) -> bool:
    with app.app_context():
        return not db.session.scalar(select(func.count()).select_from(LtiPlatform))


def test_a_refused_token_stores_nothing_and_the_link_can_be_used_again(
    app: Flask, lms: RegistrationPlatform, new_key: Callable[..., str]
) -> None:
    key = new_key()
    status, text, _ = page(app.test_client(), register_url(key, lms.configuration_url, "stale-token"))
    assert status == 502 and "The platform refused the registration" in text
    assert "HTTP 401" in text and "the registration token is not valid" in text
    assert nothing_stored(app) and key_row(app).used_at is None
    assert page(app.test_client(), register_url(key, lms.configuration_url))[0] == 200
    assert len(stored_platforms(app)) == 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_platform_gives_a_clear_page(app: Flask, new_key: Callable[..., str]) -> None:
    key = new_key()
    url = f"http://127.0.0.1:{free_port()}/openid-configuration"
    status, text, _ = page(app.test_client(), register_url(key, url))
    assert status == 502 and "The platform could not be reached" in text and "ConnectionError" in text
    assert nothing_stored(app) and key_row(app).used_at is None


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"raw_configuration": b"<html>not json</html>"}, "did not answer with a JSON object"),
        ({"raw_configuration": b"[1, 2]"}, "did not answer with a JSON object"),
        ({"overrides": {"registration_endpoint": None}}, "lacks registration_endpoint"),
        ({"overrides": {"issuer": "https://moodle.other.example"}}, "is not on the host of its configuration"),
        ({"overrides": {"registration_endpoint": "https://attacker.example/register"}}, "is not on the issuer"),
        ({"overrides": {"jwks_uri": "http://moodle.uni.example/certs.php"}}, "jwks_uri is not an HTTPS address"),
        ({"answer": {"client_id": "c"}}, "It is not an LTI tool configuration"),
        ({"answer": {"client_id": "c", TOOL_CONFIGURATION: {"domain": "localhost"}}}, "sent no deployment ID"),
        ({"answer": {TOOL_CONFIGURATION: {"deployment_id": "7"}}}, "sent no client ID"),
    ],
)
def test_an_unusable_configuration_or_answer_stores_nothing(
    app: Flask, lms: RegistrationPlatform, new_key: Callable[..., str], change: dict[str, Any], says: str
) -> None:
    for name, value in change.items():
        setattr(lms, name, value)
    status, text, _ = page(app.test_client(), register_url(new_key(), lms.configuration_url))
    assert status == 502 and says in text.replace("&#39;", "'"), text
    assert nothing_stored(app) and key_row(app).used_at is None
    if "answer" not in change:
        assert lms.posted == []  # a configuration that fails its checks gets nothing posted


def test_the_configuration_must_come_over_https(app: Flask, new_key: Callable[..., str]) -> None:
    status, text, headers = page(app.test_client(), register_url(new_key(), "http://moodle.uni.example/config"))
    assert status == 400 and "must be reached over HTTPS" in text
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "DENY"
    assert key_row(app).used_at is None


@pytest.mark.parametrize(
    ("key", "status", "says"),
    [
        (None, 400, "This registration link is incomplete"),
        ("not-a-key", 403, "This registration link is not valid"),
        ("expired", 403, "This registration link has expired"),
        ("used", 403, "This registration link was already used"),
    ],
)
def test_a_missing_unknown_expired_or_used_key_does_nothing(
    app: Flask, lms: RegistrationPlatform, new_key: Callable[..., str], key: str | None, status: int, says: str
) -> None:
    if key == "expired":
        key = new_key(lifetime=timedelta(hours=1), created=timedelta(hours=2))
    elif key == "used":
        key = new_key()
        assert page(app.test_client(), register_url(key, lms.configuration_url))[0] == 200
        lms.token = "a-second-token"
        with app.app_context():
            db.session.query(LtiPlatform).delete()
            db.session.commit()
    fetched = lms.fetched
    got = page(app.test_client(), register_url(key, lms.configuration_url, lms.token))
    assert got[0] == status and says in got[1]
    assert lms.fetched == fetched and nothing_stored(app)  # a stranger's request never reaches the platform


def test_a_new_link_deletes_the_links_that_expired_unused(
    app: Flask, lms: RegistrationPlatform, new_key: Callable[..., str]
) -> None:
    used = new_key()
    assert page(app.test_client(), register_url(used, lms.configuration_url))[0] == 200
    new_key(lifetime=timedelta(hours=1), created=timedelta(hours=2))  # expired an hour ago, never used
    new_key()
    with app.app_context():
        rows = list(db.session.scalars(select(LtiRegistrationKey).order_by(LtiRegistrationKey.id)))
        assert [(row.used_at is not None, row.platform_id is not None) for row in rows] == [
            (True, True), (False, False)]  # the used link stays, naming its platform; the expired one is gone


def test_a_link_opened_without_the_platforms_parameters_keeps_its_key(
    app: Flask, new_key: Callable[..., str]
) -> None:
    status, text, _ = page(app.test_client(), register_url(new_key(), None, None))
    assert status == 400 and "Add LTI Advantage" in text
    assert key_row(app).used_at is None
