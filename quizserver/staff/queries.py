"""SQL aggregates behind the staff pages: a handful of grouped queries per page, never one per student."""
from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, NamedTuple, overload

import numpy as np
from sqlalchemy import ColumnElement, Text, case, cast, func, select

from quizserver import localtime, stats
from quizserver.bank import Question
from quizserver.catalog import ServedBank
from quizserver.extensions import db
from quizserver.grading import format_answer
from quizserver.models import Attempt, AttemptPurpose, PoolVariant, QuestionState, Role, User, Variant

WRONG_STATUSES = ("incorrect", "partial")
TOP_GROUPS = 5


def _execute(stmt: Any) -> Any:
    """Core execution on the session's connection: plain rows, without the ORM's per-row loading."""
    return db.session.connection().execute(stmt)


@overload
def as_utc(moment: datetime) -> datetime: ...


@overload
def as_utc(moment: datetime | None) -> datetime | None: ...


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes (stored as UTC), PostgreSQL aware ones."""
    return None if moment is None else localtime.as_utc(moment)


# ---------------------------------------------------------------- gradebook


class WeekCell(NamedTuple):
    """A student's standing in one week (a tuple: a thousand students make twelve thousand of these)."""

    points: float
    total: int
    solved: int
    attempted: int
    questions: int
    last: datetime | None

    @property
    def percent(self) -> float:
        return 100.0 * self.points / self.total if self.total else 0.0


@dataclass
class GradebookRow:
    user_id: int
    email: str
    name: str
    cells: dict[int, WeekCell]
    last: datetime | None = None

    def percent(self, week: int) -> float:
        cell = self.cells.get(week)
        return cell.percent if cell else 0.0

    def points(self, weeks: Iterable[int]) -> float:
        """Points over the given weeks (a week without work counts 0)."""
        return sum(self.cells[w].points for w in weeks if w in self.cells)


@dataclass(frozen=True)
class WeekTotal:
    week: int
    mean_percent: float
    started: int  # students with at least one counted attempt
    completed: int  # students who solved every question
    students: int

    @property
    def completion_rate(self) -> float | None:
        return stats.share(self.completed, self.students)

    @property
    def participation_rate(self) -> float | None:
        return stats.share(self.started, self.students)


def _points(served: Sequence[ServedBank]) -> ColumnElement[Any]:
    """Each state's question points from the current banks (0 for a question no longer served)."""
    per_week = {
        sb.week: case({q.id: q.points for q in sb.bank.questions}, value=QuestionState.question_id, else_=0)
        for sb in served
    }
    return case(per_week, value=QuestionState.week, else_=0)


def _has_dropped_questions(served: Sequence[ServedBank]) -> bool:
    """Whether some student holds a question the current bank no longer has (read from an index only)."""
    current = {(sb.week, q.id) for sb in served for q in sb.bank.questions}
    held = _execute(
        select(QuestionState.week, QuestionState.question_id)
        .where(QuestionState.week.in_([sb.week for sb in served]))
        .group_by(QuestionState.week, QuestionState.question_id)
    )
    return any((week, qid) not in current for week, qid in held)


def week_cells(
    served: Sequence[ServedBank], *, user_id: int | None = None, week: int | None = None
) -> dict[tuple[int, int], WeekCell]:
    """(user id, week) -> the student's standing in that week, in one grouped query."""
    chosen = [sb for sb in served if week is None or sb.week == week]
    if not chosen:
        return {}
    points = _points(chosen)
    stmt = (
        select(
            QuestionState.user_id,
            QuestionState.week,
            func.sum(QuestionState.credit * points),
            func.count(QuestionState.solved_at),
            func.sum(case((QuestionState.attempts > 0, 1), else_=0)),
            func.max(QuestionState.last_attempt_at),
        )
        .where(QuestionState.week.in_([sb.week for sb in chosen]))
        .group_by(QuestionState.user_id, QuestionState.week)
    )
    if _has_dropped_questions(chosen):
        stmt = stmt.where(points > 0)  # a question dropped from the current bank counts for nothing
    if user_id is not None:
        stmt = stmt.where(QuestionState.user_id == user_id)
    totals = {sb.week: (sb.bank.total_points, len(sb.bank.questions)) for sb in chosen}
    return {
        (uid, wk): WeekCell(float(pts or 0.0), totals[wk][0], int(solved or 0), int(tried or 0), totals[wk][1], last)
        for uid, wk, pts, solved, tried, last in _execute(stmt)
    }


def gradebook(served: Sequence[ServedBank]) -> list[GradebookRow]:
    """Every student with a cell per week they have a standing in: two queries in all."""
    stmt = select(User.id, User.email, User.name).where(User.role == Role.STUDENT.value)
    rows = {uid: GradebookRow(uid, email, name or "", {}) for uid, email, name in _execute(stmt)}
    for (uid, wk), cell in week_cells(served).items():
        row = rows.get(uid)
        if row is None:
            continue
        row.cells[wk] = cell
        # one database hands back only naive or only aware datetimes, so they compare directly
        if cell.last is not None and (row.last is None or cell.last > row.last):
            row.last = cell.last
    return list(rows.values())


def filter_rows(rows: Sequence[GradebookRow], search: str) -> list[GradebookRow]:
    """The rows whose name or e-mail contains search, ignoring case."""
    needle = search.strip().casefold()
    return [r for r in rows if needle in r.email.casefold() or needle in r.name.casefold()]


def week_totals(rows: Sequence[GradebookRow], served: Sequence[ServedBank]) -> dict[int, WeekTotal]:
    """Mean score (students without work count as 0), students started and completed, per week."""
    percent_sum = dict.fromkeys((sb.week for sb in served), 0.0)
    started = dict.fromkeys(percent_sum, 0)
    completed = dict.fromkeys(percent_sum, 0)
    for row in rows:
        for week, cell in row.cells.items():
            if week not in percent_sum:
                continue
            percent_sum[week] += cell.percent
            started[week] += cell.attempted > 0
            completed[week] += cell.solved == cell.questions
    n = len(rows)
    return {
        week: WeekTotal(week, percent_sum[week] / n if n else 0.0, started[week], completed[week], n)
        for week in percent_sum
    }


def sort_rows(rows: list[GradebookRow], key: str, descending: bool) -> list[GradebookRow]:
    """key: "name", "email", "last", "total" or "week-N"; an unknown key sorts by name."""
    if key == "email":
        ordered = sorted(rows, key=lambda r: r.email.lower(), reverse=descending)
    elif key == "last":
        floor = datetime.min.replace(tzinfo=UTC)
        ordered = sorted(rows, key=lambda r: as_utc(r.last) or floor, reverse=descending)
    elif key == "total":
        ordered = sorted(rows, key=lambda r: (sum(c.points for c in r.cells.values()), r.email.lower()),
                         reverse=descending)  # fmt: skip
    elif key.startswith("week-") and key[5:].isdigit():
        week = int(key[5:])
        ordered = sorted(rows, key=lambda r: (r.percent(week), r.email.lower()), reverse=descending)
    else:
        ordered = sorted(rows, key=lambda r: ((r.name or r.email).lower(), r.email.lower()), reverse=descending)
    return ordered


def student_count() -> int:
    return int(db.session.scalar(select(func.count(User.id)).where(User.role == Role.STUDENT.value)) or 0)


# ---------------------------------------------------------------- week overview


def attempt_times(week: int) -> list[datetime]:
    """When each graded attempt of the week was made (one light column; bucketed in the course zone by the
    caller, which SQL cannot do the same way on SQLite and PostgreSQL)."""
    stmt = select(Attempt.created_at).where(
        Attempt.week == week, Attempt.status != "invalid", Attempt.purpose != AttemptPurpose.REVIEW.value
    )
    return [moment for (moment,) in _execute(stmt) if moment is not None]


def daily_counts(
    moments: Sequence[datetime],
    tz: tzinfo,
    *,
    opens: datetime | None = None,
    closes: datetime | None = None,
    today: date | None = None,
) -> list[tuple[date, int]]:
    """Attempts per calendar day in the course zone, every day from the week's opening (or the first attempt)
    to its deadline (or the last attempt), a day without attempts counted as 0: a gap is news, not noise.
    Days after today are left out, so a running week's line ends today."""
    counts: dict[date, int] = {}
    for moment in moments:
        day = localtime.course_date(moment, tz)
        counts[day] = counts.get(day, 0) + 1
    bounds = list(counts)
    bounds += [localtime.course_date(m, tz) for m in (opens, closes) if m is not None]
    if not bounds:
        return []
    first, last = min(bounds), max(bounds)
    if today is not None:
        last = min(last, today) if not counts else max(min(last, today), max(counts))
    if last < first:  # the week opens after today
        return []
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [(day, counts.get(day, 0)) for day in days]


# ---------------------------------------------------------------- item analysis


@dataclass(frozen=True)
class ShownGroup:
    text: str
    attempts: int
    students: int
    mistake_label: str


@dataclass
class ItemStats:
    question: Question
    number: int
    opened: int = 0  # students with the question on their page
    attempting: int = 0  # students with at least one counted attempt
    attempts: int = 0  # attempts that counted towards the score
    facility: float | None = None
    discrimination: float | None = None
    mean_attempts_to_correct: float | None = None
    revealed_share: float | None = None
    solved_share: float | None = None
    groups: list[ShownGroup] = field(default_factory=list)
    mistakes: dict[str, int] = field(default_factory=dict)
    suspicion: stats.KeySuspicion | None = None

    @property
    def low_discrimination(self) -> bool:
        return self.discrimination is not None and self.discrimination < stats.LOW_DISCRIMINATION

    @property
    def mistake_labels(self) -> list[tuple[str, int]]:
        return [(stats.MISTAKE_LABELS.get(m, m), n) for m, n in self.mistakes.items()]


def _pool_keys(served: ServedBank) -> dict[tuple[str, int], Any]:
    """(question id, seed) -> the key, for the served version's pools (students keep a seed across versions
    whose key did not change, so the served key is theirs)."""
    rows = _execute(
        select(PoolVariant.question_id, PoolVariant.seed, cast(PoolVariant.answer, Text)).where(
            PoolVariant.bank_version_id == served.version.id
        )
    )
    return {(qid, seed): json.loads(text) for qid, seed, text in rows if text is not None}


def _rest_of_week(first: np.ndarray, points: Sequence[float]) -> np.ndarray:
    """students x questions: each student's first-attempt marks on the week's other questions."""
    marks = np.nan_to_num(first, nan=0.0) * np.asarray(points, dtype=np.float64)
    return np.asarray(marks.sum(axis=1, keepdims=True) - marks)


def item_analysis(served: ServedBank) -> list[ItemStats]:
    """Per question of one week: three grouped queries, then the statistics from arrays."""
    questions = list(served.bank.questions)
    column = {q.id: j for j, q in enumerate(questions)}
    items = [ItemStats(q, i) for i, q in enumerate(questions, start=1)]

    state_rows = _execute(
        select(
            QuestionState.user_id,
            QuestionState.question_id,
            QuestionState.first_score,
            QuestionState.attempts,
            QuestionState.attempts_to_correct,
            QuestionState.revealed_at.is_not(None),
            QuestionState.solved_at.is_not(None),
        ).where(QuestionState.week == served.week)
    ).all()
    students: dict[int, int] = {}
    for row in state_rows:
        students.setdefault(row[0], len(students))
    first = np.full((len(students), len(questions)), np.nan)
    to_correct = np.full_like(first, np.nan)
    opened = np.zeros(len(questions), dtype=np.int64)
    attempting = np.zeros_like(opened)
    counted = np.zeros_like(opened)
    revealed = np.zeros_like(opened)
    solved = np.zeros_like(opened)
    for uid, qid, first_score, attempts, atc, was_revealed, was_solved in state_rows:
        j = column.get(qid)
        if j is None:
            continue
        i = students[uid]
        opened[j] += 1
        if first_score is not None:
            first[i, j] = first_score
        if attempts:
            attempting[j] += 1
            counted[j] += attempts
        if atc is not None:
            to_correct[i, j] = atc
        revealed[j] += bool(was_revealed)
        solved[j] += bool(was_solved)

    discriminations = stats.discrimination(first, [q.points for q in questions])
    rest = _rest_of_week(first, [q.points for q in questions])
    uid_of = list(students)
    for j, item in enumerate(items):
        item.opened = int(opened[j])
        item.attempting = int(attempting[j])
        item.attempts = int(counted[j])
        item.facility = stats.facility(first[:, j])
        item.discrimination = discriminations[j]
        item.mean_attempts_to_correct = stats.mean_attempts_to_correct(to_correct[:, j])
        item.revealed_share = stats.share(int(revealed[j]), item.opened)
        item.solved_share = stats.share(int(solved[j]), item.opened)

    # the stored JSON text, parsed once per distinct answer rather than once per attempt
    wrong: dict[str, tuple[list[Any], list[int], list[str | None], list[str], list[tuple[int, int, bool]]]] = {
        q.id: ([], [], [], [], []) for q in questions
    }
    parsed_of: dict[str, Any] = {}
    wrong_rows = _execute(
        select(
            Attempt.question_id, Attempt.user_id, cast(Attempt.parsed, Text), Attempt.mistake, Attempt.seed,
            Attempt.id, Attempt.counted,
        ).where(
            Attempt.week == served.week, Attempt.status.in_(WRONG_STATUSES),
            Attempt.purpose != AttemptPurpose.REVIEW.value,  # review answers are practice, not item data
        )
    )
    for qid, uid, parsed_text, mistake, seed, attempt_id, counted in wrong_rows:
        bucket = wrong.get(qid)
        if bucket is None or parsed_text is None:
            continue
        if parsed_text not in parsed_of:
            parsed_of[parsed_text] = json.loads(parsed_text)
        if parsed_of[parsed_text] is None:
            continue
        bucket[0].append(parsed_of[parsed_text])
        bucket[1].append(uid)
        bucket[2].append(mistake)
        bucket[3].append(parsed_text)
        bucket[4].append((seed, attempt_id, bool(counted)))
    keys = _pool_keys(served)
    for j, item in enumerate(items):
        values, uids, mistakes, texts, seeds = wrong[item.question.id]
        tolerance = item.question.tolerance
        groups = stats.group_answers(
            values, uids, mistakes, rtol=tolerance.rtol, atol=tolerance.atol, keys=texts, limit=TOP_GROUPS
        )
        item.mistakes = stats.mistake_students(uids, mistakes)
        attempted = np.isfinite(first[:, j])
        item.suspicion = stats.likely_wrong_key(
            [
                stats.WrongAnswer(u, sd, v, m, order, counted, keys.get((item.question.id, sd)))
                for u, (sd, order, counted), v, m in zip(uids, seeds, values, mistakes, strict=True)
            ],
            {uid_of[i]: float(rest[i, j]) for i in np.flatnonzero(attempted).tolist()},
            solved_first={uid_of[i] for i in np.flatnonzero(first[:, j] >= 1.0).tolist()},
            rtol=tolerance.rtol,
            atol=tolerance.atol,
        )
        item.groups = [
            ShownGroup(_answer_text(item.question, g.value, width=160), g.attempts, g.students, g.mistake_label)
            for g in groups
        ]
    return items


# ---------------------------------------------------------------- one student


@dataclass(frozen=True)
class AttemptRow:
    id: int
    week: int
    question_id: str
    numbers: str
    key: str
    answer: str
    status: str
    score: float
    credit: float
    counted: bool
    mistake: str
    created_at: datetime | None
    seed: int = 0
    slot: int | None = None  # the variant's place in its pool (the preview's variant number - 1)


@dataclass
class VariantHistory:
    """One set of numbers a student worked on, with every answer they gave to it."""

    seed: int
    slot: int | None
    numbers: str
    key: str
    attempts: list[AttemptRow] = field(default_factory=list)


@dataclass
class QuestionHistory:
    number: int  # Q1, Q2, ... as on the week page; 0 for a question the current bank no longer has
    question_id: str
    title: str
    variants: list[VariantHistory] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        return sum(len(v.attempts) for v in self.variants)

    @property
    def solved(self) -> bool:
        return any(a.status == "correct" and a.counted for v in self.variants for a in v.attempts)

    @property
    def best_credit(self) -> float:
        return max((a.credit for v in self.variants for a in v.attempts), default=0.0)


@dataclass
class WeekHistory:
    week: int
    title: str
    questions: list[QuestionHistory] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        return sum(q.attempts for q in self.questions)


def choice_text(question: Question, ids: Sequence[str]) -> str:
    """The options' own words (students saw them shuffled, so the author's letters mean nothing to them)."""
    texts = {c.id: " ".join(c.text.split()) for c in question.choices}
    return "; ".join(texts.get(cid, f"(option {cid} no longer exists)") for cid in ids) or "(nothing selected)"


def short_text(text: str, width: int = 120) -> str:
    """At most `width` characters, cut between words with an ellipsis, never inside one."""
    return textwrap.shorten(text, width=width, placeholder=" …")


def _answer_text(question: Question, value: Any, width: int | None = None) -> str:
    if question.is_choice and isinstance(value, list):
        text = choice_text(question, value)
        return short_text(text, width) if width else text
    try:
        return format_answer(value)
    except (TypeError, ValueError):
        return str(value)


def _given_text(question: Question | None, raw: str) -> str:
    """A choice answer as the options' words; anything else as typed."""
    if question is not None and question.is_choice:
        return choice_text(question, [part.strip() for part in raw.split(",") if part.strip()])
    return raw


def _numbers(question: Question | None, names: dict[str, Any] | None) -> str:
    if not names:
        return ""
    wanted = [p.name for p in question.params] if question is not None and question.params else None
    shown = []
    for name in wanted or [n for n in names if n != "answer"]:
        if name in names:
            try:
                shown.append(f"{name} = {format_answer(names[name])}")
            except (TypeError, ValueError):
                shown.append(f"{name} = {names[name]}")
    return "; ".join(shown)


def student_attempts(user_id: int, served: Sequence[ServedBank]) -> list[AttemptRow]:
    """Every attempt of one student with the numbers of the variant it answered: two queries."""
    questions = {(sb.week, q.id): q for sb in served for q in sb.bank.questions}
    attempts = _execute(
        select(
            Attempt.id, Attempt.week, Attempt.question_id, Attempt.variant_id, Attempt.raw_answer, Attempt.status,
            Attempt.score, Attempt.credit, Attempt.counted, Attempt.mistake, Attempt.created_at, Attempt.seed,
        )
        .where(Attempt.user_id == user_id)
        .order_by(Attempt.created_at, Attempt.id)
    ).all()
    variant_ids = {a.variant_id for a in attempts}
    shown: dict[int, tuple[str, str, int | None]] = {}
    if variant_ids:
        # one row per variant (a student answers each several times), so each JSON is read once
        variants = _execute(
            select(
                Variant.id, Variant.week, Variant.question_id, Variant.names, Variant.answer, PoolVariant.params,
                PoolVariant.slot,
            )
            .outerjoin(PoolVariant, PoolVariant.id == Variant.pool_variant_id)
            .where(Variant.user_id == user_id, Variant.id.in_(variant_ids))
        )
        for vid, week, qid, names, answer, params, slot in variants:
            question = questions.get((week, qid))
            key = _answer_text(question, answer) if question is not None else str(answer)
            # a pool variant's parameters; a variant from before pools keeps its own names
            shown[vid] = (_numbers(question, params if params is not None else names), key, slot)
    rows = []
    for r in attempts:
        numbers, key, slot = shown.get(r.variant_id, ("", "", None))
        rows.append(
            AttemptRow(
                r.id, r.week, r.question_id, numbers, key, _given_text(questions.get((r.week, r.question_id)),
                                                                        r.raw_answer),
                r.status, r.score, r.credit, r.counted, stats.MISTAKE_LABELS.get(r.mistake or "", r.mistake or ""),
                r.created_at, r.seed, slot,
            )
        )
    return rows


def student_history(attempts: Sequence[AttemptRow], served: Sequence[ServedBank]) -> list[WeekHistory]:
    """Attempts grouped by week, question (in the bank's order) and variant (in the order first worked on)."""
    banks = {sb.week: sb for sb in served}
    weeks: dict[int, WeekHistory] = {}
    questions: dict[tuple[int, str], QuestionHistory] = {}
    variants: dict[tuple[int, str, int], VariantHistory] = {}
    for a in attempts:
        week = weeks.get(a.week)
        if week is None:
            sb = banks.get(a.week)
            week = weeks[a.week] = WeekHistory(a.week, sb.bank.title if sb else "(no longer published)")
        question = questions.get((a.week, a.question_id))
        if question is None:
            sb = banks.get(a.week)
            found = sb.bank.question(a.question_id) if sb else None
            number = sb.bank.questions.index(found) + 1 if sb and found else 0
            question = questions[(a.week, a.question_id)] = QuestionHistory(
                number, a.question_id, found.title if found else ""
            )
            week.questions.append(question)
        variant = variants.get((a.week, a.question_id, a.seed))
        if variant is None:
            variant = variants[(a.week, a.question_id, a.seed)] = VariantHistory(a.seed, a.slot, a.numbers, a.key)
            question.variants.append(variant)
        variant.attempts.append(a)
    for week in weeks.values():
        week.questions.sort(key=lambda q: (q.number or 10**6, q.question_id))
    return [weeks[w] for w in sorted(weeks)]


# ---------------------------------------------------------------- exports


LONG_COLUMNS = (
    "attempt_id", "email", "week", "question", "seed", "submitted_at", "status", "score", "credit", "counted",
    "mistake", "answer",
)


def long_rows(week: int | None = None, batch: int = 5000) -> Iterator[tuple[Any, ...]]:
    """One row per attempt, read in batches so a whole semester never sits in memory."""
    stmt = (
        select(
            Attempt.id, User.email, Attempt.week, Attempt.question_id, Attempt.seed, Attempt.created_at,
            Attempt.status, Attempt.score, Attempt.credit, Attempt.counted, Attempt.mistake, Attempt.raw_answer,
        )
        .join(User, User.id == Attempt.user_id)
        .order_by(Attempt.id)
    )
    if week is not None:
        stmt = stmt.where(Attempt.week == week)
    for row in _execute(stmt.execution_options(yield_per=batch)):
        yield tuple(row)
