"""Throttling in the rate limiter's storage, which every worker shares: failed log-ins, and each student's writes.

Writes (answers, new numbers, reveals) are counted per signed-in student, not per address: a lecture hall
shares one address. `per_student` counts the request once and refuses it with 429 and the seconds to wait.

Failures are counted per account and address, and per address (all accounts together, with a higher
bound: a lecture hall shares one address). Past its free failures, each further failure makes that pair,
or that address, wait before the next try: 1 second, then 2, 4, ... up to `LOGIN_MAX_WAIT`. A guesser
slows to a crawl, while a log-in from an address that has not failed is never held back by failures
elsewhere, and a correct password clears its pair's count.
"""
from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from flask import current_app, request
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from limits import RateLimitItem
from limits import parse as parse_limit
from werkzeug.exceptions import TooManyRequests

from .accounts import normalize_email
from .extensions import limiter

FAILURE_MEMORY = 3600  # seconds: the counts start afresh an hour after their first failure


@dataclass(frozen=True)
class Wait:
    seconds: int
    for_account: bool  # the pair waits (False: the whole address waits)


def _keys(email: str, address: str) -> tuple[str, str]:
    return f"login-failures/{address}/{normalize_email(email)}", f"login-failures/{address}"


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _storage() -> Any:
    return limiter.storage


def current_wait(email: str) -> Wait | None:
    """The wait the request's address (for this email, or for any) must still sit out, if any."""
    if not _enabled():
        return None
    storage = _storage()
    pair, address = _keys(email, request.remote_addr or "")
    for key, for_account in ((pair, True), (address, False)):
        if storage.get(f"{key}/wait"):
            return Wait(max(1, math.ceil(storage.get_expiry(f"{key}/wait") - time.time())), for_account)
    return None


def record_failure(email: str) -> None:
    if not _enabled():
        return
    settings = current_app.config["QUIZ"]
    storage = _storage()
    pair, address = _keys(email, request.remote_addr or "")
    for key, free in ((pair, settings["LOGIN_FREE_FAILURES"]), (address, settings["LOGIN_ADDRESS_FREE_FAILURES"])):
        beyond = storage.incr(key, FAILURE_MEMORY) - free
        if beyond >= 0:
            storage.clear(f"{key}/wait")  # a fresh key, so that it takes the new expiry
            storage.incr(f"{key}/wait", min(2 ** min(beyond, 20), settings["LOGIN_MAX_WAIT"]))


def record_success(email: str) -> None:
    """The pair's count starts again; the address's does not, or a guesser could clear it with their own account."""
    if _enabled():
        _storage().clear(_keys(email, request.remote_addr or "")[0])


P = ParamSpec("P")
R = TypeVar("R")


@functools.cache  # one parse per setting's text ("30 per minute"), not one per request
def _limit_item(text: str) -> RateLimitItem:
    return parse_limit(text)


def student_wait(setting: str, scope: str) -> int | None:
    """Count this request against the student's limit `setting` (a QUIZ setting such as ANSWER_LIMIT) in
    `scope`: None while within it, else the seconds until the next request is allowed."""
    if not _enabled():
        return None
    item = _limit_item(str(current_app.config["QUIZ"][setting]))
    identity = (scope, f"student:{current_user.id}")
    if limiter.limiter.hit(item, *identity):
        return None
    reset = limiter.limiter.get_window_stats(item, *identity).reset_time
    return max(1, math.ceil(reset - time.time()))


def per_student(setting: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A view's write limit, counted once per request for the signed-in student (put it under login_required).

    A refusal raises 429 with `retry_after`, which the blueprint's 429 handler turns into words. Flask-Limiter's
    own decorator would check the limit twice per request (once as middleware, once in the view)."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def limited(*args: P.args, **kwargs: P.kwargs) -> R:
            seconds = student_wait(setting, request.endpoint or view.__name__)
            if seconds is not None:
                raise TooManyRequests(retry_after=seconds)
            return view(*args, **kwargs)

        return limited

    return decorate


def seconds_to_wait(error: TooManyRequests) -> int:
    """How long a refused request must wait: until its limit's window resets (Flask-Limiter's refusals), or
    what the refusal says (the log-in throttle's). The reply says it in words and as `Retry-After`: with
    RATELIMIT_HEADERS_ENABLED off, Flask-Limiter adds no header of its own (it would cost every limited
    request two more reads of the shared storage for X-RateLimit-* headers nobody reads)."""
    current = limiter.current_limit if isinstance(error, RateLimitExceeded) else None
    if current is not None:
        return max(1, math.ceil(current.window.reset_time - time.time()))  # reset_at rounds up a second more
    return error.retry_after if isinstance(error.retry_after, int) else 60
