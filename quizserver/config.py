"""Configuration: defaults here, overrides from QUIZ_* environment variables, then a test mapping."""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, Any] = {
    "ENV": "production",  # production | development | testing
    "DATABASE_URL": None,  # None -> SQLite in the instance folder
    "SECRET_KEY": None,
    "ENROLLMENT_KEY": "",  # empty: anyone may sign up (while sign-up is open)
    "SIGNUP_OPEN": True,
    "QUESTIONS_DIR": str(PROJECT_ROOT / "questions"),
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOGIN_LIMIT": "10 per 5 minutes",  # posts of sign-up and the password forms, per address
    # Failed log-ins (quizserver/throttle.py): free ones per account and address, and per address; past
    # them each failure doubles the wait before the next try, from 1 second up to LOGIN_MAX_WAIT seconds.
    "LOGIN_FREE_FAILURES": 5,
    "LOGIN_ADDRESS_FREE_FAILURES": 50,
    "LOGIN_MAX_WAIT": 300,
    # Per signed-in student (quiz/routes.py): far above what a person sends, far below a script's flood.
    "ANSWER_LIMIT": "60 per minute",
    "NEW_NUMBERS_LIMIT": "30 per minute",
    "REVEAL_LIMIT": "30 per minute",
    "POOL_VARIANTS": 200,  # verified variants per question, computed at sync
    "COURSE_TITLE": "Introduction to Deep Learning",
    # IANA zone every shown or exported time is in (quizserver/localtime.py); UTC unless set, never the
    # server's own zone, which differs between hosts and containers.
    "TIMEZONE": "UTC",
    "SANDBOX": "jail",  # jail | unconfined: instructor code in the bubblewrap jail, or not (docs/security.md)
    # LTI (quizserver/lti): send a counted answer's week score right after the response; false leaves it to
    # `flask lti drain --loop` (the grade worker). Queued either way, so nothing is lost.
    "LTI_PUSH_AFTER_RESPONSE": True,
    # Spaced review (quizserver/review.py): days until a question comes back, one per Leitner box; a
    # question solved only on this counted attempt or later comes into review like a missed one.
    "REVIEW_INTERVALS": "1,3,7,14,30",
    "REVIEW_AFTER_TRIES": 3,
    # Exam admission (quizserver/admission.py): a closed week is passed with at least PASS_THRESHOLD
    # percent of its points; ALLOWED_FAILS weeks may be failed; ADMISSION_WEEKS: all | none | e.g. 1-10,12
    "PASS_THRESHOLD": 50.0,
    "ALLOWED_FAILS": 2,
    "ADMISSION_WEEKS": "all",
}

_BOOL_TRUE = {"1", "true", "yes", "on"}


def _coerce(default: Any, raw: str) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in _BOOL_TRUE
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def from_environment(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Every DEFAULTS key can be set as QUIZ_<KEY>; values are coerced to the default's type."""
    settings = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        raw = environ.get(f"QUIZ_{key}")
        if raw is not None:
            settings[key] = _coerce(default, raw)
    if environ.get("QUIZ_DEBUG", "").lower() in _BOOL_TRUE and "QUIZ_ENV" not in environ:
        settings["ENV"] = "development"
    return settings


def sqlite_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "quizserver.sqlite3")


class InsecureConfiguration(RuntimeError):
    pass


def shared_limiter_problem(settings: Mapping[str, Any], workers: int) -> str | None:
    """Why several workers must not count log-in failures in memory, or None: each would count alone."""
    storage = str(settings["RATELIMIT_STORAGE_URI"])
    if settings["ENV"] != "production" or workers <= 1 or not storage.startswith("memory://"):
        return None
    return (
        f"{workers} workers with QUIZ_RATELIMIT_STORAGE_URI={storage}: each worker would count failed log-ins "
        "on its own, allowing each guesser that many times more tries. Set QUIZ_RATELIMIT_STORAGE_URI to a "
        "storage the workers share, e.g. redis://127.0.0.1:6379 (docs/deploy.md), or run one worker."
    )


def resolve_secret_key(settings: Mapping[str, Any], instance_path: str, *, cli: bool) -> str:
    """A production server refuses to start without QUIZ_SECRET_KEY; nothing guessable is ever used.

    Development keeps a random key in the instance folder so sessions survive restarts; a flask CLI
    command that serves no sessions gets a throwaway random key.
    """
    key = settings.get("SECRET_KEY")
    if key:
        if len(key) < 16 and settings["ENV"] == "production":
            raise InsecureConfiguration("QUIZ_SECRET_KEY is too short: use at least 32 random characters")
        return str(key)
    if settings["ENV"] == "testing":
        return secrets.token_hex(32)
    if settings["ENV"] == "development":
        path = Path(instance_path) / "secret_key"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        return path.read_text().strip()
    if cli:
        return secrets.token_hex(32)
    raise InsecureConfiguration(
        "QUIZ_SECRET_KEY is not set. Set it to a long random value, e.g. "
        "`export QUIZ_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')`, "
        "or run the development server with `python app.py`."
    )
