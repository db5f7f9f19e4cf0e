"""Bank files removed from questions/: found at sync, reported, and unpublished on request.

A week stays published until an instructor says otherwise (`quiz sync --prune` or the Banks page): deleting
a file by mistake must not take a week away from students mid-semester. Unpublishing only stops serving the
week (no version is current); every attempt, question state and version stays, so students' history and the
staff pages keep the week (`reported_banks`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, update

from .banksync import SyncReport
from .catalog import ServedBank, VersionRef, serve, served_banks
from .config import PROJECT_ROOT
from .extensions import db
from .models import BankFileStatus, BankVersion, QuestionState


@dataclass(frozen=True)
class MissingBank:
    """A published week whose bank file this sync did not find."""

    week: int
    path: str  # as stored, relative to the project when inside it
    title: str

    def line(self, pruned: bool) -> str:
        if pruned:
            return f"{self.path}: week {self.week}: removed from the questions folder: unpublished (history kept)"
        return (
            f"{self.path}: week {self.week}: removed from the questions folder but still published; "
            "`quiz sync --prune` unpublishes it"
        )


def _on_disk(stored: str) -> Path:
    path = Path(stored)
    return (path if path.is_absolute() else PROJECT_ROOT / path).resolve()


def _covered(path: Path, synced: Sequence[Path]) -> bool:
    """Whether a sync of `synced` looked where this file was (a sync of one file says nothing of others)."""
    return any(path == s or (s.is_dir() and path.is_relative_to(s)) for s in synced)


def missing_banks(paths: Sequence[str | Path], report: SyncReport) -> list[MissingBank]:
    """Published weeks that no file of this sync defines, whose file lay where the sync looked."""
    synced = [Path(p).resolve() for p in paths]
    weeks = {f.week for f in report.files if f.week is not None}
    seen = {_on_disk(f.path) for f in report.files}
    current = db.session.execute(
        select(BankVersion.week, BankVersion.path, BankVersion.title).where(BankVersion.is_current.is_(True))
    ).all()
    return [
        MissingBank(week, path, title)
        for week, path, title in current
        if week not in weeks and _on_disk(path) not in seen and _covered(_on_disk(path), synced)
    ]


def record_sync(report: SyncReport, missing: Sequence[MissingBank], now: datetime | None = None) -> None:
    """Mark each missing file's status row (the Banks page offers to unpublish it); clear the mark of every
    file this sync found. Flushes; the caller commits."""
    now = now or datetime.now(UTC)
    found = [f.path for f in report.files]
    if found:
        db.session.execute(
            update(BankFileStatus).where(BankFileStatus.path.in_(found)).values(removed_at=None)
        )
    for bank in missing:
        row = db.session.get(BankFileStatus, bank.path) or BankFileStatus(path=bank.path, week=bank.week, ok=True)
        row.removed_at = row.removed_at or now
        row.checked_at = now
        db.session.add(row)
    db.session.flush()


def unpublish_missing(weeks: Sequence[int]) -> list[int]:
    """Stop serving these weeks if their file is marked removed; returns the weeks unpublished. Nothing is
    deleted: restoring the file and syncing serves the same version again."""
    removed = set(
        db.session.scalars(
            select(BankFileStatus.week).where(BankFileStatus.removed_at.is_not(None), BankFileStatus.week.in_(weeks))
        )
    )
    chosen = sorted(w for w in weeks if w in removed)
    if chosen:
        db.session.execute(
            update(BankVersion).where(BankVersion.week.in_(chosen), BankVersion.is_current.is_(True))
            .values(is_current=False)
        )  # fmt: skip
        db.session.flush()
    return chosen


def removed_files() -> list[BankFileStatus]:
    """Status rows of files a sync found gone, for the Banks page."""
    return list(
        db.session.scalars(
            select(BankFileStatus).where(BankFileStatus.removed_at.is_not(None)).order_by(BankFileStatus.week)
        )
    )


def unpublished_banks() -> list[ServedBank]:
    """Weeks no longer served that students worked on: their latest version, for history and staff pages."""
    served_weeks = select(BankVersion.week).where(BankVersion.is_current.is_(True))
    worked = select(QuestionState.week).distinct()
    latest = (
        select(BankVersion.week, func.max(BankVersion.synced_at).label("synced"))
        .where(BankVersion.week.not_in(served_weeks), BankVersion.week.in_(worked))
        .group_by(BankVersion.week)
        .subquery()
    )
    rows = db.session.execute(
        select(BankVersion.id, BankVersion.week, BankVersion.content_hash, BankVersion.path)
        .join(latest, (latest.c.week == BankVersion.week) & (latest.c.synced == BankVersion.synced_at))
        .order_by(BankVersion.week)
    ).all()
    seen: set[int] = set()
    banks = []
    for row in rows:
        if row.week not in seen:
            seen.add(row.week)
            banks.append(serve(VersionRef(row.id, row.week, row.content_hash, row.path)))
    return banks


def reported_banks() -> list[ServedBank]:
    """What the staff pages and students' history show: the served weeks and the unpublished ones with work."""
    return sorted(served_banks() + unpublished_banks(), key=lambda sb: sb.week)
