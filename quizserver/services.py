"""State changes: variants, attempts, reveals, bank sync. Functions flush; the caller commits once."""
from __future__ import annotations

import json
import multiprocessing
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BindParameter,
    Boolean,
    Float,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from . import postgres
from .bank import Bank, Problem, Question, bank_paths, has_errors, load_bank, load_bank_file
from .bank.pool import (
    DEFAULT_POOL_SIZE,
    PoolCounts,
    QuestionPool,
    answer_key,
    build_bank_pools,
    choice_order,
    ready_future,
    rerender_entries,
)
from .catalog import ServedBank, VersionRef
from .config import PROJECT_ROOT
from .extensions import db
from .grading import Grade, Status, grade
from .hotpath import HotStatement
from .models import (
    Account,
    Attempt,
    BankFileStatus,
    BankVersion,
    PoolVariant,
    QuestionState,
    Variant,
    utcnow,
)
from .render import RENDER_VERSION
from .sandbox import Runner, get_runner

SEED_BOUND = 2**31


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
    """Run the question's code for one seed in the sandbox (command line only: sync, regrade). Raises AuthorError."""
    names: dict[str, Any] = {}
    if question.has_code:
        result = (runner or get_runner()).generate(
            params=[p.as_dict() for p in question.params],
            require=question.require,
            solution=question.solution,
            seed=seed,
        )
        names = result["names"]
    return ComputedVariant(seed, names, answer_key(question, names), choice_order(question, seed))


class PoolUnavailable(Exception):
    """The served version of a bank has no pool for a question yet (run `quiz sync`)."""


_POOL_PICK = select(PoolVariant.id, PoolVariant.seed, PoolVariant.answer, PoolVariant.choice_order)


def _assign_variant(user: Account, served: ServedBank, question: Question) -> Variant:
    """Give the student a variant of the question's pool: one they have not had, the least used first,
    ties broken at random, so few students share numbers. Runs no author code."""
    of_question = (PoolVariant.bank_version_id == served.version.id) & (PoolVariant.question_id == question.id)
    held = select(Variant.pool_variant_id).where(
        Variant.user_id == user.id, Variant.week == served.week, Variant.question_id == question.id,
        Variant.pool_variant_id.is_not(None),
    )  # fmt: skip
    least_used = _POOL_PICK.order_by(PoolVariant.uses, func.random()).limit(1)
    pick = db.session.execute(least_used.where(of_question, PoolVariant.id.not_in(held))).first()
    if pick is None:  # every variant of the pool was theirs once: start again from the least used
        pick = db.session.execute(least_used.where(of_question)).first()
    if pick is None:
        raise PoolUnavailable(f"week {served.week} question {question.id} has no verified variants yet")
    db.session.execute(update(PoolVariant).where(PoolVariant.id == pick.id).values(uses=PoolVariant.uses + 1))
    variant = Variant(
        user_id=user.id,
        week=served.week,
        question_id=question.id,
        seed=pick.seed,
        bank_version_id=served.version.id,
        pool_variant_id=pick.id,
        names={},
        answer=pick.answer,
        choice_order=pick.choice_order,
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


def ensure_states(user: Account, served: ServedBank) -> WeekView:
    """Every question of the week gets the student's own variant, created on first view."""
    existing = {
        s.question_id: s
        for s in db.session.scalars(
            select(QuestionState)
            # the page shows each variant's stored HTML: one query for states, variants and pool rows
            .options(
                joinedload(QuestionState.variant)
                .joinedload(Variant.pool_variant)
                .load_only(PoolVariant.text_html, PoolVariant.explanation_html, PoolVariant.choices_html)
            )
            .where(QuestionState.user_id == user.id, QuestionState.week == served.week)
        )
    }
    view = WeekView(states={})
    for question in served.bank.questions:
        state = existing.get(question.id)
        if state is None:
            try:
                state = _create_state(user, served, question)
            except PoolUnavailable as exc:
                view.unavailable[question.id] = str(exc)
                continue
        view.states[question.id] = state
    return view


def _create_state(user: Account, served: ServedBank, question: Question) -> QuestionState:
    variant = _assign_variant(user, served, question)
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


def new_variant(user: Account, served: ServedBank, question: Question, state: QuestionState) -> bool:
    """New numbers for practice, once the question is solved, revealed, closed or out of attempts."""
    if not may_practise(served, question, state):
        return False
    variant = _assign_variant(user, served, question)
    state.variant_id = variant.id
    state.variant = variant
    state.practice_round += 1
    db.session.flush()
    return True


def can_still_count(question: Question, attempts: int, finished: bool) -> bool:
    """An answer can change the score until the question is solved or revealed (finished) or out of attempts."""
    return not finished and (question.max_attempts is None or attempts < question.max_attempts)


def may_practise(served: ServedBank, question: Question, state: QuestionState) -> bool:
    finished = state.solved_at is not None or state.revealed_at is not None
    return served.is_closed() or not can_still_count(question, state.attempts, finished)


def reveal(state: QuestionState, now: datetime | None = None) -> None:
    """Show the worked solution; the question's credit is locked from now on."""
    if state.revealed_at is None:
        state.revealed_at = now or utcnow()
        db.session.flush()


def solution_visible(served: ServedBank, state: QuestionState) -> bool:
    return bool(state.solved_at or state.revealed_at or served.is_closed())


# ---------------------------------------------------------------- attempts


@dataclass(frozen=True)
class Answerable:
    """A student's state on one question with its current variant: all that grading an answer reads."""

    state_id: int
    variant_id: int
    seed: int
    answer: Any
    choice_order: list[str] | None
    attempts: int
    finished: bool  # solved or revealed

    def can_count(self, question: Question) -> bool:
        """False once solved, revealed or out of attempts: none of these ever goes back."""
        return can_still_count(question, self.attempts, self.finished)


_ANSWERABLE = (
    select(
        QuestionState.id, Variant.id, Variant.seed, Variant.answer, Variant.choice_order, QuestionState.attempts,
        QuestionState.solved_at.is_not(None) | QuestionState.revealed_at.is_not(None),
    )
    .join(Variant, Variant.id == QuestionState.variant_id)
    .where(
        QuestionState.user_id == bindparam("user_id"),
        QuestionState.week == bindparam("week"),
        QuestionState.question_id == bindparam("question_id"),
    )
)


_READ_ANSWERABLE = HotStatement(_ANSWERABLE)


def answerable(user_id: int, week: int, question_id: str) -> Answerable | None:
    """One light query (no ORM objects): the answer path runs for every submission at a deadline."""
    row = _READ_ANSWERABLE.first(
        db.session.connection(), {"user_id": user_id, "week": week, "question_id": question_id}
    )
    return Answerable(*row) if row else None


def _with_state_and_variant(statement: Any, user_id: Any) -> Any:
    """Outer-join the student's state on the question (in the bank version's week) and its variant."""
    state = (
        (QuestionState.user_id == user_id)
        & (QuestionState.week == BankVersion.week)
        & (QuestionState.question_id == bindparam("question_id"))
    )
    return statement.outerjoin(QuestionState, state).outerjoin(Variant, Variant.id == QuestionState.variant_id)


_CURRENT_VERSION = (BankVersion.week == bindparam("week")) & BankVersion.is_current.is_(True)
_TARGET_COLUMNS = (
    BankVersion.id, BankVersion.week, BankVersion.content_hash, BankVersion.path, *_ANSWERABLE.selected_columns,
)
_ANSWER_TARGET = HotStatement(
    _with_state_and_variant(select(*_TARGET_COLUMNS).select_from(BankVersion), bindparam("user_id")).where(
        _CURRENT_VERSION
    )
)


AnswerTarget = tuple[VersionRef | None, Answerable | None]


def answer_target(user_id: int, week: int, question_id: str) -> AnswerTarget:
    """The week's current bank version and the student's state on the question, in one query: an
    answer's reads before it is graded are this and the signed-in user, nothing else."""
    row = _ANSWER_TARGET.first(db.session.connection(), {"user_id": user_id, "week": week, "question_id": question_id})
    return answer_target_from(row) if row is not None else (None, None)


def answer_target_from(columns: Sequence[Any]) -> AnswerTarget:
    """(version, state) from _TARGET_COLUMNS; all None where the week has no current version."""
    if columns[0] is None:
        return None, None
    return VersionRef(*columns[:4]), (Answerable(*columns[4:]) if columns[4] is not None else None)


def with_answer_target(account_columns: Any, user_id: Any) -> Any:
    """A SELECT of the account's columns followed by _TARGET_COLUMNS for the account `user_id` names.

    The answer route's reads are the signed-in account and this: one query gives both, so an answer
    costs one round trip less. The account's row comes back (and is checked) whatever the week holds.
    """
    joined = (
        account_columns.add_columns(*_TARGET_COLUMNS)
        .select_from(*account_columns.get_final_froms())
        .outerjoin(BankVersion, _CURRENT_VERSION)
    )
    return _with_state_and_variant(joined, user_id)


@dataclass(frozen=True)
class SubmitOutcome:
    grade: Grade
    attempt_id: int
    counted: bool  # changed the week's score
    note: str = ""  # why it did not count, when it did not
    duplicate: bool = False


NOT_GRADED = "Not graded: this does not use up an attempt."
CLOSED_PRACTICE = "This week is closed: the answer was graded as practice and does not change your score."
REVEALED_PRACTICE = "You revealed the solution: this answer is practice and does not change your score."
SOLVED_PRACTICE = "You already solved this question: this answer is practice."
UNLIMITED = 2**31 - 1

_ATTEMPT_COLUMNS = (
    "user_id", "week", "question_id", "variant_id", "bank_hash", "seed", "raw_answer", "status", "score",
    "message", "mistake", "parsed", "idempotency_key", "created_at",
)  # fmt: skip


def _insert_attempt(dialect: str) -> Any:
    """INSERT … ON CONFLICT (idempotency_key) DO NOTHING RETURNING id: a taken token inserts nothing."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    values: dict[str, BindParameter[Any]] = {name: bindparam(name) for name in _ATTEMPT_COLUMNS}
    return (
        insert(Attempt)
        .values(counted=False, credit=0.0, **values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(Attempt.id)
    )


_INSERT_ATTEMPT = {
    "sqlite": HotStatement(_insert_attempt("sqlite")),
    # On PostgreSQL it records only invalid answers, which write nothing else: one statement, no BEGIN.
    "postgresql": HotStatement(_insert_attempt("postgresql").execution_options(**{postgres.SELF_CONTAINED: True})),
}


def _claim(correct: bool) -> Any:
    """Take one counted attempt and apply its credit in a single UPDATE, or match no row when none is left.

    The row lock this statement holds makes concurrent answers to one question count one after the
    other: they can never exceed max_attempts, and each sees the wrong answers before it.
    """
    earned = bindparam("score", type_=Float) - bindparam("penalty", type_=Float) * QuestionState.wrong
    values: dict[str, Any] = {
        "attempts": QuestionState.attempts + 1,
        "credit": case((earned > QuestionState.credit, earned), else_=QuestionState.credit),
        "first_score": func.coalesce(QuestionState.first_score, bindparam("score", type_=Float)),
        "last_attempt_at": bindparam("now"),
    }
    if correct:
        values |= {"solved_at": bindparam("now"), "attempts_to_correct": QuestionState.attempts + 1}
    else:
        values |= {"wrong": QuestionState.wrong + 1}
    return (
        update(QuestionState)
        .where(
            QuestionState.id == bindparam("state_id"),
            QuestionState.revealed_at.is_(None),
            QuestionState.solved_at.is_(None),
            QuestionState.attempts < bindparam("max_attempts"),
        )
        .values(values)
        .returning(QuestionState.wrong)
    )


_CLAIM = {correct: HotStatement(_claim(correct)) for correct in (True, False)}
_TOUCH = HotStatement(
    update(QuestionState)
    .where(QuestionState.id == bindparam("state_id"))
    .values(last_attempt_at=bindparam("now"))
    .returning(QuestionState.revealed_at, QuestionState.solved_at)
)
_COUNT = HotStatement(
    update(Attempt)
    .where(Attempt.id == bindparam("attempt_id"))
    .values(counted=True, credit=bindparam("credit", type_=Float))
)


def practice_note(served: ServedBank, question: Question, state: QuestionState, last: Attempt | None) -> str:
    """Why the answer shown next to a question did not change the score: read off the stored rows."""
    if last is None or last.counted or last.status == Status.INVALID.value:
        return ""
    if served.is_closed(last.created_at):
        return CLOSED_PRACTICE
    return _not_counted(question, state.revealed_at, state.solved_at)


def _not_counted(question: Question, revealed_at: datetime | None, solved_at: datetime | None) -> str:
    """Why an answer to an open week did not count: revealed, solved, or out of attempts."""
    if revealed_at is not None:
        return REVEALED_PRACTICE
    if solved_at is not None:
        return SOLVED_PRACTICE
    return (
        f"You have used all {question.max_attempts} attempts: this answer was graded as practice "
        "and does not change your score."
    )


def _answer_in_one_statement(correct: bool) -> Any:
    """PostgreSQL: claim-or-touch the state and insert the attempt row in one statement (no BEGIN, no COMMIT).

        WITH claim AS (UPDATE question_states … WHERE <an attempt is left> AND <the token is unused> RETURNING wrong),
             touch AS (UPDATE question_states SET last_attempt_at … WHERE <nothing was claimed> … RETURNING …),
             ins AS (INSERT INTO attempts … SELECT …, <claimed?>, <credit> WHERE <the token is unused> RETURNING id)
        SELECT <ins.id>, <claim.wrong>, <touch.revealed_at>, <touch.solved_at>

    The statement is atomic, and the claim's row lock orders concurrent answers as the separate UPDATE
    does on SQLite. A token already stored inserts nothing and claims nothing; the same token sent twice
    at once makes the second statement fail on the unique token, which undoes its claim as well.
    """
    token_taken = exists().where(Attempt.idempotency_key == bindparam("idempotency_key"))
    claim = _claim(correct).where(bindparam("may_count", type_=Boolean), ~token_taken).cte("claim")
    claimed = exists(select(claim.c.wrong))
    touch = (
        update(QuestionState)
        .where(QuestionState.id == bindparam("state_id"), ~claimed, ~token_taken)
        .values(last_attempt_at=bindparam("now"))
        .returning(QuestionState.revealed_at, QuestionState.solved_at)
        .cte("touch")
    )
    wrong_before = claim.c.wrong - (0 if correct else 1)
    score = bindparam("score", type_=Float)
    credit = select(func.greatest(0.0, score - bindparam("penalty", type_=Float) * wrong_before)).scalar_subquery()
    columns = Attempt.__table__.c
    # Named apart from the columns: a parameter named like a column would be SET by both UPDATEs.
    row = select(
        *(bindparam(f"attempt_{name}", type_=columns[name].type) for name in _ATTEMPT_COLUMNS),
        claimed,
        func.coalesce(credit, 0.0),
    )
    ins = (
        insert(Attempt)
        .from_select([*_ATTEMPT_COLUMNS, "counted", "credit"], row.where(~token_taken))
        .returning(Attempt.id)
        .cte("ins")
    )
    return select(
        select(ins.c.id).scalar_subquery(),
        select(claim.c.wrong).scalar_subquery(),
        select(touch.c.revealed_at).scalar_subquery(),
        select(touch.c.solved_at).scalar_subquery(),
    ).execution_options(**{postgres.SELF_CONTAINED: True})


_ANSWER_IN_ONE_STATEMENT = {correct: HotStatement(_answer_in_one_statement(correct)) for correct in (True, False)}


def submit_answer(
    user_id: int,
    served: ServedBank,
    question: Question,
    target: Answerable,
    raw: str,
    *,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    connection: Connection | None = None,
    unreadable: str | None = None,
) -> SubmitOutcome:
    """Grade one answer and record it: a row per answer, and a counted attempt when one is left.

    `unreadable` is why the view could not read the form (a choice that is not a shown place): the
    answer is then recorded as invalid with that message, without grading.

    Statements compiled once and sent on the driver's cursor (`hotpath`) of `connection` (the
    answer view gives the request's Core connection), else of the session's connection. On PostgreSQL
    all of it is one statement (`_answer_in_one_statement`), so an answer costs one round trip to the
    database. On SQLite the row is inserted first (a taken token inserts nothing, so a double-submitted
    form is recorded once without a savepoint), then the attempt is claimed and credited in one
    UPDATE; nothing else runs between the first write and the caller's commit, so SQLite's write lock
    is held for microseconds.
    """
    now = now or utcnow()
    spec = question.answer_spec()
    result = Grade(Status.INVALID, 0.0, unreadable) if unreadable else grade(spec, target.answer, raw)
    conn = connection if connection is not None else db.session.connection()
    params: dict[str, Any] = {
        "user_id": user_id,
        "week": served.week,
        "question_id": question.id,
        "variant_id": target.variant_id,
        "bank_hash": served.version.content_hash,
        "seed": target.seed,
        "raw_answer": raw,
        "status": result.status.value,
        "score": result.score,
        "message": result.message,
        "mistake": result.mistake,
        "parsed": result.value,
        "idempotency_key": idempotency_key,
        "created_at": now,
    }
    closed = served.is_closed(now)
    correct = result.status is Status.CORRECT
    state = {"state_id": target.state_id, "now": now}
    claim = state | {
        "score": result.score,
        "penalty": question.penalty,
        "max_attempts": UNLIMITED if question.max_attempts is None else question.max_attempts,
    }
    if conn.dialect.name == "postgresql" and result.status is not Status.INVALID:
        statement = _ANSWER_IN_ONE_STATEMENT[correct]
        params = {f"attempt_{name}": value for name, value in params.items()} | claim | {
            "idempotency_key": idempotency_key, "may_count": not closed and target.can_count(question),
        }  # fmt: skip
        try:
            with postgres.statement_scope(db.session if connection is None else connection) as scoped:
                attempt_id, claimed_wrong, revealed_at, solved_at = statement.one(scoped, params)
        except IntegrityError as exc:
            if not postgres.violates(exc, "uq_attempts_idempotency_key"):
                raise
            attempt_id = None  # the same form sent twice at once: the other one was recorded
        if attempt_id is None:
            return _already_received(connection, user_id, served, question, target, raw, idempotency_key, now)
        if claimed_wrong is not None:
            return SubmitOutcome(result, attempt_id, True)
        note = CLOSED_PRACTICE if closed else _not_counted(question, revealed_at, solved_at)
        return SubmitOutcome(result, attempt_id, False, note)

    inserted = _INSERT_ATTEMPT[conn.dialect.name].first(conn, params)
    attempt_id = inserted[0] if inserted else None
    if attempt_id is None:  # the token is taken: the same form sent twice, one after the other or at once
        return _already_received(connection, user_id, served, question, target, raw, idempotency_key, now)
    if result.status is Status.INVALID:
        return SubmitOutcome(result, attempt_id, False, NOT_GRADED)
    if closed:
        _TOUCH.first(conn, state)
        return SubmitOutcome(result, attempt_id, False, CLOSED_PRACTICE)
    claimed = None
    if target.can_count(question):  # otherwise it cannot count now either: skip the claim
        claimed = _CLAIM[correct].first(conn, claim)
    if claimed is None:  # solved, revealed or out of attempts, as of the row lock: say which
        revealed_at, solved_at = _TOUCH.one(conn, state)
        return SubmitOutcome(result, attempt_id, False, _not_counted(question, revealed_at, solved_at))
    (wrong,) = claimed
    wrong_before = wrong - (0 if correct else 1)
    credit = max(0.0, result.score - question.penalty * wrong_before)
    _COUNT.first(conn, {"attempt_id": attempt_id, "credit": credit})
    return SubmitOutcome(result, attempt_id, True)


def _already_received(
    connection: Connection | None, user_id: int, served: ServedBank, question: Question, target: Answerable,
    raw: str, idempotency_key: str | None, now: datetime,
) -> SubmitOutcome:  # fmt: skip
    """The token is stored: what that answer got, or, for somebody else's token, a new answer without one."""
    conn = connection if connection is not None else db.session.connection()
    previous = conn.execute(
        select(Attempt.id, Attempt.user_id, Attempt.status, Attempt.score, Attempt.message,
               Attempt.parsed, Attempt.mistake, Attempt.counted)
        .where(Attempt.idempotency_key == idempotency_key)
    ).one()  # fmt: skip
    if previous.user_id != user_id:  # somebody else's token: never reuse it
        return submit_answer(
            user_id, served, question, target, raw, idempotency_key=None, now=now, connection=connection
        )
    stored = Grade(Status(previous.status), previous.score, previous.message, previous.parsed, previous.mistake)
    return SubmitOutcome(stored, previous.id, previous.counted, "This answer was already received.", duplicate=True)


def last_attempts(user: Account, week: int, question_id: str | None = None) -> dict[str, Attempt]:
    """The latest attempt on each question's current variant (or on one question's), for feedback next
    to it: one row per question is read, however many attempts a student has made."""
    latest = (
        select(func.max(Attempt.id))
        .join(QuestionState, QuestionState.variant_id == Attempt.variant_id)
        .where(Attempt.user_id == user.id, Attempt.week == week, QuestionState.user_id == user.id)
        .group_by(Attempt.question_id)
    )
    if question_id is not None:
        latest = latest.where(Attempt.question_id == question_id)
    rows = db.session.scalars(select(Attempt).where(Attempt.id.in_(latest)))
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


def week_progress(user: Account, served: Sequence[ServedBank]) -> dict[int, WeekProgress]:
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
        bank, _ = load_bank(version.source, version.path)
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
