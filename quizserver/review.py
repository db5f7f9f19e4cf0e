"""Spaced review of missed questions: a Leitner schedule over the questions of closed weeks.

A question of a closed week comes into a student's review when they did not solve it, revealed its
solution, or solved it only after several counted attempts. It comes back with new numbers from the
verified pool: a right answer moves it to the next box and a longer interval (1, 3, 7, 14, 30 days by
default), a wrong one brings it back the next day. A question that reached the top box is mastered;
it still comes back once per the longest interval. Review answers are attempts marked `review`:
practice that never changes a week's score.

The schedule functions are pure (a day in, a day out, `today` always given) and come first; the
service functions below them read and write review items. They flush; the view commits once.
"""
from __future__ import annotations

import logging
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .bank import Question
from .catalog import ServedBank
from .extensions import db
from .grading import Grade, Status, grade
from .grading.alternatives import key_text
from .localtime import course_date, course_timezone
from .models import Account, Attempt, AttemptPurpose, PoolVariant, QuestionState, ReviewItem, Variant
from .variants import PoolUnavailable, assign_variant

log = logging.getLogger(__name__)

REVIEW = AttemptPurpose.REVIEW.value
STREAK_LOOKBACK_DAYS = 400  # a streak longer than a year is shown as that long: reading further is waste


# ---------------------------------------------------------------- the schedule (pure)


class ReviewReason(StrEnum):
    REVEALED = "revealed"  # the solution was shown before the question was solved
    MISSED = "missed"  # not solved when the week closed
    TRIES = "tries"  # solved, but only after several counted attempts


@dataclass(frozen=True)
class Schedule:
    """Days until a question comes back, one per box above 0; the top box is "mastered"."""

    intervals: tuple[int, ...] = (1, 3, 7, 14, 30)
    after_tries: int = 3  # solved on this counted attempt or later: reviewed like a missed question

    @property
    def top_box(self) -> int:
        return len(self.intervals)


@dataclass(frozen=True)
class Placement:
    box: int
    due_on: date


def parse_intervals(text: str) -> tuple[int, ...]:
    """"1,3,7,14,30" -> (1, 3, 7, 14, 30); raises ValueError unless every part is a whole number of days >= 1."""
    parts = [part.strip() for part in str(text).split(",") if part.strip()]
    if not parts:
        raise ValueError("review intervals: give at least one number of days, e.g. 1,3,7,14,30")
    intervals = tuple(int(part) for part in parts)
    if any(days < 1 for days in intervals):
        raise ValueError(f"review intervals must be whole days of at least 1, not {text!r}")
    return intervals


def schedule_from(settings: Mapping[str, Any]) -> Schedule:
    """The course's schedule from its settings; a broken setting falls back to the default, with a log line."""
    try:
        intervals = parse_intervals(settings.get("REVIEW_INTERVALS", "1,3,7,14,30"))
    except ValueError as exc:
        log.warning("QUIZ_REVIEW_INTERVALS ignored: %s", exc)
        intervals = Schedule().intervals
    return Schedule(intervals, max(2, int(settings.get("REVIEW_AFTER_TRIES", 3))))


def review_reason(
    solved: bool, revealed: bool, attempts_to_correct: int | None, after_tries: int
) -> ReviewReason | None:
    """Why a question of a closed week deserves review, or None when it was solved within a few tries."""
    if revealed and not solved:
        return ReviewReason.REVEALED
    if not solved:
        return ReviewReason.MISSED
    if attempts_to_correct is not None and attempts_to_correct >= after_tries:
        return ReviewReason.TRIES
    return None


def entry_placement(closed_on: date) -> Placement:
    """A question comes into review in box 0, due from the day its week closed."""
    return Placement(0, closed_on)


def next_placement(box: int, right: bool, today: date, schedule: Schedule) -> Placement:
    """Right: one box up (at most the top) and that box's interval. Wrong: box 0, back after the first interval."""
    if not right:
        return Placement(0, today + timedelta(days=schedule.intervals[0]))
    up = min(box + 1, schedule.top_box)
    return Placement(up, today + timedelta(days=schedule.intervals[up - 1]))


def is_due(due_on: date, today: date) -> bool:
    return due_on <= today


def is_mastered(box: int, schedule: Schedule) -> bool:
    return box >= schedule.top_box


def review_streak(days: Iterable[date], today: date) -> int:
    """Consecutive days with a review answer, up to today; a streak still counts until a whole day passes without."""
    seen = set(days)
    day = today if today in seen else today - timedelta(days=1)
    streak = 0
    while day in seen:
        streak += 1
        day -= timedelta(days=1)
    return streak


def local_day(moment: datetime, zone: tzinfo) -> date:
    """The calendar day a moment falls on in the course's zone (a review day begins at local midnight)."""
    return course_date(moment, zone)


@dataclass(frozen=True)
class ReviewSettings:
    schedule: Schedule
    zone: tzinfo

    def today(self, now: datetime) -> date:
        return local_day(now, self.zone)


def settings_from(config: Mapping[str, Any]) -> ReviewSettings:
    """From the course settings (app.config["QUIZ"]): the schedule, and QUIZ_TIMEZONE for where days begin."""
    return ReviewSettings(schedule_from(config), course_timezone(config))


# ---------------------------------------------------------------- coming into review


@dataclass(frozen=True)
class Candidate:
    week: int
    question_id: str
    reason: ReviewReason
    closed_on: date


def _closed(served: Sequence[ServedBank], now: datetime) -> dict[int, ServedBank]:
    return {sb.week: sb for sb in served if sb.is_closed(now)}


def candidates(user_id: int, served: Sequence[ServedBank], now: datetime, settings: ReviewSettings) -> list[Candidate]:
    """The student's questions of closed weeks that deserve review, read from their question states."""
    closed = _closed(served, now)
    if not closed:
        return []
    rows = db.session.execute(
        select(
            QuestionState.week,
            QuestionState.question_id,
            QuestionState.solved_at.is_not(None).label("solved"),
            QuestionState.revealed_at.is_not(None).label("revealed"),
            QuestionState.attempts_to_correct,
        ).where(QuestionState.user_id == user_id, QuestionState.week.in_(list(closed)))
    )
    found = []
    for row in rows:
        sb = closed[row.week]
        if sb.bank.question(row.question_id) is None or sb.bank.closes is None:
            continue
        reason = review_reason(
            bool(row.solved), bool(row.revealed), row.attempts_to_correct, settings.schedule.after_tries
        )
        if reason is not None:
            closed_on = local_day(sb.bank.closes, settings.zone)
            found.append(Candidate(row.week, row.question_id, reason, closed_on))
    return found


def _held(user_id: int) -> set[tuple[int, str]]:
    rows = db.session.execute(select(ReviewItem.week, ReviewItem.question_id).where(ReviewItem.user_id == user_id))
    return {(row.week, row.question_id) for row in rows}


def add_new_items(user_id: int, served: Sequence[ServedBank], now: datetime, settings: ReviewSettings) -> int:
    """Review items for the questions that deserve one and have none yet; the same page opened twice at once
    inserts each once (the unique key skips the second)."""
    held = _held(user_id)
    rows = [
        {
            "user_id": user_id, "week": c.week, "question_id": c.question_id, "reason": c.reason.value,
            "box": placement.box, "due_on": placement.due_on, "reviews": 0, "right": 0, "created_at": now,
        }
        for c in candidates(user_id, served, now, settings)
        if (c.week, c.question_id) not in held
        for placement in [entry_placement(c.closed_on)]
    ]  # fmt: skip
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(ReviewItem).values(rows).on_conflict_do_nothing())
    return len(rows)


def due_count(user_id: int, served: Sequence[ServedBank], now: datetime, settings: ReviewSettings) -> int:
    """How many questions are due today, without writing: stored items due plus questions not yet in review."""
    closed = _closed(served, now)
    if not closed:
        return 0
    today = settings.today(now)
    items = db.session.execute(
        select(ReviewItem.week, ReviewItem.question_id, ReviewItem.due_on).where(
            ReviewItem.user_id == user_id, ReviewItem.week.in_(list(closed))
        )
    ).all()
    held = {(row.week, row.question_id) for row in items}
    due = sum(
        1 for row in items if is_due(row.due_on, today) and closed[row.week].bank.question(row.question_id) is not None
    )
    fresh = candidates(user_id, served, now, settings)
    return due + sum(1 for c in fresh if (c.week, c.question_id) not in held)


# ---------------------------------------------------------------- the review page


@dataclass(frozen=True)
class ReviewCard:
    """One question on the Review page: due (with a form) or answered today (with feedback and solution)."""

    item: ReviewItem
    week_title: str
    question: Question
    variant: Variant | None  # the numbers to answer, or the ones last answered
    last: Attempt | None
    token: str
    unavailable: bool = False  # the pool has no numbers to give (the page says so)

    @property
    def anchor(self) -> str:
        return f"r-{self.item.id}"


@dataclass(frozen=True)
class ReviewProgress:
    due: int
    in_review: int
    mastered: int
    reviewed_today: int
    streak: int
    boxes: tuple[int, ...]  # questions per box, 0 .. top
    next_due: date | None  # the first day after today something is due
    coming: tuple[tuple[date, int], ...]  # (day, questions) for the next days with reviews due


@dataclass(frozen=True)
class ReviewPage:
    due: list[ReviewCard]
    answered: list[ReviewCard]
    progress: ReviewProgress
    retired: int  # items whose question or week is no longer served
    today: date


ANY_SLOT = -1  # assign_variant: draw from the whole pool, not the slot of the week's own parts


def _sibling_slot(user_id: int, served: ServedBank, question: Question) -> int:
    """The pool slot waiting on another part of the same question in the student's review, so that parts
    reviewed together show the same numbers again; any slot when none waits."""
    if question.group is None:
        return ANY_SLOT
    siblings = [q.id for q in served.bank.parts_of(question.group) if q.id != question.id]
    slot = db.session.scalar(
        select(PoolVariant.slot)
        .join(Variant, Variant.pool_variant_id == PoolVariant.id)
        .join(ReviewItem, ReviewItem.variant_id == Variant.id)
        .where(ReviewItem.user_id == user_id, ReviewItem.week == served.week,
               ReviewItem.question_id.in_(siblings), PoolVariant.bank_version_id == served.version.id)
        .limit(1)
    )  # fmt: skip
    return ANY_SLOT if slot is None else slot


def _current_variant(user: Account, item: ReviewItem, served: ServedBank, question: Question) -> Variant:
    """The numbers waiting for the item's next answer: new ones from the served pool when none wait, or when
    the waiting ones were drawn from an older version of the bank (its key may be the one that was fixed)."""
    variant = item.variant
    if variant is None or variant.bank_version_id != served.version.id:
        variant = assign_variant(user, served, question, _sibling_slot(user.id, served, question))
        item.variant_id = variant.id
        item.variant = variant
    return variant


def _last_attempts(ids: Iterable[int | None]) -> dict[int, Attempt]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = db.session.scalars(select(Attempt).where(Attempt.id.in_(wanted)))
    return {a.id: a for a in rows}


def _variants(ids: Iterable[int]) -> dict[int, Variant]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = db.session.scalars(select(Variant).options(joinedload(Variant.pool_variant)).where(Variant.id.in_(wanted)))
    return {v.id: v for v in rows}


def review_page(user: Account, served: Sequence[ServedBank], now: datetime, settings: ReviewSettings) -> ReviewPage:
    """Everything the Review page shows; new items are added and due ones given numbers (so it flushes)."""
    add_new_items(user.id, served, now, settings)
    today = settings.today(now)
    closed = _closed(served, now)
    items = db.session.scalars(
        select(ReviewItem)
        .options(joinedload(ReviewItem.variant).joinedload(Variant.pool_variant))
        .where(ReviewItem.user_id == user.id)
        .order_by(ReviewItem.due_on, ReviewItem.week, ReviewItem.id)
    ).all()
    live = [(item, closed[item.week]) for item in items if item.week in closed
            and closed[item.week].bank.question(item.question_id) is not None]  # fmt: skip
    last = _last_attempts(item.last_attempt_id for item, _ in live)
    answered_variants = _variants(a.variant_id for a in last.values())
    due: list[ReviewCard] = []
    answered: list[ReviewCard] = []
    for item, sb in live:
        question = sb.bank.question(item.question_id)
        assert question is not None
        attempt = last.get(item.last_attempt_id) if item.last_attempt_id is not None else None
        answered_today = (
            item.last_reviewed_at is not None and local_day(item.last_reviewed_at, settings.zone) == today
        )
        if is_due(item.due_on, today):
            # an unreadable answer waits on the same numbers: show what was sent with the message
            shown_last = attempt if attempt is not None and item.variant_id == attempt.variant_id else None
            try:
                variant: Variant | None = _current_variant(user, item, sb, question)
                unavailable = False
            except PoolUnavailable:
                variant, unavailable = None, True
            due.append(ReviewCard(item, sb.bank.title, question, variant, shown_last, _token(), unavailable))
        elif answered_today and attempt is not None:
            shown = answered_variants.get(attempt.variant_id)
            answered.append(ReviewCard(item, sb.bank.title, question, shown, attempt, ""))
    db.session.flush()
    progress = _progress([item for item, _ in live], len(due), user.id, today, settings)
    return ReviewPage(due, answered, progress, len(items) - len(live), today)


def _token() -> str:
    return secrets.token_urlsafe(16)


def _progress(
    items: Sequence[ReviewItem], due: int, user_id: int, today: date, settings: ReviewSettings
) -> ReviewProgress:
    schedule = settings.schedule
    boxes = Counter(min(item.box, schedule.top_box) for item in items)
    days = review_days(user_id, today, settings)
    later = Counter(item.due_on for item in items if item.due_on > today)
    coming = tuple(sorted(later.items())[:5])
    return ReviewProgress(
        due=due,
        in_review=len(items),
        mastered=sum(1 for item in items if is_mastered(item.box, schedule)),
        reviewed_today=sum(
            1 for item in items
            if item.last_reviewed_at is not None and local_day(item.last_reviewed_at, settings.zone) == today
        ),
        streak=review_streak(days, today),
        boxes=tuple(boxes.get(box, 0) for box in range(schedule.top_box + 1)),
        next_due=coming[0][0] if coming else None,
        coming=coming,
    )  # fmt: skip


def review_days(user_id: int, today: date, settings: ReviewSettings) -> set[date]:
    """The days (course time zone) on which the student gave a graded review answer."""
    since = datetime.combine(today - timedelta(days=STREAK_LOOKBACK_DAYS), datetime.min.time(), UTC)
    moments = db.session.scalars(
        select(Attempt.created_at).where(
            Attempt.user_id == user_id,
            Attempt.purpose == REVIEW,
            Attempt.status != Status.INVALID.value,
            Attempt.created_at >= since,
        )
    )
    return {local_day(moment, settings.zone) for moment in moments}


# ---------------------------------------------------------------- answering


class ReviewResult(StrEnum):
    GRADED = "graded"  # graded and the item moved to its next box
    INVALID = "invalid"  # unreadable: stored, the item waits on the same numbers
    NOT_DUE = "not_due"  # already answered (another tab, a double post) or not due yet: nothing stored
    GONE = "gone"  # its week or question is no longer served


@dataclass(frozen=True)
class ReviewOutcome:
    result: ReviewResult
    grade: Grade | None = None
    placement: Placement | None = None


def reviewable(user_id: int, item_id: int) -> ReviewItem | None:
    """The student's own review item with its waiting numbers, or None (somebody else's looks like none)."""
    item = db.session.scalar(
        select(ReviewItem).options(joinedload(ReviewItem.variant)).where(ReviewItem.id == item_id)
    )
    return item if item is not None and item.user_id == user_id else None


def answer_review(
    item: ReviewItem,
    served: ServedBank | None,
    raw: str,
    *,
    now: datetime,
    settings: ReviewSettings,
    idempotency_key: str | None = None,
    unreadable: str | None = None,
) -> ReviewOutcome:
    """Grade a review answer with the grader of the week's page, store it as a `review` attempt that never
    counts, and move the item along the schedule. Only the numbers waiting on a due item can be answered,
    once: the claim below matches no row when another request answered them first."""
    question = served.bank.question(item.question_id) if served is not None and served.is_closed(now) else None
    if served is None or question is None:
        return ReviewOutcome(ReviewResult.GONE)
    variant = item.variant
    today = settings.today(now)
    if variant is None or not is_due(item.due_on, today):
        return ReviewOutcome(ReviewResult.NOT_DUE)
    spec = question.answer_spec()
    result = Grade(Status.INVALID, 0.0, unreadable) if unreadable else grade(spec, variant.answer, raw)
    attempt = Attempt(
        user_id=item.user_id, week=item.week, question_id=item.question_id, variant_id=variant.id,
        bank_hash=served.version.content_hash, seed=variant.seed, raw_answer=raw, status=result.status.value,
        score=result.score, credit=0.0, counted=False, message=result.message or "", mistake=result.mistake,
        parsed=result.value, idempotency_key=idempotency_key, created_at=now, purpose=REVIEW,
    )  # fmt: skip
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:  # the same form sent twice: the first one was recorded
        return ReviewOutcome(ReviewResult.NOT_DUE)
    if result.status is Status.INVALID:
        item.last_attempt_id = attempt.id
        db.session.flush()
        return ReviewOutcome(ReviewResult.INVALID, result)
    right = result.status is Status.CORRECT
    placement = next_placement(item.box, right, today, settings.schedule)
    claimed = db.session.execute(
        update(ReviewItem)
        .where(ReviewItem.id == item.id, ReviewItem.variant_id == variant.id)
        .values(
            box=placement.box, due_on=placement.due_on, variant_id=None, last_attempt_id=attempt.id,
            reviews=ReviewItem.reviews + 1, right=ReviewItem.right + int(right), last_reviewed_at=now,
        )
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    if getattr(claimed, "rowcount", 1) == 0:  # answered at the same moment elsewhere: keep that one's move
        db.session.delete(attempt)
        db.session.flush()
        return ReviewOutcome(ReviewResult.NOT_DUE)
    db.session.flush()
    return ReviewOutcome(ReviewResult.GRADED, result, placement)


def shown_key(question: Question, answer: Any) -> str:
    """The answer as the worked solution on the week's page shows it."""
    if question.is_choice:
        return "; ".join(c.text.strip() for c in question.choices if c.correct)
    return key_text(answer, question.tolerance)


# ---------------------------------------------------------------- staff: review per week


@dataclass(frozen=True)
class WeekReview:
    answers: int  # graded review answers to the week's questions
    students: int  # students who gave at least one
    recent_answers: int  # of those, in the last 7 days
    items: int  # (student, question) pairs of the week in review
    mastered: int

    @property
    def any(self) -> bool:
        return bool(self.answers or self.items)


def week_review(week: int, now: datetime, settings: ReviewSettings) -> WeekReview:
    """How much review one week's questions get: two grouped queries, whatever the cohort's size."""
    since = now - timedelta(days=7)
    answers, students, recent = db.session.execute(
        select(
            func.count(Attempt.id),
            func.count(func.distinct(Attempt.user_id)),
            func.coalesce(func.sum(case((Attempt.created_at >= since, 1), else_=0)), 0),
        ).where(Attempt.week == week, Attempt.purpose == REVIEW, Attempt.status != Status.INVALID.value)
    ).one()
    items, mastered = db.session.execute(
        select(
            func.count(ReviewItem.id),
            func.coalesce(func.sum(case((ReviewItem.box >= settings.schedule.top_box, 1), else_=0)), 0),
        ).where(ReviewItem.week == week)
    ).one()
    return WeekReview(int(answers), int(students), int(recent), int(items), int(mastered))
