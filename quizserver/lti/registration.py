"""LTI Dynamic Registration (1EdTech LTI-DR 1.0): a platform's administrator pastes the tool's registration link
into the platform (Moodle 4.x: Manage tools → Tool URL → Add LTI Advantage), the platform opens it with
`openid_configuration` and `registration_token`, and the tool registers itself and stores the platform.

From pylti1p3 (`pylti1p3.dynamic_registration.DynamicRegistration`): the tool configuration it posts
(`lti_registration_data`) and the registration call (`register`: the bearer token, the POST, the refused answer).
Written here: the checks on the platform's OpenID configuration (HTTPS, the issuer and the registration endpoint
on the configuration's host, the fields this tool needs), storing the platform with `platforms.add_platform`,
the refusals a person can read, and the one-time registration links (`LtiRegistrationKey`) that keep strangers
from registering platforms.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

import requests
from flask import current_app, request, url_for
from pylti1p3.dynamic_registration import DynamicRegistration
from pylti1p3.exception import LtiException, LtiServiceException
from sqlalchemy import CursorResult, delete, select, update

from ..extensions import db
from ..grading.messages import N_
from ..localtime import as_utc
from ..models import LtiPlatform, LtiRegistrationKey, utcnow
from .platforms import PlatformError, PlatformSpec, add_platform
from .services import http_session

LINK_LIFETIME = timedelta(days=1)  # a registration link works this long, once
MAX_KEY_LENGTH = 100
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
REQUIRED_FIELDS = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}  # plain http only here: tests and a platform on the same machine
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
TOOL_CLAIMS = ["iss", "sub", "name", "given_name", "family_name", "email"]


@dataclass
class RegistrationRefused(Exception):
    """Why a registration did not happen, for the page: a title, advice with its values, an HTTP status."""

    status: int
    title: str
    advice: str
    values: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.advice % self.values if self.values else self.advice}"


def _refused(http_status: int, title: str, advice: str, /, **values: str) -> RegistrationRefused:
    return RegistrationRefused(http_status, title, advice, {k: v[:300] for k, v in values.items()})


_NEW_LINK = N_("Ask an instructor of the quiz server for a new registration link (LMS platforms page, or "
               "`flask --app app lti registration-url`).")  # fmt: skip
_UNUSABLE = N_("The platform's configuration is not usable")


# ---------------------------------------------------------------- one-time registration links


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def issue_registration_key(*, created_by_id: int | None = None, lifetime: timedelta = LINK_LIFETIME,
                           now: datetime | None = None) -> str:  # fmt: skip
    """A new single-use key; only its digest is stored, so the link is shown once.

    Links that expired unused are deleted then: they can do nothing. Used ones stay, naming their platform."""
    key = secrets.token_urlsafe(32)
    created = now or utcnow()
    db.session.execute(
        delete(LtiRegistrationKey)
        .where(LtiRegistrationKey.used_at.is_(None), LtiRegistrationKey.expires_at < created)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    db.session.add(LtiRegistrationKey(
        key_hash=_digest(key), created_at=created, expires_at=created + lifetime, created_by_id=created_by_id,
    ))  # fmt: skip
    db.session.flush()
    return key


def registration_url(key: str) -> str:
    return url_for("lti.register", key=key, _external=True)


def check_registration_key(key: str, now: datetime | None = None) -> LtiRegistrationKey:
    """The key's row if it may still register a platform; else why not (unknown, used, expired)."""
    if not key:
        raise _refused(400, N_("This registration link is incomplete"), N_(
            "The link lacks its key. Paste the whole registration link into the platform's Tool URL field."))
    row = None if len(key) > MAX_KEY_LENGTH else db.session.scalar(
        select(LtiRegistrationKey).where(LtiRegistrationKey.key_hash == _digest(key))
    )
    if row is None:
        raise _refused(403, N_("This registration link is not valid"), _NEW_LINK)
    if row.used_at is not None:
        raise _refused(403, N_("This registration link was already used"), _NEW_LINK)
    if as_utc(row.expires_at) <= (now or utcnow()):
        raise _refused(403, N_("This registration link has expired"), _NEW_LINK)
    return row


def claim_registration_key(row_id: int, now: datetime | None = None) -> None:
    """Mark the key used, in its own transaction, so a second registration with it is refused at once."""
    moment = now or utcnow()
    result = cast(CursorResult[Any], db.session.execute(
        update(LtiRegistrationKey)
        .where(LtiRegistrationKey.id == row_id, LtiRegistrationKey.used_at.is_(None),
               LtiRegistrationKey.expires_at > moment)
        .values(used_at=moment)
        .execution_options(synchronize_session=False)
    ))  # fmt: skip
    db.session.commit()
    if result.rowcount != 1:
        raise _refused(403, N_("This registration link was already used"), _NEW_LINK)


def release_registration_key(row_id: int) -> None:
    """A registration that failed gives its key back: the administrator can try again with the same link."""
    db.session.execute(
        update(LtiRegistrationKey).where(LtiRegistrationKey.id == row_id).values(used_at=None)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    db.session.commit()


# ---------------------------------------------------------------- the platform's configuration


def allowed_address(url: str) -> bool:
    """HTTPS, or plain HTTP on this machine's loopback address (the tests' platform)."""
    parts = urlsplit(url)
    if not parts.hostname or " " in url:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)


def frame_origin(url: str) -> str | None:
    """The origin that may frame the registration page: the platform's (the configuration URL's)."""
    parts = urlsplit(url)
    if not allowed_address(url) or any(c in parts.netloc for c in ";,' \"\\"):
        return None
    return f"{parts.scheme}://{parts.netloc}"


def configuration_problems(configuration: Any, configuration_url: str) -> list[RegistrationRefused]:
    """Every reason the platform's OpenID configuration cannot be registered, as a refusal to show."""
    if not isinstance(configuration, dict):
        return [_refused(502, _UNUSABLE, N_("The platform's configuration address did not answer with a JSON "
                                            "object."))]  # fmt: skip
    missing = [name for name in (*REQUIRED_FIELDS, PLATFORM_CONFIGURATION) if not configuration.get(name)]
    if missing:
        return [_refused(502, _UNUSABLE, N_("The platform's configuration lacks %(fields)s."),
                         fields=", ".join(missing))]  # fmt: skip
    problems = []
    addresses = {name: configuration[name] for name in REQUIRED_FIELDS}
    for name, value in addresses.items():
        if not isinstance(value, str) or not allowed_address(value):
            problems.append(_refused(502, _UNUSABLE, N_("The platform's %(field)s is not an HTTPS address: %(value)s"),
                                     field=name, value=str(value)))  # fmt: skip
    if problems:
        return problems
    host = urlsplit(configuration_url).netloc
    if urlsplit(addresses["issuer"]).netloc != host:
        problems.append(_refused(502, _UNUSABLE, N_(
            "The platform's issuer %(issuer)s is not on the host of its configuration address (%(host)s)."),
            issuer=addresses["issuer"], host=host))  # fmt: skip
    if urlsplit(addresses["registration_endpoint"]).netloc != urlsplit(addresses["issuer"]).netloc:
        problems.append(_refused(502, _UNUSABLE, N_(
            "The platform's registration endpoint %(endpoint)s is not on the issuer's host."),
            endpoint=addresses["registration_endpoint"]))  # fmt: skip
    if len(addresses["issuer"]) > 255:
        problems.append(_refused(502, _UNUSABLE, N_("The platform's issuer is longer than 255 characters.")))
    return problems


def _platform_family(configuration: dict[str, Any]) -> str:
    family = (configuration.get(PLATFORM_CONFIGURATION) or {}).get("product_family_code", "")
    return family.strip()[:50] if isinstance(family, str) else ""


# ---------------------------------------------------------------- the registration


class QuizDynamicRegistration(DynamicRegistration):
    """pylti1p3's registration with this tool's addresses, scopes and messages, and the platform stored here."""

    def __init__(self, configuration_url: str, registration_token: str) -> None:
        self.configuration_url = configuration_url
        self.registration_token = registration_token
        self.client_name = current_app.config["QUIZ"]["COURSE_TITLE"]
        self.description = f"Quiz server: {self.client_name}"
        self.platform: LtiPlatform | None = None

    def get_request_session(self) -> requests.Session:
        return http_session()  # with a timeout: a platform that hangs must not hold a worker

    def get_initiate_login_uri(self) -> str:
        return url_for("lti.login", _external=True)

    def get_jwks_uri(self) -> str:
        return url_for("lti.jwks", _external=True)

    def get_target_link_uri(self) -> str:
        return url_for("lti.launch", _external=True)

    def get_redirect_uris(self) -> list[str]:
        return [self.get_target_link_uri()]

    def get_domain(self) -> str:
        return request.host

    def get_logo_uri(self) -> str:
        return url_for("static", filename="favicon.svg", _external=True)

    def get_scopes(self) -> list[str]:
        return [LINEITEM_SCOPE, SCORE_SCOPE, NRPS_SCOPE]

    def get_claims(self) -> list[str]:
        return list(TOOL_CLAIMS)

    def get_messages(self) -> list[dict[str, str]]:
        launch = self.get_target_link_uri()
        return [
            {"type": "LtiResourceLinkRequest", "target_link_uri": launch},
            {"type": "LtiDeepLinkingRequest", "target_link_uri": launch, "label": self.client_name[:100]},
        ]

    def get_openid_configuration_endpoint(self) -> str:
        return self.configuration_url

    def get_registration_token(self) -> str:
        return self.registration_token

    def get_openid_configuration(self) -> dict[str, Any]:
        """The platform's configuration, checked before anything is posted to it."""
        with self.get_request_session() as session:
            response = session.get(
                self.configuration_url, headers={"Accept": "application/json"}, allow_redirects=False
            )
        if not response.ok:
            raise _refused(502, N_("The platform could not be reached"), N_(
                "Its configuration address answered with HTTP %(status)s."), status=str(response.status_code))
        try:
            configuration = response.json()
        except ValueError:
            configuration = None
        problems = configuration_problems(configuration, self.configuration_url)
        if problems:
            raise problems[0]
        return cast(dict[str, Any], configuration)

    def complete_registration(self, openid_configuration: dict[str, Any],
                              openid_registration: dict[str, Any]) -> LtiPlatform:  # fmt: skip
        """Store what the platform answered, in the table `flask lti add-platform` writes."""
        client_id = openid_registration.get("client_id")
        tool = openid_registration.get(TOOL_CONFIGURATION)
        deployment_id = tool.get("deployment_id") if isinstance(tool, dict) else None
        if not isinstance(client_id, str) or not client_id.strip():
            raise _refused(502, N_("The platform's answer is not usable"), N_("It sent no client ID."))
        if not isinstance(deployment_id, str | int) or not str(deployment_id).strip():
            raise _refused(502, N_("The platform's answer is not usable"), N_(
                "It sent no deployment ID. Register the platform by hand on the LMS platforms page with the "
                "values the platform shows for the tool."))  # fmt: skip
        issuer = openid_configuration["issuer"]
        family = _platform_family(openid_configuration)
        existing = db.session.scalar(
            select(LtiPlatform).where(LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id.strip())
        )
        spec = PlatformSpec(
            issuer=issuer, client_id=client_id.strip(), deployment_ids=(str(deployment_id).strip(),),
            auth_login_url=openid_configuration["authorization_endpoint"],
            auth_token_url=openid_configuration["token_endpoint"], key_set_url=openid_configuration["jwks_uri"],
            name=f"{family.title() or 'LMS'} ({urlsplit(issuer).netloc})",
            # emails stay untrusted until an instructor says otherwise; ILIAS's grade service is incomplete
            trust_emails=existing.trust_emails if existing else False,
            send_grades=existing.send_grades if existing else family.lower() != "ilias",
        )  # fmt: skip
        try:
            self.platform, _new = add_platform(spec)
        except PlatformError as error:
            raise _refused(502, N_("The platform's answer is not usable"), "%(problem)s", problem=str(error)) from error
        return self.platform


def register_platform(key: str, configuration_url: str, registration_token: str) -> LtiPlatform:
    """The whole registration for `/lti/register`: the link's key, the platform's configuration, the POST, the row.

    Raises `RegistrationRefused`; then nothing is stored and the key can be used again.
    """
    row_id = check_registration_key(key).id
    if not configuration_url or not registration_token:
        raise _refused(400, N_("This page is opened by the platform"), N_(
            "Paste this link into the platform's tool registration (Moodle: Site administration → Plugins → "
            "Activity modules → External tool → Manage tools → Tool URL → Add LTI Advantage); the platform "
            "opens it with what the registration needs."))  # fmt: skip
    if not allowed_address(configuration_url) or len(configuration_url) > 1000:
        raise _refused(400, N_("The platform's address is not accepted"), N_(
            "The platform must be reached over HTTPS, not at %(url)s."), url=configuration_url)  # fmt: skip
    claim_registration_key(row_id)
    registration = QuizDynamicRegistration(configuration_url, registration_token)
    try:
        registration.register()  # pylti1p3: posts the tool's configuration, then calls complete_registration
        platform = registration.platform
        assert platform is not None
        db.session.execute(
            update(LtiRegistrationKey).where(LtiRegistrationKey.id == row_id).values(platform_id=platform.id)
        )
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        release_registration_key(row_id)
        raise _registration_refusal(error, configuration_url) from error
    return platform


def _registration_refusal(error: Exception, configuration_url: str) -> RegistrationRefused:
    """What a failed registration means to the administrator watching it."""
    if isinstance(error, RegistrationRefused):
        return error
    if isinstance(error, LtiServiceException):  # the registration POST (the configuration's GET is checked above)
        answer = error.response.text.strip()[:300]
        if not error.response.ok:
            return _refused(502, N_("The platform refused the registration"), N_(
                "It answered HTTP %(status)s: %(answer)s. The registration may have expired or been used already: "
                "start it again in the platform."), status=str(error.response.status_code), answer=answer)  # fmt: skip
        return _refused(502, N_("The platform's answer is not usable"), N_("It is not JSON: %(answer)s"), answer=answer)
    if isinstance(error, requests.RequestException):
        return _refused(502, N_("The platform could not be reached"), N_(
            "The quiz server could not connect to %(url)s (%(reason)s). Check that the platform's address is "
            "reachable from the quiz server."), url=configuration_url, reason=type(error).__name__)  # fmt: skip
    if isinstance(error, AssertionError):  # pylti1p3's check that the answer carries the tool configuration claim
        return _refused(502, N_("The platform's answer is not usable"), N_(
            "It is not an LTI tool configuration (it lacks %(claim)s)."), claim=TOOL_CONFIGURATION)  # fmt: skip
    if isinstance(error, LtiException | ValueError | KeyError | TypeError | AttributeError):
        return _refused(502, N_("The platform's answer is not usable"), "%(problem)s", problem=str(error))
    raise error
