"""Session loading, role checks and response headers."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, abort, g, request
from flask_login import current_user, login_required
from sqlalchemy import bindparam, join, select

from .accounts import LOGIN_SESSION_LIFETIME, login_key_digest
from .extensions import db, login_manager
from .hotpath import HotStatement, request_connection
from .models import LoginSession, SignedInUser, User, utcnow
from .services import AnswerTarget, answer_target_from, with_answer_target
from .services import answer_target as read_answer_target

F = TypeVar("F", bound=Callable[..., Any])

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# The browser's login session is joined in, so checking it costs no statement of its own.
_LOGIN_SESSION = (
    (LoginSession.key_hash == bindparam("key_hash"))
    & (LoginSession.user_id == User.id)
    & (LoginSession.created_at > bindparam("oldest"))
)
_ACCOUNT = (
    select(User.id, User.email, User.name, User.role, User.active, User.session_version)
    .select_from(join(User, LoginSession, _LOGIN_SESSION))
    .where(User.id == bindparam("id"))
)
ACCOUNT_COLUMNS = len(_ACCOUNT.selected_columns)
_SIGNED_IN = HotStatement(_ACCOUNT)
_SIGNED_IN_ANSWERING = HotStatement(with_answer_target(_ACCOUNT, User.id))
ANSWER_ENDPOINT = "quiz.answer"


@login_manager.user_loader
def load_user(session_id: str) -> SignedInUser | None:
    """Every signed-in request reads the account and its login session: one light query, no ORM object.

    An answer's post reads the week's bank version and the student's state in the same query and
    leaves them in `g.answer_target` for the view (see `answer_target`). It needs no ORM object, so
    it reads on the request's Core connection (`hotpath.request_connection`), where it also writes."""
    user_id, _, rest = session_id.partition(":")
    version, _, login_key = rest.partition(":")
    if not user_id.isdigit() or not version.isdigit() or not login_key:
        return None
    params: dict[str, Any] = {
        "id": int(user_id), "key_hash": login_key_digest(login_key), "oldest": utcnow() - LOGIN_SESSION_LIFETIME,
    }  # fmt: skip
    view_args = request.view_args or {}
    answering = request.endpoint == ANSWER_ENDPOINT and request.method == "POST"
    if answering:
        params |= {"week": view_args["week"], "question_id": view_args["question_id"]}
        row = _SIGNED_IN_ANSWERING.first(request_connection(), params)
    else:
        row = _SIGNED_IN.first(db.session.connection(), params)
    if row is None:
        return None
    account = SignedInUser(*row[:ACCOUNT_COLUMNS], login_key=login_key)
    # A deactivated account's sessions end at once, not when its cookie expires.
    if account.session_version != int(version) or not account.active:
        return None
    if answering:
        g.answer_target = (account.id, params["week"], params["question_id"], answer_target_from(row[ACCOUNT_COLUMNS:]))
    return account


def answer_target(user_id: int, week: int, question_id: str) -> AnswerTarget:
    """What `services.answer_target` reads, taken from the sign-in's query when that read it already."""
    prefetched = g.pop("answer_target", None)
    if prefetched is not None and prefetched[:3] == (user_id, week, question_id):
        return prefetched[3]
    return read_answer_target(user_id, week, question_id)


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
            abort(400, "The request contains a character that is not allowed (NUL).")

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
