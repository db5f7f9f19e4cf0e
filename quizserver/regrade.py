"""Regrading after an answer-key fix: recompute every stored variant's key from its seed with the
current bank (in the sandbox), update the pool, re-grade every stored answer, and replay each
student's credit. Flushes, never commits.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .bank import Question, load_bank_file
from .banksync import as_stored
from .catalog import ServedBank, served_bank
from .extensions import db
from .grading import Grade, Status, grade
from .models import Attempt, PoolVariant, QuestionState, Variant
from .sandbox import AuthorError, Runner
from .scoring import Standing, score_attempt
from .variants import ComputedVariant, compute_variant

# Attempt columns the grader decides; compared and written together.
GRADED_FIELDS = ("status", "score", "message", "mistake", "parsed")
STATE_FIELDS = ("attempts", "wrong", "credit", "first_score", "solved_at", "attempts_to_correct")


class RegradeError(Exception):
    """The regrade cannot start (no such week or question); the message is for the instructor."""


@dataclass
class RegradeSummary:
    week: int
    question: str | None
    dry_run: bool
    variants: int = 0  # recomputed from their seeds
    keys_changed: int = 0
    attempts: int = 0  # re-graded
    statuses_changed: int = 0
    scores_up: int = 0  # question states whose credit went up
    scores_down: int = 0
    # variants left alone: the current bank draws other numbers for their seed, or fails on it
    skipped: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.keys_changed or self.statuses_changed or self.scores_up or self.scores_down)

    def lines(self) -> list[str]:
        what = f"week {self.week}" + (f", question {self.question}" if self.question else "")
        verb = "would change" if self.dry_run else "changed"
        lines = [
            f"{what}: {self.variants} variants recomputed, {self.keys_changed} keys {verb}",
            f"{self.attempts} attempts re-graded, {self.statuses_changed} statuses {verb}",
            f"scores {verb}: {self.scores_up} up, {self.scores_down} down",
        ]
        if self.skipped:
            lines.append(f"{len(self.skipped)} variants left as they were:")
            lines += [f"  {reason}" for reason in self.skipped[:20]]
        if self.dry_run:
            lines.append("dry run: nothing was written")
        return lines


@dataclass
class _Replayed:
    """An attempt as the replay sees it: the new grade, and whether it counts."""

    attempt: Attempt
    grade: Grade
    counted: bool = False
    credit: float = 0.0


def regrade(
    served: ServedBank,
    question_id: str | None = None,
    *,
    dry_run: bool = False,
    runner: Runner | None = None,
) -> RegradeSummary:
    """Regrade one week (or one question of it) against the served bank. Idempotent."""
    bank = served.bank
    if question_id is not None and bank.question(question_id) is None:
        known = ", ".join(q.id for q in bank.questions)
        raise RegradeError(f"week {served.week} has no question '{question_id}' (it has: {known})")
    summary = RegradeSummary(served.week, question_id, dry_run)

    where = [Variant.week == served.week]
    if question_id is not None:
        where.append(Variant.question_id == question_id)
    variants = db.session.scalars(
        select(Variant).options(joinedload(Variant.pool_variant)).where(*where).order_by(Variant.id)
    ).all()
    current_pool = _pool_by_seed(served, question_id)
    keys: dict[int, Any] = {}  # variant id -> the key to grade its attempts against
    for variant in variants:
        question = bank.question(variant.question_id)
        if question is None:
            summary.skipped.append(f"variant {variant.id}: question '{variant.question_id}' is no longer in the bank")
            continue
        try:
            computed = compute_variant(question, variant.seed, runner)
        except AuthorError as exc:
            summary.skipped.append(f"variant {variant.id} ({variant.question_id}, seed {variant.seed}): {exc.message}")
            continue
        if _params(question, computed.names) != _params(question, _drawn(variant)):
            summary.skipped.append(
                f"variant {variant.id} ({variant.question_id}, seed {variant.seed}): the bank now draws "
                "other numbers for this seed, so the student's answers were for another question"
            )
            continue
        try:
            grade(question.answer_spec(), computed.answer, "")  # the grader checks the key before the answer
        except ValueError as exc:
            summary.skipped.append(f"variant {variant.id} ({variant.question_id}, seed {variant.seed}): {exc}")
            continue
        summary.variants += 1
        keys[variant.id] = computed.answer
        if _differs(variant, computed):
            summary.keys_changed += 1
            if not dry_run:
                _update_key(variant, computed, served, current_pool.get((variant.question_id, variant.seed)))

    replayed = _regrade_attempts(served, question_id, keys, summary)
    _replay_states(served, question_id, replayed, summary, dry_run)
    if not dry_run:
        db.session.flush()
    return summary


def _regrade_attempts(
    served: ServedBank, question_id: str | None, keys: dict[int, Any], summary: RegradeSummary
) -> dict[tuple[int, str], list[_Replayed]]:
    """Every attempt of the week, grouped by (student, question), in the order they were made."""
    where = [Attempt.week == served.week]
    if question_id is not None:
        where.append(Attempt.question_id == question_id)
    grouped: dict[tuple[int, str], list[_Replayed]] = defaultdict(list)
    for attempt in db.session.scalars(select(Attempt).where(*where).order_by(Attempt.id)):
        question = served.bank.question(attempt.question_id)
        if question is not None and attempt.variant_id in keys:
            new = grade(question.answer_spec(), keys[attempt.variant_id], attempt.raw_answer)
            summary.attempts += 1
            summary.statuses_changed += new.status.value != attempt.status
        else:  # its variant was left alone: keep the grade it has
            new = Grade(Status(attempt.status), attempt.score, attempt.message, attempt.parsed, attempt.mistake)
        grouped[(attempt.user_id, attempt.question_id)].append(_Replayed(attempt, new))
    return grouped


def _replay_states(
    served: ServedBank,
    question_id: str | None,
    replayed: dict[tuple[int, str], list[_Replayed]],
    summary: RegradeSummary,
    dry_run: bool,
) -> None:
    where = [QuestionState.week == served.week]
    if question_id is not None:
        where.append(QuestionState.question_id == question_id)
    for state in db.session.scalars(select(QuestionState).where(*where).order_by(QuestionState.id)):
        question = served.bank.question(state.question_id)
        attempts = replayed.get((state.user_id, state.question_id), [])
        if question is None or not attempts:
            continue
        values = _replay(question, attempts)
        before, after = state.credit, values["credit"]
        summary.scores_up += after > before + 1e-12
        summary.scores_down += after < before - 1e-12
        if dry_run:
            continue
        for name, value in values.items():
            if getattr(state, name) != value:
                setattr(state, name, value)
        for item in attempts:
            _apply(item)


def _replay(question: Question, attempts: list[_Replayed]) -> dict[str, Any]:
    """The state's columns as the scoring rule builds them from these grades, in order.

    Whether an attempt may count is kept (a week closed or a solution revealed stays so); of those,
    the rule decides, so an answer that is now unreadable no longer counts, nor does one made after
    the question was solved.
    """
    standing = Standing()
    solved_at: datetime | None = None
    for item in attempts:
        item.counted, item.credit = False, 0.0
        if not item.attempt.counted:
            continue
        scored = score_attempt(standing, item.grade, question)
        item.counted, item.credit = scored.counted, scored.credit
        if scored.after.solved and not standing.solved:
            solved_at = item.attempt.created_at
        standing = scored.after
    return {
        "attempts": standing.attempts,
        "wrong": standing.wrong,
        "credit": standing.credit,
        "first_score": standing.first_score,
        "solved_at": solved_at,
        "attempts_to_correct": standing.attempts_to_correct,
    }


def _apply(item: _Replayed) -> None:
    attempt, result = item.attempt, item.grade
    new = {
        "status": result.status.value,
        "score": result.score,
        "message": result.message,
        "mistake": result.mistake,
        "parsed": result.value,
        "counted": item.counted,
        "credit": item.credit,
    }
    for name, value in new.items():
        if as_stored(getattr(attempt, name)) != as_stored(value):
            setattr(attempt, name, value)


def _pool_by_seed(served: ServedBank, question_id: str | None) -> dict[tuple[str, int], PoolVariant]:
    """The served version's pool, by question and seed: where a recomputed variant belongs."""
    where = [PoolVariant.bank_version_id == served.version.id]
    if question_id is not None:
        where.append(PoolVariant.question_id == question_id)
    return {(row.question_id, row.seed): row for row in db.session.scalars(select(PoolVariant).where(*where))}


def _drawn(variant: Variant) -> dict[str, Any]:
    """The variant's parameters: its pool row's, or, from before pools, its own names."""
    return variant.pool_variant.params if variant.pool_variant is not None else (variant.names or {})


def _update_key(variant: Variant, computed: ComputedVariant, served: ServedBank, pooled: PoolVariant | None) -> None:
    """Store the recomputed key on the student's variant and in the pool.

    A pool variant moves to the served version's pool row for its seed (same numbers, the new key, the
    new text); without one, its own pool row takes the new key. A variant from before pools keeps its
    names, recomputed.
    """
    variant.answer = computed.answer
    variant.choice_order = computed.choice_order
    variant.bank_version_id = served.version.id
    if variant.pool_variant is None:
        variant.names = computed.names
    elif pooled is not None and as_stored(pooled.answer) == as_stored(computed.answer):
        variant.pool_variant = pooled
        pooled.uses += 1
    else:
        variant.pool_variant.answer = computed.answer
        variant.pool_variant.choice_order = computed.choice_order


def _params(question: Question, names: dict[str, Any]) -> Any:
    return as_stored({p.name: names.get(p.name) for p in question.params})


def _differs(variant: Variant, computed: ComputedVariant) -> bool:
    """The stored key (and, before pools, names) differ from the recomputed ones."""
    if variant.pool_variant is not None:
        stored_keys = (variant.answer, variant.choice_order, variant.pool_variant.answer)
        return as_stored(stored_keys) != as_stored((computed.answer, computed.choice_order, computed.answer))
    stored = (variant.answer, variant.names or {}, variant.choice_order)
    return as_stored(stored) != as_stored((computed.answer, computed.names, computed.choice_order))


def served_for(bank: str) -> ServedBank:
    """The served bank named by a week number or by a bank file, which must be the synced version."""
    if bank.strip().isdigit():
        week = int(bank)
        served = served_bank(week)
        if served is None:
            raise RegradeError(f"no bank is served for week {week}; run quiz sync first")
        return served
    path = Path(bank)
    if not path.is_file():
        raise RegradeError(f"{bank} is neither a week number nor a bank file")
    loaded, problems = load_bank_file(path)
    if loaded is None:
        raise RegradeError(f"{bank} does not load: {problems[0] if problems else 'unknown problem'}")
    served = served_bank(loaded.week)
    if served is None or served.version.content_hash != loaded.content_hash:
        raise RegradeError(
            f"{bank} is not the version served for week {loaded.week}; run quiz sync first, "
            "so that students and the regrade see the same bank"
        )
    return served
