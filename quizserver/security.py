"""Session loading, role checks and response headers."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, abort, request
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select

from .accounts import LOGIN_SESSION_LIFETIME, login_key_digest
from .extensions import db, login_manager
from .models import LoginSession, SignedInUser, User, utcnow

F = TypeVar("F", bound=Callable[..., Any])

_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def content_security_policy(**widened: str) -> str:
    """The site's policy; a page that must reach beyond it names the directive it widens, e.g.
    `content_security_policy(frame_ancestors="https://moodle.uni.example")`."""
    directives = _POLICY | {name.replace("_", "-"): sources for name, sources in widened.items()}
    return "; ".join(f"{name} {sources}" for name, sources in directives.items())


CONTENT_SECURITY_POLICY = content_security_policy()


# The browser's login session is joined in, so checking it costs no statement of its own.
_ACCOUNT = (
    select(User.id, User.email, User.name, User.role, User.active, User.session_version, User.language)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(User.id == bindparam("id"), LoginSession.key_hash == bindparam("key_hash"))
    .where(LoginSession.created_at > bindparam("oldest"))
)


@login_manager.user_loader
def load_user(session_id: str) -> SignedInUser | None:
    """The signed-in account, if the cookie's login session still exists: one light query, no ORM object."""
    user_id, _, rest = session_id.partition(":")
    version, _, login_key = rest.partition(":")
    if not user_id.isdigit() or not version.isdigit() or not login_key:
        return None
    params = {"id": int(user_id), "key_hash": login_key_digest(login_key), "oldest": utcnow() - LOGIN_SESSION_LIFETIME}
    row = db.session.connection().execute(_ACCOUNT, params).mappings().first()  # Core: no ORM object to build
    if row is None:
        return None
    account = SignedInUser(**row, login_key=login_key)
    # A deactivated account's sessions end at once, not when its cookie expires.
    if account.session_version != int(version) or not account.active:
        return None
    return account


def staff_required(view: F) -> F:
    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def instructor_required(view: F) -> F:
    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_instructor:
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def install_security(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see this page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @app.before_request
    def refuse_nul_characters() -> None:
        """No real form holds a NUL character, and PostgreSQL cannot store one: refuse it, never fail on it."""
        fields = (value for source in (request.args, request.form) for _, values in source.lists() for value in values)
        if "\x00" in request.path or any("\x00" in value for value in fields):
            abort(400, gettext("The request contains a character that is not allowed (NUL)."))

    @app.after_request
    def security_headers(response: Response) -> Response:
        policy = response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if "frame-ancestors 'none'" in policy:  # a page its LMS may frame (LTI registration) names it in its policy
            response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
