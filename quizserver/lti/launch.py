"""Validating a launch: pylti1p3's checks, made strict where the library is lenient, and why a launch is refused.

pylti1p3 checks the state cookie, the JWT format, the nonce, the registration, the signature against the
platform's JWKS, the deployment and the message claims. It decodes with `verify_aud` off and requires no
`exp`; `StrictMessageLaunch` decodes with the audience and issuer given and `exp` and `iat` required, makes
the state and the nonce single-use (`storage.OneTimeSessionService`), and reads the claims this tool uses.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from pylti1p3.contrib.flask import FlaskMessageLaunch
from pylti1p3.exception import (
    LtiException,
    LtiInvalidNonceException,
    LtiKeyException,
    LtiMessageValidationException,
    OIDCException,
)

from ..grading.messages import N_
from ..models import Role

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
CLOCK_SKEW = 30  # seconds of difference between the platform's clock and ours that a launch survives


@dataclass(frozen=True)
class LaunchRefused(Exception):
    """A launch this tool will not accept: the page says why and what to do, with a 400 or 403."""

    status: int
    title: str
    advice: str

    def __str__(self) -> str:
        return f"{self.status} {self.title}"


class StateCookieMissing(LtiMessageValidationException):
    pass


class StrictMessageLaunch(FlaskMessageLaunch):
    def validate_state(self) -> StrictMessageLaunch:
        state = self._get_request_param("state")
        if not state:
            raise LtiMessageValidationException("Missing state param")
        if self._cookie_service.get_cookie(state) != state:
            raise StateCookieMissing("State cookie not found")
        if not self._session_service.consume_state(state):
            raise LtiInvalidNonceException("State already used or expired")
        return self

    def get_public_key(self) -> tuple[str, str]:
        """The platform's key for the token's kid; a kid missing from the cached key set fetches the set again
        (the platform rotated its keys), so a rotation never refuses launches until the cache expires."""
        try:
            return super().get_public_key()
        except LtiKeyException as error:
            if "Unable to find public key" not in str(error) or self._public_key_cache_data_storage is None:
                raise
        assert self._registration is not None
        self._public_key_cache_data_storage = None
        self._registration.set_key_set(None)
        return super().get_public_key()

    def validate_jwt_signature(self) -> StrictMessageLaunch:
        assert self._registration is not None
        public_key, algorithm = self.get_public_key()
        try:
            body = jwt.decode(
                self._get_id_token(),
                public_key,
                algorithms=[algorithm],
                audience=self._registration.get_client_id(),
                issuer=self._registration.get_issuer(),
                leeway=CLOCK_SKEW,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise LtiMessageValidationException("expired") from exc
        except jwt.InvalidTokenError as exc:
            raise LtiMessageValidationException(f"Can't decode id_token: {exc}") from exc
        audience = body.get("aud")
        if isinstance(audience, list) and len(audience) > 1 and body.get("azp") != self._registration.get_client_id():
            raise LtiMessageValidationException("Can't decode id_token: azp is not this tool")
        return self


_AGAIN = N_("Go back to the course page and open the activity again.")
_NOT_REGISTERED = LaunchRefused(
    403, N_("This course platform is not registered"),
    N_("An instructor must add the platform under LMS platforms first."),
)  # fmt: skip
_REFUSALS: Sequence[tuple[str, LaunchRefused]] = (
    ("expired", LaunchRefused(403, N_("This launch has expired"), _AGAIN)),
    ("Can't decode id_token", LaunchRefused(
        403, N_("The launch's signature is not valid"),
        N_("The course platform's message could not be verified. If this happens again, tell your instructor "
           "(the platform's keys may have changed)."),
    )),
    ("Unable to find public key", LaunchRefused(
        403, N_("The launch's signature is not valid"),
        N_("The platform signed with a key it does not publish. Tell your instructor."),
    )),
    ("Registration not found", _NOT_REGISTERED),
    ("Client id not registered", _NOT_REGISTERED),
    ("deployment ID", LaunchRefused(
        403, N_("Unknown deployment"),
        N_("The platform's deployment id is not registered here. An instructor can add it under LMS platforms."),
    )),
)  # fmt: skip
_REPLAY = LaunchRefused(
    403, N_("This launch was already used"),
    N_("A launch works once. Go back to the course page and open the activity again."),
)  # fmt: skip
_NO_COOKIE = LaunchRefused(
    403, N_("Your browser did not keep this tool's cookie"),
    N_("This happens when the tool is opened inside the course page. Ask your instructor to set the activity to "
       "open in a new window, or open the activity again."),
)  # fmt: skip
_MALFORMED = LaunchRefused(400, N_("This launch could not be read"), _AGAIN)


def refusal(error: Exception) -> LaunchRefused:
    """What a failed validation means to the person who launched."""
    if isinstance(error, LaunchRefused):
        return error
    if isinstance(error, StateCookieMissing):
        return _NO_COOKIE
    if isinstance(error, LtiInvalidNonceException):
        return _REPLAY
    message = str(error)
    for fragment, refused in _REFUSALS:
        if fragment in message:
            return refused
    return _MALFORMED


LAUNCH_ERRORS = (LtiException, OIDCException, LaunchRefused, ValueError, TypeError, AttributeError, KeyError)


# ---------------------------------------------------------------- roles


def _role_parts(role: str) -> tuple[str, str, str]:
    """(kind, principal, sub-role) of an LTI role URI or simple name: membership/institution/system."""
    if not role.startswith(LIS):
        return ("membership", role, "") if "/" not in role and "#" not in role else ("", "", "")
    path, _, name = role[len(LIS):].partition("#")
    kind, _, principal = path.partition("/")
    if kind == "membership" and principal:  # membership/Instructor#TeachingAssistant: a sub-role
        return kind, principal, name
    return kind, name, ""


def role_from_claims(roles: Sequence[str]) -> Role | None:
    """The account role for a launch's roles, or None when none applies (a launch without one is refused).

    Only course (membership) roles count: Moodle sends institution roles (Administrator) even to someone who
    is a student in the course. A teaching assistant is staff even when the platform also says Instructor.
    """
    parts = [_role_parts(r) for r in roles if isinstance(r, str)]
    course = [(principal, sub) for kind, principal, sub in parts if kind == "membership"]
    if any(sub == "TeachingAssistant" or principal == "TeachingAssistant" for principal, sub in course):
        return Role.STAFF
    if any(principal in ("Instructor", "Administrator") and not sub for principal, sub in course):
        return Role.INSTRUCTOR
    if any(principal == "Learner" for principal, _ in course):
        return Role.STUDENT
    return None


# ---------------------------------------------------------------- what the tool reads from a launch


@dataclass(frozen=True)
class LaunchClaims:
    issuer: str
    subject: str
    deployment_id: str
    role: Role | None
    email: str
    name: str
    message_type: str
    context_id: str
    context_title: str
    lineitems_url: str | None
    ags_scopes: tuple[str, ...]
    memberships_url: str | None
    week: int | None

    @property
    def is_deep_link(self) -> bool:
        return self.message_type == "LtiDeepLinkingRequest"


def _text(value: Any, limit: int = 255) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def week_from_custom(custom: Any) -> int | None:
    """The week a resource link opens: its custom parameter `week` (set by deep linking, or by hand)."""
    raw = custom.get("week") if isinstance(custom, Mapping) else None
    text = str(raw).strip() if isinstance(raw, str | int) else ""
    return int(text) if text.isdigit() and 0 < int(text) < 1000 else None


def read_claims(body: Mapping[str, Any]) -> LaunchClaims:
    context = body.get(CLAIM + "context") or {}
    ags = body.get(AGS_CLAIM) or {}
    nrps = body.get(NRPS_CLAIM) or {}
    name = _text(body.get("name"), 200) or " ".join(
        p for p in (_text(body.get("given_name"), 100), _text(body.get("family_name"), 100)) if p
    )
    roles = body.get(CLAIM + "roles")
    scopes = ags.get("scope") if isinstance(ags, Mapping) else None
    return LaunchClaims(
        issuer=_text(body.get("iss")),
        subject=_text(body.get("sub")),
        deployment_id=_text(body.get(CLAIM + "deployment_id")),
        role=role_from_claims(roles) if isinstance(roles, list) else None,
        email=_text(body.get("email"), 254),
        name=name,
        message_type=_text(body.get(CLAIM + "message_type")),
        context_id=_text(context.get("id")) if isinstance(context, Mapping) else "",
        context_title=_text(context.get("title") or context.get("label")) if isinstance(context, Mapping) else "",
        lineitems_url=_text(ags.get("lineitems"), 1000) or None if isinstance(ags, Mapping) else None,
        ags_scopes=tuple(s for s in scopes if isinstance(s, str)) if isinstance(scopes, list) else (),
        memberships_url=_text(nrps.get("context_memberships_url"), 1000) or None if isinstance(nrps, Mapping) else None,
        week=week_from_custom(body.get(CLAIM + "custom")),
    )
