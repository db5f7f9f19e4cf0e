"""A real LTI 1.3 platform for the tests, on 127.0.0.1 and a free port, in a thread.

It speaks the specification over HTTP with real RS256 keys: a course page that starts a launch (a form post
to the tool's login URL, as Moodle does), the OIDC authorization endpoint (an auto-posting form with the signed
id_token), its JWKS, the token endpoint (client_credentials with a JWT assertion checked against the tool's
JWKS), AGS line items and scores, NRPS memberships and the deep-linking return. The id_tokens, the token
endpoint's checks and the deep-link response's checks come from the `lti1p3platform` package.

A launch can be spoilt on purpose (`tamper`) to test how the tool refuses it.
"""
from __future__ import annotations

import html
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt
from flask import Flask, Response, abort, jsonify, request
from jwcrypto.jwk import JWK
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from werkzeug.serving import make_server

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
LEARNER = [LIS + "membership#Learner", LIS + "institution/person#Student"]
TEACHING_ASSISTANT = [LIS + "membership/Instructor#TeachingAssistant"]
INSTRUCTOR = [LIS + "membership#Instructor", LIS + "institution/person#Faculty"]
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
COURSE = "course-42"


def new_key() -> tuple[str, str]:
    """(private PEM, public PEM) of a fresh RSA key."""
    key = JWK.generate(kty="RSA", size=2048)
    return key.export_to_pem(private_key=True, password=None).decode(), key.export_to_pem().decode()


@dataclass
class Person:
    sub: str
    name: str
    email: str
    roles: list[str]


@dataclass
class Launch:
    """One pending launch, named by the lti_message_hint the platform gives the tool."""

    person: Person
    link_id: str
    custom: dict[str, str] = field(default_factory=dict)
    deep_link: bool = False
    tamper: str = ""  # wrong_signature | expired | unknown_deployment | missing_role | wrong_audience
    accept_multiple: bool = True


class _Conf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self._registration


class _Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class _PreflightRequest:
    """What lti1p3platform's launch reads of the authorization request: its query (or form) parameters."""

    def __init__(self) -> None:
        self.get_data = dict(request.args.items())
        self.form_data = dict(request.form.items())


def auto_post(action: str, fields: dict[str, str], title: str) -> str:
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in fields.items()
    )
    return (
        f"<!doctype html><html lang='en'><head><title>{html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f'<form method="post" action="{html.escape(action)}" id="auto">{inputs}<button type="submit">Continue</button>'
        "</form><script>document.getElementById('auto').submit();</script></body></html>"
    )


class TestPlatform:
    """The platform: start it with `with TestPlatform(tool_url) as platform:`."""

    __test__ = False  # not a test class

    def __init__(self, tool_url: str, *, client_id: str = "quiz-client", deployment_id: str = "deployment-1") -> None:
        self.tool_url = tool_url.rstrip("/")
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.private_pem, self.public_pem = new_key()
        self.other_private_pem, _ = new_key()  # signs the forged launches
        self.people = {
            "learner": Person("u-learner", "Lea Learner", "lea@uni.example", LEARNER),
            "ta": Person("u-ta", "Tam Assistant", "tam@uni.example", TEACHING_ASSISTANT),
            "instructor": Person("u-instructor", "Ida Instructor", "ida@uni.example", INSTRUCTOR),
            "nobody": Person("u-nobody", "No Role", "nobody@uni.example", []),
        }
        self.launches: dict[str, Launch] = {}
        self.line_items: dict[str, dict[str, Any]] = {}
        self.scores: list[tuple[str, dict[str, Any]]] = []
        self.deep_linked: list[dict[str, Any]] = []
        self.tokens_issued = 0
        self.score_requests = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.app = self._make_app()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # ------------------------------------------------------------ running

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return self.url

    def start(self) -> None:
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="lti-platform", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> TestPlatform:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @contextmanager
    def offline(self) -> Iterator[None]:
        """The platform is down (nothing listens on its port), then back on the same port."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    # ------------------------------------------------------------ what the tool registers

    def registration_fields(self) -> dict[str, str]:
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "deployment_id": self.deployment_id,
            "auth_login_url": f"{self.url}/auth",
            "auth_token_url": f"{self.url}/token",
            "key_set_url": f"{self.url}/jwks",
        }

    def _registration(self) -> Registration:
        registration = Registration()
        registration.set_iss(self.issuer).set_client_id(self.client_id).set_deployment_id(self.deployment_id)
        registration.set_oidc_login_url(f"{self.tool_url}/lti/login")
        registration.set_launch_url(f"{self.tool_url}/lti/launch")
        registration.set_deeplink_launch_url(f"{self.tool_url}/lti/launch")
        registration.set_platform_public_key(self.public_pem).set_platform_private_key(self.private_pem)
        registration.set_tool_key_set_url(f"{self.tool_url}/lti/jwks")
        return registration

    def _conf(self) -> _Conf:
        return _Conf(registration=self._registration())

    # ------------------------------------------------------------ starting a launch

    def start_launch(self, who: str, *, link: str = "link-1", custom: dict[str, str] | None = None,
                     deep_link: bool = False, tamper: str = "", accept_multiple: bool = True) -> str:  # fmt: skip
        """Queue a launch and give the course page's URL that starts it (a browser opens it)."""
        hint = f"hint-{next(self._ids)}"
        self.launches[hint] = Launch(self.people[who], link, custom or {}, deep_link, tamper, accept_multiple)
        return f"{self.url}/course/launch/{hint}"

    def _make_app(self) -> Flask:
        app = Flask("lti_test_platform")
        platform = self

        @app.get("/jwks")
        def jwks() -> Response:
            return jsonify({"keys": platform._registration().get_jwks()})

        @app.get("/course/launch/<hint>")
        def course_launch(hint: str) -> str:
            launch = platform.launches.get(hint) or abort(404)
            login = _Login(None, platform._conf())
            login.set_lti_message_hint(hint=hint)
            url = login.prepare_preflight_url(launch.person.sub)
            action, _, query = url.partition("?")
            return auto_post(action, dict(parse_qsl(query)), "Opening the quiz")

        @app.route("/auth", methods=["GET", "POST"])
        def auth() -> str | tuple[str, int]:
            params = request.values
            launch = platform.launches.get(params.get("lti_message_hint", ""))
            if launch is None or params.get("login_hint") != launch.person.sub:
                return "unknown launch", 400
            if params.get("redirect_uri") != f"{platform.tool_url}/lti/launch" or params.get("scope") != "openid":
                return "redirect_uri not registered", 400
            return platform._launch_form(launch)

        @app.post("/token")
        def token() -> Response | tuple[Response, int]:
            form = dict(request.form.items())
            conf = platform._conf()
            try:
                assertion = jwt.decode(form.get("client_assertion", ""), options={"verify_signature": False})
                if assertion.get("aud") not in (f"{platform.url}/token", [f"{platform.url}/token"]):
                    raise ValueError("wrong audience")
                answer = conf.get_access_token(form)
            except Exception as exc:  # the tool's request was wrong: say so, as a platform would
                return jsonify(error="invalid_client", error_description=str(exc)), 400
            with platform._lock:
                platform.tokens_issued += 1
            return jsonify(answer)

        def bearer(*scopes: str) -> None:
            header = request.headers.get("Authorization", "")
            if not header.startswith("Bearer "):
                abort(401)
            conf = platform._conf()
            conf.get_registration()
            try:
                if not conf.validate_token(header[len("Bearer "):], allowed_scopes=list(scopes)):
                    abort(403)
            except Exception:
                abort(401)

        @app.route("/ags/<course>/lineitems", methods=["GET", "POST"])
        def line_items(course: str) -> Response | tuple[Response, int]:
            if request.method == "GET":
                bearer(LINEITEM_SCOPE)
                wanted = request.args.get("resource_id")
                items = [i for i in platform.line_items.values() if not wanted or i.get("resourceId") == wanted]
                return jsonify(items)
            bearer(LINEITEM_SCOPE)
            if request.content_type != "application/vnd.ims.lis.v2.lineitem+json":
                return jsonify(error="wrong content type"), 415
            return jsonify(platform._new_line_item(course, request.get_json(force=True))), 201

        @app.post("/ags/<course>/lineitems/<int:number>/scores")
        def scores(course: str, number: int) -> Response | tuple[Response, int]:
            bearer(SCORE_SCOPE)
            item_id = f"{platform.url}/ags/{course}/lineitems/{number}"
            if item_id not in platform.line_items:
                return jsonify(error="no such line item"), 404
            if request.content_type != "application/vnd.ims.lis.v1.score+json":
                return jsonify(error="wrong content type"), 415
            score = request.get_json(force=True)
            learners = {p.sub for p in platform.people.values() if p.roles == LEARNER}
            if score.get("userId") not in learners:  # as Moodle: only gradable users take scores
                return jsonify(error="user is not gradable"), 400
            with platform._lock:
                platform.scores.append((item_id, score))
            return jsonify({}), 200

        @app.get("/nrps/<course>/memberships")
        def memberships(course: str) -> Response:
            bearer(NRPS_SCOPE)
            members = [
                {"user_id": p.sub, "name": p.name, "email": p.email, "roles": p.roles, "status": "Active"}
                for p in platform.people.values()
                if p.roles
            ]
            return jsonify({"id": request.url, "context": {"id": course, "title": "Deep Learning"}, "members": members})

        @app.post("/deep-link-return")
        def deep_link_return() -> str | tuple[str, int]:
            conf = platform._conf()
            conf.get_registration()
            try:
                items = conf.validate_deeplinking_resp({"JWT": request.form.get("JWT", "")})
            except Exception as exc:
                return f"refused: {html.escape(str(exc))}", 400
            for item in items:
                if item.get("lineItem"):
                    platform._new_line_item(COURSE, item["lineItem"])
            platform.deep_linked.extend(items)
            titles = ", ".join(html.escape(str(i.get("title"))) for i in items)
            return f"<!doctype html><html lang='en'><title>Course</title><h1>Added: {titles}</h1></html>"

        return app

    def _new_line_item(self, course: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            item = dict(body) | {"id": f"{self.url}/ags/{course}/lineitems/{len(self.line_items) + 1}"}
            self.line_items[item["id"]] = item
        return item

    def _launch_form(self, launch: Launch) -> str:
        platform = self

        class _Message(LTIAdvantageMessageLaunchAbstract):
            def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> str:
                fields = {"id_token": launch_data["id_token"], "state": launch_data["state"]}
                return auto_post(launch_data["launch_url"], fields, "Opening the quiz")

            def generate_launch_request(self) -> Any:
                if launch.tamper != "wrong_signature":
                    return super().generate_launch_request()
                message, state = self.get_launch_data()
                kid = JWK.from_pem(platform.private_pem.encode()).thumbprint()
                forged = Registration.encode_and_sign(message, platform.other_private_pem, {"kid": kid}, 300)
                return {"state": state, "id_token": forged}

        message = _Message(_PreflightRequest(), self._conf())
        person = launch.person
        roles = [] if launch.tamper == "missing_role" else person.roles
        message.set_user_data(person.sub, roles, person.name, person.email)
        message.set_resource_link_claim(launch.link_id, title="Quiz")
        message.set_launch_context_claim(COURSE, context_title="Deep Learning", context_label="DL")
        message.set_launch_presentation_claim(document_target="window", return_url=f"{self.url}/course")
        if launch.custom:
            message.set_custom_parameters_claim(launch.custom)
        message.set_ags(f"{self.url}/ags/{COURSE}/lineitems")
        message.set_nrps(f"{self.url}/nrps/{COURSE}/memberships")
        if launch.deep_link:
            message.set_dl(f"{self.url}/deep-link-return", title="Add a quiz", accept_types={"ltiResourceLink"})
            settings = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
            message._deep_linking_launch_data[settings]["accept_multiple"] = launch.accept_multiple
        if launch.tamper == "expired":
            message.set_id_token_expiration(-300)
        if launch.tamper == "unknown_deployment":
            message.set_extra_claims({"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "deployment-x"})
        if launch.tamper == "wrong_audience":
            message.set_extra_claims({"aud": "someone-else", "azp": "someone-else"})
        return message.lti_launch()

    # ------------------------------------------------------------ what the tests read

    def scores_for(self, sub: str) -> list[tuple[str, dict[str, Any]]]:
        return [(item, score) for item, score in self.scores if score.get("userId") == sub]


def form_fields(page: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the page's auto-posting form (else its first form)."""
    import re

    start = re.search(r'<form[^>]*(id="auto"|data-autosubmit)', page) or re.search(r"<form", page)
    assert start, page[:500]
    form = page[start.start(): page.index("</form>", start.start())]
    action = re.search(r'action="([^"]*)"', form)
    assert action, form[:500]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    return html.unescape(action.group(1)), {k: html.unescape(v) for k, v in fields.items()}


def same_origin(a: str, b: str) -> bool:
    return urlsplit(a)[:2] == urlsplit(b)[:2]


def now() -> int:
    return int(time.time())


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
