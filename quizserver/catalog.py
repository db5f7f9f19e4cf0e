"""The banks being served: read from the database in every worker, parsed once per version."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, select, text

from .bank import Bank, load_bank
from .extensions import db
from .localtime import as_utc
from .models import BankVersion

# Keyed by content hash, so a cached Bank can never be stale: a new version has a new key.
_parsed: dict[str, Bank] = {}
_lock = threading.Lock()


class WeekStatus(StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class VersionRef:
    """A stored bank version without its source: what every request needs, read with one light query."""

    id: int
    week: int
    content_hash: str
    path: str


@dataclass(frozen=True)
class ServedBank:
    version: VersionRef
    bank: Bank

    @property
    def week(self) -> int:
        return self.bank.week

    def status(self, now: datetime | None = None) -> WeekStatus:
        return week_status(self.bank.opens, self.bank.closes, now)

    def is_closed(self, now: datetime | None = None) -> bool:
        return self.status(now) is WeekStatus.CLOSED


def week_status(opens: datetime | None, closes: datetime | None, now: datetime | None = None) -> WeekStatus:
    now = as_utc(now) if now else datetime.now(UTC)  # SQLite gives stored times back without their zone
    if opens is not None and now < as_utc(opens):
        return WeekStatus.UPCOMING
    if closes is not None and now >= as_utc(closes):
        return WeekStatus.CLOSED
    return WeekStatus.OPEN




def parse_version(version: VersionRef) -> Bank:
    bank = _parsed.get(version.content_hash)
    if bank is not None:
        return bank
    # The source is read only when this worker has not parsed this version yet.
    source = db.session.get_one(BankVersion, version.id).source
    parsed, problems = load_bank(source, version.path)
    if parsed is None:  # only reachable if the stored source was edited by hand
        raise RuntimeError(f"stored bank {version.path} no longer loads: {problems[0]}")
    with _lock:
        _parsed[version.content_hash] = parsed
    return parsed


_CURRENT = select(BankVersion.id, BankVersion.week, BankVersion.content_hash, BankVersion.path).where(
    BankVersion.is_current.is_(True)
)


def serve(ref: VersionRef) -> ServedBank:
    return ServedBank(ref, parse_version(ref))


def _served(rows: Any) -> list[ServedBank]:
    return [serve(VersionRef(**row._mapping)) for row in rows]


def served_banks() -> list[ServedBank]:
    return _served(db.session.connection().execute(_CURRENT.order_by(BankVersion.week)))


_CURRENT_OF_WEEK = _CURRENT.where(BankVersion.week == bindparam("week"))


def served_bank(week: int) -> ServedBank | None:
    found = _served(db.session.connection().execute(_CURRENT_OF_WEEK, {"week": week}))
    return found[0] if found else None


def health() -> dict[str, Any]:
    try:
        db.session.execute(text("SELECT 1"))
        banks = served_banks()
    except Exception as exc:  # a load balancer needs an answer, not a stack trace
        db.session.rollback()
        return {"ok": False, "database": False, "error": type(exc).__name__}
    return {"ok": bool(banks), "database": True, "banks": len(banks)}
