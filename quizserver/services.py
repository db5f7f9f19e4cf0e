"""State changes: variants, attempts, reveals, bank sync. Functions flush; the caller commits once."""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from .bank import Bank, Problem, Question, bank_paths, load_bank_file
from .catalog import ServedBank
from .config import PROJECT_ROOT
from .extensions import db
from .grading import Grade, Status, grade
from .models import Attempt, BankFileStatus, BankVersion, QuestionState, User, Variant, utcnow
from .sandbox import AuthorError, Runner, get_runner

SEED_BOUND = 2**31
VARIANT_SEED_TRIES = 3


def new_seed() -> int:
    return secrets.randbelow(SEED_BOUND)


# ---------------------------------------------------------------- variants


@dataclass(frozen=True)
class ComputedVariant:
    seed: int
    names: dict[str, Any]
    answer: Any
    choice_order: list[str] | None


def compute_variant(question: Question, seed: int, runner: Runner | None = None) -> ComputedVariant:
    """Run the question's code for one seed (in the sandbox). Raises AuthorError."""
    names: dict[str, Any] = {}
    if question.has_code:
        result = (runner or get_runner()).generate(
            params=[p.as_dict() for p in question.params],
            require=question.require,
            solution=question.solution,
            seed=seed,
        )
        names = result["names"]
    choice_order = None
    if question.is_choice:
        ids = [c.id for c in question.choices]
        choice_order = [ids[i] for i in np.random.default_rng(seed).permutation(len(ids))]
        answer: Any = question.choice_key()
    else:
        answer = names.get("answer")
    return ComputedVariant(seed, names, answer, choice_order)


def _create_variant(user: User, served: ServedBank, question: Question) -> Variant:
    last_error: AuthorError | None = None
    for _ in range(VARIANT_SEED_TRIES):
        try:
            computed = compute_variant(question, new_seed())
            break
        except AuthorError as exc:  # a rare seed the sync samples missed: try another one
            last_error = exc
    else:
        assert last_error is not None
        raise last_error
    variant = Variant(
        user_id=user.id,
        week=served.week,
        question_id=question.id,
        seed=computed.seed,
        bank_version_id=served.version.id,
        names=computed.names,
        answer=computed.answer,
        choice_order=computed.choice_order,
        created_at=utcnow(),
    )
    db.session.add(variant)
    db.session.flush()
    return variant


@dataclass
class WeekView:
    """A student's states for one week, keyed by question id; unavailable holds author errors."""

    states: dict[str, QuestionState]
    unavailable: dict[str, str] = field(default_factory=dict)


def ensure_states(user: User, served: ServedBank) -> WeekView:
    """Every question of the week gets the student's own variant, created on first view."""
    existing = {
        s.question_id: s
        for s in db.session.scalars(
            select(QuestionState).where(QuestionState.user_id == user.id, QuestionState.week == served.week)
        )
    }
    view = WeekView(states={})
    for question in served.bank.questions:
        state = existing.get(question.id)
        if state is None:
            try:
                state = _create_state(user, served, question)
            except AuthorError as exc:
                view.unavailable[question.id] = exc.message
                continue
        view.states[question.id] = state
    return view


def _create_state(user: User, served: ServedBank, question: Question) -> QuestionState:
    variant = _create_variant(user, served, question)
    state = QuestionState(
        user_id=user.id, week=served.week, question_id=question.id, variant_id=variant.id, credit=0.0
    )
    try:
        with db.session.begin_nested():
            db.session.add(state)
    except IntegrityError:  # the same page opened twice at once: keep the first state
        state = db.session.scalars(
            select(QuestionState).where(
                QuestionState.user_id == user.id,
                QuestionState.week == served.week,
                QuestionState.question_id == question.id,
            )
        ).one()
    return state


def new_variant(user: User, served: ServedBank, question: Question, state: QuestionState) -> bool:
    """New numbers for practice, once the question is solved, revealed, closed or out of attempts."""
    if not may_practise(served, question, state):
        return False
    variant = _create_variant(user, served, question)
    state.variant_id = variant.id
    state.variant = variant
    state.practice_round += 1
    db.session.flush()
    return True


def may_practise(served: ServedBank, question: Question, state: QuestionState) -> bool:
    return bool(
        state.solved_at
        or state.revealed_at
        or served.is_closed()
        or (question.max_attempts is not None and state.attempts >= question.max_attempts)
    )


def reveal(state: QuestionState, now: datetime | None = None) -> None:
    """Show the worked solution; the question's credit is locked from now on."""
    if state.revealed_at is None:
        state.revealed_at = now or utcnow()
        db.session.flush()


def solution_visible(served: ServedBank, state: QuestionState) -> bool:
    return bool(state.solved_at or state.revealed_at or served.is_closed())


# ---------------------------------------------------------------- attempts


@dataclass(frozen=True)
class SubmitOutcome:
    grade: Grade
    attempt: Attempt
    counted: bool  # changed the week's score
    note: str = ""  # why it did not count, when it did not
    duplicate: bool = False


def submit_answer(
    user: User,
    served: ServedBank,
    question: Question,
    state: QuestionState,
    raw: str,
    *,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> SubmitOutcome:
    now = now or utcnow()
    variant = state.variant
    result = grade(question.answer_spec(), variant.answer, raw)
    attempt = Attempt(
        user_id=user.id,
        week=served.week,
        question_id=question.id,
        variant_id=variant.id,
        bank_hash=served.version.content_hash,
        seed=variant.seed,
        raw_answer=raw,
        status=result.status.value,
        score=result.score,
        credit=0.0,
        counted=False,
        message=result.message,
        mistake=result.mistake,
        parsed=result.value,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    try:
        # Claim and row in one savepoint: a duplicate token undoes the claimed attempt with it.
        with db.session.begin_nested():
            note = _count_attempt(served, question, state, result, attempt, now)
            if result.status is not Status.INVALID:
                state.last_attempt_at = now
            db.session.add(attempt)
            db.session.flush()
    except IntegrityError:
        # The token is taken (the unique index decides, so no look-up is spent on the usual case).
        if idempotency_key is None:
            raise
        previous = db.session.scalar(select(Attempt).where(Attempt.idempotency_key == idempotency_key))
        if previous is None:
            raise
        if previous.user_id == user.id:  # the same form sent twice, one after the other or at once
            return _replay(previous)
        # Somebody else's token: never reuse it.
        return submit_answer(user, served, question, state, raw, idempotency_key=None, now=now)
    return SubmitOutcome(result, attempt, attempt.counted, note)


def _count_attempt(
    served: ServedBank, question: Question, state: QuestionState, result: Grade, attempt: Attempt, now: datetime
) -> str:
    """Apply the attempt to the student's state when it counts; otherwise say why it does not."""
    if result.status is Status.INVALID:
        return "Not graded: this does not use up an attempt."
    if served.is_closed(now):
        return "This week is closed: the answer was graded as practice and does not change your score."
    if state.revealed_at is None and state.solved_at is None and _take_attempt(state, question):
        _apply_credit(state, question, result, attempt, now)
        return ""
    # _take_attempt re-read the state, so a concurrent reveal or solve is reported as such.
    if state.revealed_at is not None:
        return "You revealed the solution: this answer is practice and does not change your score."
    if state.solved_at is not None:
        return "You already solved this question: this answer is practice."
    return (
        f"You have used all {question.max_attempts} attempts: this answer was graded as practice "
        "and does not change your score."
    )


def _take_attempt(state: QuestionState, question: Question) -> bool:
    """Atomically claim one counted attempt; concurrent submits can never exceed max_attempts."""
    stmt = (
        update(QuestionState)
        .where(
            QuestionState.id == state.id,
            QuestionState.revealed_at.is_(None),
            QuestionState.solved_at.is_(None),
        )
        .values(attempts=QuestionState.attempts + 1)
        .returning(QuestionState.attempts, QuestionState.wrong, QuestionState.credit, QuestionState.first_score)
        .execution_options(synchronize_session=False)
    )
    if question.max_attempts is not None:
        stmt = stmt.where(QuestionState.attempts < question.max_attempts)
    claimed = db.session.execute(stmt).one_or_none()
    if claimed is None:
        db.session.refresh(state)  # so the caller can say whether it was solved, revealed or used up
        return False
    # The values as of the row lock this update holds, without a second query.
    for name, value in claimed._mapping.items():
        set_committed_value(state, name, value)
    return True


def _apply_credit(
    state: QuestionState, question: Question, result: Grade, attempt: Attempt, now: datetime
) -> None:
    credit = max(0.0, result.score - question.penalty * state.wrong)
    attempt.counted = True
    attempt.credit = credit
    if state.first_score is None:
        state.first_score = result.score
    state.credit = max(state.credit, credit)
    if result.status is Status.CORRECT:
        state.solved_at = now
        state.attempts_to_correct = state.attempts
    else:
        state.wrong += 1


def _replay(previous: Attempt) -> SubmitOutcome:
    stored = Grade(Status(previous.status), previous.score, previous.message, previous.parsed, previous.mistake)
    return SubmitOutcome(stored, previous, previous.counted, "This answer was already received.", duplicate=True)


def last_attempts(user: User, week: int) -> dict[str, Attempt]:
    """The latest attempt on each question's current variant, for feedback next to the question."""
    rows = db.session.scalars(
        select(Attempt)
        .join(QuestionState, (QuestionState.variant_id == Attempt.variant_id))
        .where(Attempt.user_id == user.id, Attempt.week == week, QuestionState.user_id == user.id)
        .order_by(Attempt.id)
    )
    return {a.question_id: a for a in rows}


# ---------------------------------------------------------------- scores


@dataclass(frozen=True)
class WeekProgress:
    week: int
    points: float
    total: int
    solved: int
    attempted: int
    questions: int

    @property
    def percent(self) -> float:
        return 100.0 * self.points / self.total if self.total else 0.0


def week_progress(user: User, served: Sequence[ServedBank]) -> dict[int, WeekProgress]:
    states = db.session.scalars(
        select(QuestionState).where(
            QuestionState.user_id == user.id, QuestionState.week.in_([sb.week for sb in served])
        )
    ).all()
    by_key = {(s.week, s.question_id): s for s in states}
    progress = {}
    for sb in served:
        points = 0.0
        solved = attempted = 0
        for q in sb.bank.questions:
            s = by_key.get((sb.week, q.id))
            if s is None:
                continue
            points += s.credit * q.points
            solved += s.solved_at is not None
            attempted += s.attempts > 0
        progress[sb.week] = WeekProgress(
            sb.week, points, sb.bank.total_points, solved, attempted, len(sb.bank.questions)
        )
    return progress


# ---------------------------------------------------------------- sync


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


def sync_banks(paths: Sequence[str | Path], *, sample: int = 5, runner: Runner | None = None) -> SyncReport:
    """Validate every bank and store each good one as a new version; a bad one keeps its last good version."""
    from .bank.verify import verify_bank

    files: list[SyncedFile] = []
    loaded: list[tuple[Path, Bank | None, list[Problem]]] = []
    for path in bank_paths(paths):
        bank, problems = load_bank_file(path)
        if bank is not None and sample > 0:
            problems += verify_bank(bank, variants=sample, runner=runner)
        loaded.append((path, bank, problems))

    weeks_seen: dict[int, str] = {}
    for path, bank, problems in loaded:
        shown = display_path(path)
        if bank is not None and bank.week in weeks_seen:
            problems = problems + [
                Problem(shown, 1, f"week {bank.week} is also defined in {weeks_seen[bank.week]}")
            ]
        errors = [p for p in problems if p.severity == "error"]
        if bank is None or errors:
            files.append(SyncedFile(shown, bank.week if bank else None, None, "refused", tuple(problems)))
            _record_status(shown, bank.week if bank else None, None, False, problems)
            continue
        weeks_seen[bank.week] = shown
        outcome = _store_version(bank, shown)
        files.append(SyncedFile(shown, bank.week, bank.content_hash, outcome, tuple(problems)))
        _record_status(shown, bank.week, bank.content_hash, True, problems)
    db.session.flush()
    return SyncReport(tuple(files))


def _store_version(bank: Bank, shown_path: str) -> str:
    version = db.session.scalar(
        select(BankVersion).where(BankVersion.week == bank.week, BankVersion.content_hash == bank.content_hash)
    )
    if version is not None and version.is_current:
        return "unchanged"
    db.session.execute(
        update(BankVersion).where(BankVersion.week == bank.week).values(is_current=False)
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
        )
        db.session.add(version)
    version.is_current = True
    version.synced_at = utcnow()
    return "new"


def _record_status(path: str, week: int | None, content_hash: str | None, ok: bool, problems: list[Problem]) -> None:
    row = db.session.get(BankFileStatus, path) or BankFileStatus(path=path)
    row.week = week
    row.ok = ok
    if content_hash:
        row.content_hash = content_hash
    row.problems = [p.as_dict() for p in problems]
    row.checked_at = datetime.now(UTC)
    db.session.add(row)
