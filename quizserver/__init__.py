"""quizserver: self-assessment quizzes with randomized, numerically checked questions."""
from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, abort, render_template, request
from flask_babel import gettext, ngettext
from flask_limiter import RateLimitExceeded
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import TooManyRequests

from . import i18n, localtime, page_urls, postgres, sandbox, sqlite
from .accounts import LOGIN_SESSION_LIFETIME
from .config import PROJECT_ROOT, from_environment, resolve_secret_key, sqlite_url
from .extensions import csrf, db, limiter, login_manager, migrate
from .throttle import seconds_to_wait


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
    )
    settings = from_environment()
    settings.update({k: v for k, v in (config or {}).items() if k in settings})
    localtime.timezone_named(settings["TIMEZONE"])  # a misspelt QUIZ_TIMEZONE stops the start, not a page
    extra = {k: v for k, v in (config or {}).items() if k not in settings}
    sandbox.forbid_dumps()  # this process holds the secrets: no reading its memory or /proc/<pid>/environ
    sandbox.configure(settings["SANDBOX"], settings["ENV"])

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    running_cli = os.environ.get("FLASK_RUN_FROM_CLI") == "true"
    database_url = settings["DATABASE_URL"] or sqlite_url(app.instance_path)
    app.config.update(
        QUIZ=settings,
        TESTING=settings["ENV"] == "testing",
        DEBUG=settings["ENV"] == "development",
        SECRET_KEY=resolve_secret_key(settings, app.instance_path, cli=running_cli),
        SQLALCHEMY_DATABASE_URI=database_url,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["ENV"] == "production",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings["ENV"] == "production",
        REMEMBER_COOKIE_DURATION=LOGIN_SESSION_LIFETIME,
        WTF_CSRF_TIME_LIMIT=None,  # a quiz page may stay open for hours before an answer is sent
        RATELIMIT_STORAGE_URI=settings["RATELIMIT_STORAGE_URI"],
        RATELIMIT_HEADERS_ENABLED=False,  # a refusal says Retry-After itself (throttle.seconds_to_wait)
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    app.config.update(extra)

    db.init_app(app)
    if postgres.is_postgres(database_url):
        with app.app_context():
            postgres.install(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    app.before_request(_refuse_nameless_fields)  # before CSRFProtect, whose token search fails on a nameless field
    csrf.init_app(app)
    limiter.init_app(app)

    from . import admin, auth, instructor, media, quiz, staff
    from .admission import rule_from
    from .cli import lti_cli, quiz_cli, users_cli
    from .lti.routes import bp as lti_bp
    from .review import parse_intervals
    from .security import install_security

    rule_from(settings)  # a misread exam admission rule or review schedule stops the start, not a page
    parse_intervals(settings["REVIEW_INTERVALS"])

    app.register_blueprint(auth.bp)
    app.register_blueprint(quiz.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(instructor.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(lti_bp)  # its login and launch views are CSRF-exempt: the platform posts them
    app.cli.add_command(quiz_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(lti_cli)
    install_security(app)

    @app.get("/healthz")
    def healthz() -> tuple[dict[str, Any], int]:
        from .catalog import health

        report = health()
        return report, 200 if report["ok"] else 503

    @app.get("/ping")
    def ping() -> tuple[str, int, dict[str, str]]:
        """No database, no session: the ceiling bench/load.py measures the submit path against."""
        return "ok", 200, {"Content-Type": "text/plain"}

    for code in (400, 403, 404, 405, 409, 413, 429, 500):
        app.register_error_handler(code, _error_page)
    localtime.install_filters(app)
    i18n.install(app)  # after the time filters, which it puts in the reader's language
    page_urls.install(app)
    return app


def _refuse_nameless_fields() -> None:
    """Werkzeug reads a multipart part without a name under the name None; no form has one, so refuse it."""
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and (None in request.form or None in request.files):
        abort(400, gettext("A field of the form has no name."))


def _error_page(error: Any) -> tuple[str, int] | tuple[str, int, dict[str, str]]:
    code = getattr(error, "code", 500) or 500
    if code == 429:
        return _too_many_requests(error)
    description = getattr(error, "description", "") if code != 500 else ""
    if description == getattr(type(error), "description", None):
        description = ""  # Werkzeug's stock wording ("You don't have the permission..."): error.html says it better
    return render_template("error.html", code=code, description=description), code


def _too_many_requests(error: TooManyRequests) -> tuple[str, int, dict[str, str]]:
    """How long to wait, in words: never the raw limit ("10 per 5 minute") Flask-Limiter describes itself with."""
    if isinstance(error, RateLimitExceeded):
        description = gettext("Too many attempts from your network.")
    else:
        description = error.description or gettext("Too many attempts.")
    seconds = seconds_to_wait(error)
    minutes = math.ceil(seconds / 60)
    wait = ngettext("%(num)d second", "%(num)d seconds", seconds) if seconds < 120 else ngettext(
        "%(num)d minute", "%(num)d minutes", minutes)
    page = render_template("error.html", code=429, description=description, wait=wait)
    return page, 429, {"Retry-After": str(seconds)}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL and a busy timeout let several gunicorn workers share one SQLite file."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        sqlite.set_pragmas(dbapi_connection)
