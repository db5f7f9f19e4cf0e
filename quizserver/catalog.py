"""The banks being served: read from the database in every worker, parsed once per version."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, text

from .bank import Bank, load_bank
from .extensions import db
from .models import BankVersion

# Keyed by content hash, so a cached Bank can never be stale: a new version has a new key.
_parsed: dict[str, Bank] = {}
_lock = threading.Lock()


class WeekStatus(StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class ServedBank:
    version: BankVersion
    bank: Bank

    @property
    def week(self) -> int:
        return self.bank.week

    def status(self, now: datetime | None = None) -> WeekStatus:
        return week_status(self.bank.opens, self.bank.closes, now)

    def is_closed(self, now: datetime | None = None) -> bool:
        return self.status(now) is WeekStatus.CLOSED


def week_status(opens: datetime | None, closes: datetime | None, now: datetime | None = None) -> WeekStatus:
    now = now or datetime.now(UTC)
    if opens is not None and now < _aware(opens):
        return WeekStatus.UPCOMING
    if closes is not None and now >= _aware(closes):
        return WeekStatus.CLOSED
    return WeekStatus.OPEN


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_version(version: BankVersion) -> Bank:
    bank = _parsed.get(version.content_hash)
    if bank is not None:
        return bank
    parsed, problems = load_bank(version.source, version.path)
    if parsed is None:  # only reachable if the stored source was edited by hand
        raise RuntimeError(f"stored bank {version.path} no longer loads: {problems[0]}")
    with _lock:
        _parsed[version.content_hash] = parsed
    return parsed


def served_banks() -> list[ServedBank]:
    versions = db.session.scalars(
        select(BankVersion).where(BankVersion.is_current.is_(True)).order_by(BankVersion.week)
    ).all()
    return [ServedBank(v, parse_version(v)) for v in versions]


def served_bank(week: int) -> ServedBank | None:
    version = db.session.scalar(
        select(BankVersion).where(BankVersion.week == week, BankVersion.is_current.is_(True))
    )
    return ServedBank(version, parse_version(version)) if version else None


def health() -> dict[str, Any]:
    try:
        db.session.execute(text("SELECT 1"))
        banks = served_banks()
    except Exception as exc:  # a load balancer needs an answer, not a stack trace
        db.session.rollback()
        return {"ok": False, "database": False, "error": type(exc).__name__}
    return {"ok": bool(banks), "database": True, "banks": len(banks)}
