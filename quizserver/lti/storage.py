"""pylti1p3's launch storage in the database: launch data, nonces and OIDC states seen by every worker.

pylti1p3 ships a cache-backed storage (`FlaskCacheDataStorage`) that wants an object with get/set; `DatabaseCache`
is that object, over the `lti_cache` table. `OneTimeSessionService` makes a nonce and a state single-use:
pylti1p3's own `check_nonce` only asks whether the nonce exists, so a replayed launch would pass.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from pylti1p3.contrib.flask import FlaskCacheDataStorage, FlaskSessionService
from sqlalchemy import CursorResult, delete, select

from ..extensions import db
from ..models import LtiCacheEntry, utcnow

LOGIN_LIFETIME = 600  # seconds between login initiation and launch: a state or nonce older than this is refused
LAUNCH_DATA_LIFETIME = 2 * 3600  # a deep-link choice must be made within this


class DatabaseCache:
    """get/set/delete with expiry over `lti_cache`; writes flush, the view commits."""

    def __init__(self, now: datetime | None = None) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now or utcnow()

    def get(self, key: str) -> Any:
        return db.session.scalar(
            select(LtiCacheEntry.value).where(LtiCacheEntry.key == key, LtiCacheEntry.expires_at > self.now())
        )

    def set(self, key: str, value: Any, exp: int | None = None) -> None:
        expires = self.now() + timedelta(seconds=exp or LAUNCH_DATA_LIFETIME)
        entry = db.session.get(LtiCacheEntry, key)
        if entry is None:
            db.session.add(LtiCacheEntry(key=key, value=value, expires_at=expires))
        else:
            entry.value, entry.expires_at = value, expires
        db.session.flush()

    def consume(self, key: str) -> bool:
        """Delete an unexpired key; True only for the one request that deleted it (the database decides)."""
        result = cast(
            CursorResult[Any],
            db.session.execute(
                delete(LtiCacheEntry)
                .where(LtiCacheEntry.key == key, LtiCacheEntry.expires_at > self.now())
                .execution_options(synchronize_session=False)
            ),
        )
        return result.rowcount == 1

    def purge_expired(self) -> None:
        db.session.execute(
            delete(LtiCacheEntry).where(LtiCacheEntry.expires_at <= self.now()).execution_options(
                synchronize_session=False
            )
        )


class DatabaseLaunchStorage(FlaskCacheDataStorage):
    """pylti1p3's cache storage over `DatabaseCache`, with a single-use `consume`."""

    def __init__(self, cache: DatabaseCache | None = None) -> None:
        super().__init__(cache or DatabaseCache())

    def consume(self, key: str) -> bool:
        return bool(self._get_cache().consume(self._prepare_key(key)))


class OneTimeSessionService(FlaskSessionService):
    """Nonces and states live for LOGIN_LIFETIME seconds and can be used once."""

    def save_nonce(self, nonce: str) -> None:
        self.data_storage.set_value(self._get_key("nonce", nonce), True, exp=LOGIN_LIFETIME)

    def check_nonce(self, nonce: str) -> bool:
        return self._consume(self._get_key("nonce", nonce))

    def save_state_params(self, state: str, params: dict[str, object]) -> None:
        self.data_storage.set_value(self._get_key(state), params, exp=LOGIN_LIFETIME)

    def consume_state(self, state: str) -> bool:
        return self._consume(self._get_key(state))

    def _consume(self, key: str) -> bool:
        storage = self.data_storage
        if isinstance(storage, DatabaseLaunchStorage):
            return storage.consume(key)
        raise TypeError("a launch needs the database storage: a one-time check is impossible elsewhere")
