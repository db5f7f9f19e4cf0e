"""Week scores to the platform's gradebook (AGS), through a queue table that nothing can lose.

A counted answer runs `enqueue_week_grade`: one INSERT … SELECT … ON CONFLICT in the answer's transaction.
It writes a row only for a student of a course that takes scores, and a second answer in the same week only
moves `enqueued_at`. `drain` sends what is due (after the response, from `flask lti drain`, or `push-grades`),
one line item per week and course, created on first need; a failure stays queued with its error and a later
`due_at` (exponential backoff).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from flask import Flask, current_app, g, has_request_context
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from requests import RequestException
from sqlalchemy import CursorResult, DateTime, Integer, Table, bindparam, delete, func, literal, select, update
from sqlalchemy.orm import aliased
from werkzeug.wrappers import Response

from ..catalog import ServedBank, served_bank
from ..extensions import db
from ..models import (
    LtiContext,
    LtiGradeQueue,
    LtiGradeSent,
    LtiIdentity,
    LtiLineItem,
    LtiMembership,
    LtiPlatform,
    QuestionState,
    Role,
    User,
    utcnow,
)
from .services import ags_for

log = logging.getLogger(__name__)

FIRST_RETRY = 60  # seconds; doubled on each failure
LAST_RETRY = 3600  # never more than an hour between tries: a platform that comes back gets every score
CLAIM_LEASE = 120  # seconds a drainer holds a row while it sends; another drainer skips it meanwhile
LINE_ITEM_TAG = "quizserver-week"


def retry_delay(tries: int) -> timedelta:
    """How long to wait after the `tries`-th failure: 1, 2, 4 … minutes, at most an hour."""
    return timedelta(seconds=min(LAST_RETRY, FIRST_RETRY * 2 ** max(0, tries - 1)))


def resource_id(week: int) -> str:
    return f"week-{week}"


# ---------------------------------------------------------------- enqueue (the answer's path)


def _enqueue(dialect: str) -> Any:
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    now = bindparam("now", type_=DateTime(timezone=True))
    takes_scores = (
        select(
            bindparam("user_id", type_=Integer), bindparam("week", type_=Integer), now, now, literal(0, Integer)
        )
        .select_from(LtiMembership)
        .join(LtiContext, LtiContext.id == LtiMembership.context_id)
        .join(LtiPlatform, LtiPlatform.id == LtiContext.platform_id)
        .where(
            LtiMembership.user_id == bindparam("user_id", type_=Integer),
            LtiMembership.lms_role == Role.STUDENT.value,
            LtiContext.lineitems_url.is_not(None),
            LtiPlatform.send_grades.is_(True),
        )
        .limit(1)
    )
    columns = ["user_id", "week", "enqueued_at", "due_at", "tries"]
    statement = insert(cast(Table, LtiGradeQueue.__table__)).from_select(columns, takes_scores)
    return statement.on_conflict_do_update(
        index_elements=["user_id", "week"], set_={"enqueued_at": statement.excluded.enqueued_at}
    ).returning(LtiGradeQueue.id)


_ENQUEUE = {"sqlite": _enqueue("sqlite"), "postgresql": _enqueue("postgresql")}


def enqueue_week_grade(user_id: int, week: int, now: datetime | None = None) -> int | None:
    """Queue the student's week score for their courses' gradebooks, in the caller's transaction.

    One indexed INSERT … SELECT … ON CONFLICT: the queue row's id, or None when the student has no course
    that takes scores (nothing is written). In a request, the row is sent after the response (`send_after_response`).
    """
    statement = _ENQUEUE[db.session.get_bind().dialect.name]
    row_id = db.session.execute(statement, {"user_id": user_id, "week": week, "now": now or utcnow()}).scalar()
    if row_id is not None and has_request_context():
        g.setdefault("lti_queued", set()).add(row_id)
    return row_id


def enqueue_many(pairs: Iterable[tuple[int, int]], now: datetime | None = None) -> int:
    """Queue several (user, week) scores (regrade, push-grades); how many were queued."""
    return sum(enqueue_week_grade(user_id, week, now) is not None for user_id, week in set(pairs))


def enqueue_all(weeks: Sequence[int] | None = None, now: datetime | None = None) -> int:
    """Queue every student's score of the given weeks (default: every week anyone has worked on)."""
    query = select(QuestionState.user_id, QuestionState.week).distinct()
    if weeks:
        query = query.where(QuestionState.week.in_(list(weeks)))
    return enqueue_many([(row.user_id, row.week) for row in db.session.execute(query)], now)


def make_due(now: datetime | None = None) -> None:
    """Every queued score is due now, whatever its backoff (the platform is back; push-grades)."""
    db.session.execute(
        update(LtiGradeQueue).values(due_at=now or utcnow()).execution_options(synchronize_session=False)
    )


def send_after_response(response: Response) -> Response:
    """Send the scores this request queued once the response is out: the student never waits for the platform."""
    queued = g.pop("lti_queued", None)
    if queued and current_app.config["QUIZ"].get("LTI_PUSH_AFTER_RESPONSE", True):
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        response.call_on_close(lambda: _drain_in(app, sorted(queued)))
    return response


def _drain_in(app: Flask, ids: list[int]) -> None:
    with app.app_context():
        try:
            drain(ids=ids)
        except Exception:  # the row stays queued; the worker or the next drain sends it
            log.exception("LTI scores %s not sent after the response", ids)
            db.session.rollback()


# ---------------------------------------------------------------- sending


@dataclass
class DrainReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.sent} sent, {self.failed} failed (queued for a retry), {self.skipped} with nowhere to go"


@dataclass(frozen=True)
class WeekScore:
    given: float
    maximum: float
    title: str


def week_score(user_id: int, served: ServedBank) -> WeekScore:
    """The student's week score as the pages show it: credit times points, summed over the bank's questions."""
    rows = db.session.execute(
        select(QuestionState.question_id, QuestionState.credit).where(
            QuestionState.user_id == user_id, QuestionState.week == served.week
        )
    )
    credits = {row.question_id: row.credit for row in rows}
    given = sum(credits.get(q.id, 0.0) * q.points for q in served.bank.questions)
    return WeekScore(round(given, 4), float(served.bank.total_points), served.bank.title)


def _claim(row_id: int, now: datetime) -> bool:
    result = cast(
        CursorResult[Any],
        db.session.execute(
            update(LtiGradeQueue)
            .where(LtiGradeQueue.id == row_id, LtiGradeQueue.due_at <= now)
            .values(due_at=now + timedelta(seconds=CLAIM_LEASE))
            .execution_options(synchronize_session=False)
        ),
    )
    return result.rowcount == 1


def due_rows(now: datetime, limit: int, ids: Sequence[int] | None = None) -> list[tuple[int, int, int, datetime, int]]:
    query = select(
        LtiGradeQueue.id, LtiGradeQueue.user_id, LtiGradeQueue.week, LtiGradeQueue.enqueued_at, LtiGradeQueue.tries
    ).where(LtiGradeQueue.due_at <= now)
    if ids is not None:
        query = query.where(LtiGradeQueue.id.in_(list(ids)))
    return [tuple(r) for r in db.session.execute(query.order_by(LtiGradeQueue.due_at).limit(limit))]  # type: ignore[misc]


def drain(limit: int = 500, *, ids: Sequence[int] | None = None, now: datetime | None = None) -> DrainReport:
    """Send the due queued scores (or only the rows `ids`); each row is committed on its own."""
    report = DrainReport()
    now = now or utcnow()
    for row_id, user_id, week, enqueued_at, tries in due_rows(now, limit, ids):
        if not _claim(row_id, now):
            db.session.rollback()
            continue
        db.session.commit()
        try:
            sent = send_week_score(user_id, week)
        except (LtiException, RequestException, ValueError) as exc:
            db.session.rollback()
            message = describe_error(exc)
            _failed(row_id, tries + 1, message, utcnow())
            report.failed += 1
            report.errors.append(f"user {user_id}, week {week}: {message}")
            log.warning("LTI score for user %s week %s not sent: %s", user_id, week, message)
        else:
            _done(row_id, enqueued_at, utcnow())
            report.sent += sent > 0
            report.skipped += sent == 0
        db.session.commit()
    return report


def describe_error(error: Exception) -> str:
    """What the staff page shows: the platform's answer when it gave one."""
    if isinstance(error, LtiServiceException):
        body = (error.response.text or "").strip().replace("\n", " ")
        return f"{error} {body[:300]}".strip()
    return f"{type(error).__name__}: {error}"[:500]


def _failed(row_id: int, tries: int, message: str, now: datetime) -> None:
    db.session.execute(
        update(LtiGradeQueue)
        .where(LtiGradeQueue.id == row_id)
        .values(tries=tries, last_error=message, last_tried_at=now, due_at=now + retry_delay(tries))
        .execution_options(synchronize_session=False)
    )


def _done(row_id: int, enqueued_at: datetime, now: datetime) -> None:
    """Delete the row unless a newer score was queued while sending: then it is due again at once."""
    result = cast(
        CursorResult[Any],
        db.session.execute(
            delete(LtiGradeQueue)
            .where(LtiGradeQueue.id == row_id, LtiGradeQueue.enqueued_at == enqueued_at)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount == 0:
        db.session.execute(
            update(LtiGradeQueue)
            .where(LtiGradeQueue.id == row_id)
            .values(due_at=now, tries=0, last_error=None)
            .execution_options(synchronize_session=False)
        )


def _grading_contexts(user_id: int) -> list[tuple[LtiContext, str]]:
    """The student's courses that take scores, each with the student's id (subject) on that platform."""
    linked_through = aliased(LtiPlatform)  # the registration of the first launch: same issuer, maybe another client
    rows = db.session.execute(
        select(LtiContext, LtiIdentity.subject)
        .join(LtiMembership, LtiMembership.context_id == LtiContext.id)
        .join(LtiPlatform, LtiPlatform.id == LtiContext.platform_id)
        .join(LtiIdentity, LtiIdentity.user_id == user_id)
        .join(
            linked_through,
            (linked_through.id == LtiIdentity.platform_id) & (linked_through.issuer == LtiPlatform.issuer),
        )
        .where(
            LtiMembership.user_id == user_id,
            LtiMembership.lms_role == Role.STUDENT.value,
            LtiContext.lineitems_url.is_not(None),
            LtiPlatform.send_grades.is_(True),
        )
    )
    return [(row[0], row[1]) for row in rows]


def send_week_score(user_id: int, week: int) -> int:
    """Send one student's week score to each course that takes it; how many courses accepted it."""
    served = served_bank(week)
    if served is None:
        return 0
    score = week_score(user_id, served)
    sent = 0
    for context, subject in _grading_contexts(user_id):
        line_item_url = line_item_for(context, week, score)
        grade = (
            Grade()
            .set_score_given(score.given)
            .set_score_maximum(score.maximum)
            .set_timestamp(utcnow().isoformat(timespec="milliseconds"))
            .set_activity_progress("Submitted")
            .set_grading_progress("FullyGraded")
            .set_user_id(subject)
        )
        ags_for(context).put_grade(grade, LineItem({"id": line_item_url}))
        _record_sent(user_id, week, context.id, score)
        sent += 1
    return sent


def line_item_for(context: LtiContext, week: int, score: WeekScore) -> str:
    """The course's grade column for the week: stored, else found by resource id (a deep link made it), or new."""
    url = db.session.scalar(
        select(LtiLineItem.url).where(LtiLineItem.context_id == context.id, LtiLineItem.week == week)
    )
    if url:
        return url
    wanted = (
        LineItem()
        .set_label(f"Week {week}: {score.title}"[:200])
        .set_score_maximum(score.maximum or 1)
        .set_resource_id(resource_id(week))
        .set_tag(LINE_ITEM_TAG)
    )
    found = ags_for(context).find_or_create_lineitem(wanted, find_by="resource_id")
    url = found.get_id()
    if not url:
        raise LtiException("The platform returned a line item without an id.")
    db.session.add(LtiLineItem(context_id=context.id, week=week, url=url))
    db.session.flush()
    return url


def _record_sent(user_id: int, week: int, context_id: int, score: WeekScore) -> None:
    row = db.session.scalar(
        select(LtiGradeSent).where(
            LtiGradeSent.user_id == user_id, LtiGradeSent.week == week, LtiGradeSent.context_id == context_id
        )
    )
    if row is None:
        row = LtiGradeSent(user_id=user_id, week=week, context_id=context_id)
        db.session.add(row)
    row.score_given, row.score_maximum, row.sent_at = score.given, score.maximum, utcnow()
    db.session.flush()


# ---------------------------------------------------------------- the staff page


@dataclass(frozen=True)
class QueueView:
    pending: int
    failing: int
    sent: int
    rows: list[Any]
    recent: list[Any]


def queue_view(limit: int = 200) -> QueueView:
    pending = db.session.scalar(select(func.count()).select_from(LtiGradeQueue)) or 0
    failing = db.session.scalar(select(func.count()).where(LtiGradeQueue.last_error.is_not(None))) or 0
    sent = db.session.scalar(select(func.count()).select_from(LtiGradeSent)) or 0
    rows = db.session.execute(
        select(LtiGradeQueue, User.email, User.name)
        .join(User, User.id == LtiGradeQueue.user_id)
        .order_by(LtiGradeQueue.last_error.is_(None), LtiGradeQueue.due_at)
        .limit(limit)
    ).all()
    recent = db.session.execute(
        select(LtiGradeSent, User.email, LtiContext.title)
        .join(User, User.id == LtiGradeSent.user_id)
        .join(LtiContext, LtiContext.id == LtiGradeSent.context_id)
        .order_by(LtiGradeSent.sent_at.desc())
        .limit(50)
    ).all()
    return QueueView(pending, failing, sent, list(rows), list(recent))
