"""Log-in throttling: failed log-ins counted in the rate limiter's storage, which every worker shares.

Failures are counted per account and address, and per address (all accounts together, with a higher
bound: a lecture hall shares one address). Past its free failures, each further failure makes that pair,
or that address, wait before the next try: 1 second, then 2, 4, ... up to `LOGIN_MAX_WAIT`. A guesser
slows to a crawl, while a log-in from an address that has not failed is never held back by failures
elsewhere, and a correct password clears its pair's count.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from flask_limiter import RateLimitExceeded
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


def seconds_to_wait(error: TooManyRequests) -> int:
    """How long a refused request must wait: until its limit's window resets (Flask-Limiter's refusals), or
    what the refusal says (the log-in throttle's). The reply says it in words and as `Retry-After`: with
    RATELIMIT_HEADERS_ENABLED off, Flask-Limiter adds no header of its own (it would cost every limited
    request two more reads of the shared storage for X-RateLimit-* headers nobody reads)."""
    current = limiter.current_limit if isinstance(error, RateLimitExceeded) else None
    if current is not None:
        return max(1, math.ceil(current.window.reset_time - time.time()))  # reset_at rounds up a second more
    return error.retry_after if isinstance(error.retry_after, int) else 60
