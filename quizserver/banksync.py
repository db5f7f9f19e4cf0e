"""`quiz sync`: validate banks, build and store their pools of variants, keep students' numbers across
versions. Functions flush; the caller commits once."""
from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import aliased

from .bank import Bank, Problem, Question, bank_paths, has_errors, load_bank, load_bank_file
from .bank.figures import attach_stored_images
from .bank.pool import DEFAULT_POOL_SIZE, PoolCounts, QuestionPool, build_bank_pools, ready_future, rerender_entries
from .config import PROJECT_ROOT
from .extensions import db
from .media.store import save_figures
from .models import BankFileStatus, BankVersion, PoolVariant, Variant, utcnow
from .render import RENDER_VERSION
from .sandbox import Runner, get_runner


@dataclass(frozen=True)
class SyncedFile:
    path: str
    week: int | None
    content_hash: str | None
    outcome: str  # "new", "unchanged", "refused"
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class SyncReport:
    files: tuple[SyncedFile, ...]
    counts: PoolCounts = field(default_factory=PoolCounts)
    rerendered: int = 0  # stored variants given new HTML because the renderer changed

    @property
    def refused(self) -> list[SyncedFile]:
        return [f for f in self.files if f.outcome == "refused"]

    @property
    def ok(self) -> bool:
        return not self.refused


def display_path(path: Path) -> str:
    """Bank files inside the project are named relative to it, as instructors see them in the repository."""
    resolved = path.resolve()
    return str(resolved.relative_to(PROJECT_ROOT)) if resolved.is_relative_to(PROJECT_ROOT) else str(path)


# Rendering a few thousand variants is worth a second process; a handful is not.
PARALLEL_RENDER_FROM = 500


def sync_banks(
    paths: Sequence[str | Path],
    *,
    variants: int = DEFAULT_POOL_SIZE,
    runner: Runner | None = None,
    progress: Callable[[Question], None] | None = None,
) -> SyncReport:
    """Validate every bank, compute and verify each question's pool of variants (`variants` each unless
    the bank says otherwise) and store each good bank as the served version. A bank with any problem
    keeps its last good version. An unchanged bank whose pool is stored is not computed again."""
    files: list[SyncedFile] = []
    counts = PoolCounts()
    weeks_seen: dict[int, str] = {}
    loaded = [(path, *load_bank_file(path)) for path in bank_paths(paths)]
    work = sum(bank.pool_size(q, variants) for _, bank, _ in loaded if bank is not None for q in bank.questions)
    with _render_executor(work) as executor:
        for path, bank, problems in loaded:
            shown = display_path(path)
            if bank is not None and bank.week in weeks_seen:
                problems = problems + [
                    Problem(shown, 1, f"week {bank.week} is also defined in {weeks_seen[bank.week]}")
                ]
            pools: list[QuestionPool] = []
            # warnings do not stop reuse: only a bank that will be served may use its stored pool
            stored = _stored_version(bank) if bank is not None and not has_errors(problems) else None
            if bank is not None and not has_errors(problems) and stored is None:
                pools = build_bank_pools(bank, variants, runner or get_runner(), executor=executor, progress=progress)
                for pool in pools:
                    counts.add_pool(pool)
                    problems = problems + list(pool.problems)
            elif bank is not None and progress is not None:
                for question in bank.questions:
                    progress(question)
            if bank is None or has_errors(problems):
                files.append(SyncedFile(shown, bank.week if bank else None, None, "refused", tuple(problems)))
                _record_status(shown, bank.week if bank else None, None, False, problems)
                continue
            weeks_seen[bank.week] = shown
            outcome = _store_version(bank, shown, stored, pools)
            files.append(SyncedFile(shown, bank.week, bank.content_hash, outcome, tuple(problems)))
            _record_status(shown, bank.week, bank.content_hash, True, problems)
        rerendered = rerender_stale_pools(executor)
    db.session.flush()
    return SyncReport(tuple(files), counts, rerendered)


@contextmanager
def _render_executor(work: int) -> Iterator[Executor | None]:
    if work < PARALLEL_RENDER_FROM or (os.cpu_count() or 1) < 2:
        yield None
        return
    # fork: the children only render (pure functions of what they are sent) and never touch the database
    with ProcessPoolExecutor(max_workers=os.cpu_count(), mp_context=multiprocessing.get_context("fork")) as pool:
        yield pool


def _stored_version(bank: Bank) -> BankVersion | None:
    """This exact bank's stored version, if its pool is complete (a version from before pools has none)."""
    version = db.session.scalar(
        select(BankVersion).where(BankVersion.week == bank.week, BankVersion.content_hash == bank.content_hash)
    )
    if version is None:
        return None
    stored = set(db.session.scalars(
        select(PoolVariant.question_id).where(PoolVariant.bank_version_id == version.id).distinct()
    ))
    return version if stored >= {q.id for q in bank.questions} else None


def _store_version(bank: Bank, shown_path: str, stored: BankVersion | None, pools: list[QuestionPool]) -> str:
    """Make the bank the week's served version: the stored one, or a new (or pool-less) row with its pools."""
    if stored is not None and stored.is_current:
        return "unchanged"
    db.session.execute(update(BankVersion).where(BankVersion.week == bank.week).values(is_current=False))
    version = stored or db.session.scalar(
        select(BankVersion).where(BankVersion.week == bank.week, BankVersion.content_hash == bank.content_hash)
    )
    if version is None:
        version = BankVersion(
            week=bank.week,
            content_hash=bank.content_hash,
            path=shown_path,
            title=bank.title,
            source=Path(bank.path).read_text(encoding="utf-8"),
            opens=bank.opens,
            closes=bank.closes,
            question_count=len(bank.questions),
            total_points=bank.total_points,
            images=save_figures(bank.images),
        )
        db.session.add(version)
    version.is_current = True
    version.synced_at = utcnow()
    db.session.flush()
    if pools:
        _store_pools(version, pools)
    _carry_over_variants(bank, version)
    return "new"


def rerender_stale_pools(executor: Executor | None = None) -> int:
    """Stored variants whose HTML an older renderer made get new HTML from the names they keep, in every
    version students may still hold: a change to how pages render reaches them without running bank code."""
    stale = select(PoolVariant.bank_version_id, PoolVariant.question_id).where(
        PoolVariant.render_version < RENDER_VERSION
    )
    pending = []
    for version_id, question_ids in _grouped(db.session.execute(stale.distinct()).all()).items():
        version = db.session.get_one(BankVersion, version_id)
        bank = attach_stored_images(load_bank(version.source, version.path)[0], version.images)
        for question_id in question_ids:
            question = bank.question(question_id) if bank is not None else None
            if question is None:
                continue
            stored = [
                (row.id, row.names)
                for row in db.session.execute(
                    select(PoolVariant.id, PoolVariant.names).where(
                        PoolVariant.bank_version_id == version_id, PoolVariant.question_id == question_id,
                        PoolVariant.render_version < RENDER_VERSION,
                    )
                )
            ]  # fmt: skip
            if executor is not None:
                pending.append(executor.submit(rerender_entries, question, stored))
            else:
                pending.append(ready_future(rerender_entries(question, stored)))
    count = 0
    for future in pending:
        rows = [
            {"id": pool_id, "text_html": text, "explanation_html": explanation, "choices_html": choices,
             "render_version": RENDER_VERSION}
            for pool_id, text, explanation, choices in future.result()
        ]  # fmt: skip
        if rows:
            db.session.execute(update(PoolVariant), rows)
            count += len(rows)
    return count


def _grouped(pairs: Sequence[Any]) -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = {}
    for version_id, question_id in pairs:
        grouped.setdefault(version_id, []).append(question_id)
    return grouped


def _store_pools(version: BankVersion, pools: list[QuestionPool]) -> None:
    db.session.execute(delete(PoolVariant).where(PoolVariant.bank_version_id == version.id))  # a partial pool
    rows = [
        {
            "bank_version_id": version.id, "question_id": pool.question_id, "slot": e.slot, "seed": e.seed,
            "params": e.params, "names": e.names, "answer": e.answer, "choice_order": e.choice_order,
            "text_html": e.text_html, "explanation_html": e.explanation_html, "choices_html": e.choices_html,
            "uses": 0, "render_version": RENDER_VERSION,
        }
        for pool in pools
        for e in pool.entries
    ]  # fmt: skip
    for start in range(0, len(rows), 1000):
        db.session.execute(insert(PoolVariant), rows[start : start + 1000])


def _carry_over_variants(bank: Bank, version: BankVersion) -> None:
    """Students keep their numbers across a new version: a variant whose seed draws the same numbers and
    key in the new pool moves to it (and so shows the new text); one whose key changed stays where it
    is until `quiz regrade` re-grades its answers against the new key."""
    old = aliased(PoolVariant)
    new = aliased(PoolVariant)
    pairs = db.session.execute(
        select(old.id, new.id, old.params, new.params, old.answer, new.answer, old.choice_order, new.choice_order)
        .join(new, (new.question_id == old.question_id) & (new.seed == old.seed) & (new.bank_version_id == version.id))
        .where(old.id.in_(
            select(Variant.pool_variant_id).where(Variant.week == bank.week, Variant.pool_variant_id.is_not(None))
        ), old.bank_version_id != version.id)
    ).all()  # fmt: skip
    moved = 0
    for row in pairs:
        old_id, new_id = row[0], row[1]
        if as_stored((row[2], row[4], row[6])) != as_stored((row[3], row[5], row[7])):
            continue
        db.session.execute(
            update(Variant).where(Variant.pool_variant_id == old_id)
            .values(pool_variant_id=new_id, bank_version_id=version.id)
        )  # fmt: skip
        moved += 1
    if moved:
        recount_uses(version.id)


def recount_uses(version_id: int) -> None:
    """Each pool variant's `uses`: how many students' variants point at it."""
    held = select(func.count(Variant.id)).where(Variant.pool_variant_id == PoolVariant.id).scalar_subquery()
    db.session.execute(update(PoolVariant).where(PoolVariant.bank_version_id == version_id).values(uses=held))


def as_stored(value: Any) -> Any:
    """Values as JSON columns give them back, so stored and recomputed values compare equal."""
    return json.loads(json.dumps(value, default=lambda v: v.tolist()))


def _record_status(path: str, week: int | None, content_hash: str | None, ok: bool, problems: list[Problem]) -> None:
    row = db.session.get(BankFileStatus, path) or BankFileStatus(path=path)
    row.week = week
    row.ok = ok
    if content_hash:
        row.content_hash = content_hash
    row.problems = [p.as_dict() for p in problems]
    row.checked_at = datetime.now(UTC)
    db.session.add(row)
