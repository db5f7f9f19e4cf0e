"""Week scores to the platform's gradebook: queued with the answer, sent after it, retried, never lost."""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from quizserver.extensions import db
from quizserver.lti.grades import drain, enqueue_week_grade, retry_delay
from quizserver.models import LtiGradeQueue, LtiLineItem, utcnow
from tests.e2e.live import LiveServer
from tests.lti.conftest import FormBrowser, answer, linked_user, right_answer
from tests.lti.platform import TestPlatform


def wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    """Poll a condition another thread makes true (the send after the response); bounded, not a timing test."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def aware(moment: datetime) -> datetime:
    """SQLite gives back naive UTC times."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def queue(app: Flask) -> list[LtiGradeQueue]:
    with app.app_context():
        rows = list(db.session.scalars(select(LtiGradeQueue)))
        for row in rows:
            db.session.expunge(row)
        return rows


def launched_learner(tool: LiveServer, platform: TestPlatform) -> tuple[FormBrowser, int]:
    browser = FormBrowser()
    assert browser.open(platform.start_launch("learner", custom={"week": "1"})).url == f"{tool.url}/weeks/1"
    user = linked_user(tool.app, platform.people["learner"].sub)
    assert user is not None
    return browser, user.id


@pytest.mark.parametrize(("tries", "seconds"), [(1, 60), (2, 120), (3, 240), (7, 3600), (50, 3600), (0, 60)])
def test_retry_delay_doubles_up_to_an_hour(tries: int, seconds: int) -> None:
    assert retry_delay(tries) == timedelta(seconds=seconds)


def test_a_counted_answer_sends_the_week_score_to_the_right_line_item(
    tool: LiveServer, platform: TestPlatform
) -> None:
    browser, user_id = launched_learner(tool, platform)
    value = right_answer(tool.app, user_id, 1, "scale")
    assert answer(browser, tool.url, 1, "scale", str(value)).status_code == 302
    sub = platform.people["learner"].sub
    assert wait_for(lambda: bool(platform.scores_for(sub)))
    (item_id, score), = platform.scores_for(sub)
    line_item = platform.line_items[item_id]
    assert (line_item["resourceId"], line_item["tag"]) == ("week-1", "quizserver-week")
    assert line_item["label"].startswith("Week 1")
    assert (score["scoreGiven"], score["scoreMaximum"]) == (1.0, line_item["scoreMaximum"])
    assert (score["activityProgress"], score["gradingProgress"]) == ("Submitted", "FullyGraded")
    assert wait_for(lambda: not queue(tool.app))
    with tool.app.app_context():
        assert db.session.scalar(select(LtiLineItem.url)) == item_id

    wrong = answer(browser, tool.url, 1, "count", "-1")  # a wrong counted answer: the score is sent again
    assert wrong.status_code == 302
    assert wait_for(lambda: len(platform.scores_for(sub)) == 2)
    assert len(platform.line_items) == 1  # one line item per week, reused
    assert platform.scores_for(sub)[-1][0] == item_id


def test_an_uncounted_answer_queues_nothing(tool: LiveServer, platform: TestPlatform) -> None:
    browser, _ = launched_learner(tool, platform)
    assert answer(browser, tool.url, 1, "scale", "not a number").status_code == 302  # invalid: no attempt used
    assert queue(tool.app) == []
    assert platform.scores == []


def test_while_the_platform_is_down_scores_wait_and_arrive_later(tool: LiveServer, platform: TestPlatform) -> None:
    browser, user_id = launched_learner(tool, platform)
    value = right_answer(tool.app, user_id, 1, "scale")
    sub = platform.people["learner"].sub
    with platform.offline():
        assert answer(browser, tool.url, 1, "scale", str(value)).status_code == 302  # the answer itself is fine
        assert wait_for(lambda: any(row.tries == 1 for row in queue(tool.app)))
        (row,) = queue(tool.app)
        assert row.last_error and "Connection" in row.last_error
        assert row.due_at > row.last_tried_at  # backing off
        staff = FormBrowser()
        with tool.app.app_context():
            from quizserver.accounts import create_user

            create_user("ta@uni.example", "correct horse battery", role="staff")
            db.session.commit()
        login = staff.session.get(f"{tool.url}/login", timeout=10).text
        staff.session.post(f"{tool.url}/login", data={
            "email": "ta@uni.example", "password": "correct horse battery", "csrf_token": staff.csrf(login)
        }, timeout=10)  # fmt: skip
        page = staff.session.get(f"{tool.url}/lti/grades", timeout=10)
        assert page.status_code == 200 and "Connection" in page.text and "1</strong> with an error" in page.text
        with tool.app.app_context():
            assert drain().sent == 0  # not due yet: the backoff holds
    assert platform.scores_for(sub) == []
    with tool.app.app_context():
        report = drain(now=utcnow() + timedelta(hours=2))
    assert (report.sent, report.failed) == (1, 0)
    assert [s["scoreGiven"] for _, s in platform.scores_for(sub)] == [1.0]
    assert queue(tool.app) == []


def test_answers_in_one_week_coalesce_into_one_queued_row(
    tool: LiveServer, platform: TestPlatform
) -> None:
    tool.app.config["QUIZ"]["LTI_PUSH_AFTER_RESPONSE"] = False  # the worker sends: nothing happens after responses
    browser, user_id = launched_learner(tool, platform)
    for question_id in ("scale", "count"):
        assert answer(browser, tool.url, 1, question_id, "-7").status_code == 302
    (row,) = queue(tool.app)
    assert (row.user_id, row.week, row.tries) == (user_id, 1, 0)
    assert platform.scores == []
    with tool.app.app_context():
        assert drain().sent == 1
    assert len(platform.scores) == 1


def test_a_score_queued_while_sending_is_sent_again(
    tool: LiveServer, platform: TestPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quizserver.lti import grades

    tool.app.config["QUIZ"]["LTI_PUSH_AFTER_RESPONSE"] = False
    _, user_id = launched_learner(tool, platform)
    original = grades.send_week_score
    with tool.app.app_context():
        first = utcnow()
        enqueue_week_grade(user_id, 1, first)
        db.session.commit()

        def newer_answer_meanwhile(uid: int, week: int) -> int:
            sent = original(uid, week)
            enqueue_week_grade(uid, week, first + timedelta(seconds=1))  # another answer counted during the send
            db.session.commit()
            return sent

        monkeypatch.setattr(grades, "send_week_score", newer_answer_meanwhile)
        assert drain().sent == 1
        monkeypatch.setattr(grades, "send_week_score", original)
        (row,) = db.session.scalars(select(LtiGradeQueue)).all()
        assert aware(row.due_at) <= utcnow() and row.tries == 0  # due again at once: the newer score is not lost
        assert drain().sent == 1
        assert db.session.scalars(select(LtiGradeQueue)).all() == []
    assert len(platform.scores) == 2


def test_a_platform_without_grades_queues_nothing(
    tool: LiveServer, make_platform: Callable[..., TestPlatform]
) -> None:
    ilias = make_platform(send_grades=False)
    browser, _ = launched_learner(tool, ilias)
    assert answer(browser, tool.url, 1, "count", "-7").status_code == 302
    assert queue(tool.app) == []
    assert ilias.scores == [] and ilias.tokens_issued == 0


def test_a_teaching_assistant_s_answers_are_not_sent(tool: LiveServer, platform: TestPlatform) -> None:
    browser = FormBrowser()
    browser.open(platform.start_launch("ta", custom={"week": "1"}))
    assert answer(browser, tool.url, 1, "count", "-7").status_code == 302
    assert queue(tool.app) == []


def test_the_enqueue_is_one_statement_whether_or_not_a_course_takes_scores(
    tool: LiveServer, platform: TestPlatform
) -> None:
    from sqlalchemy import event

    _, user_id = launched_learner(tool, platform)
    with tool.app.app_context():
        statements: list[str] = []

        def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            db.session.connection()  # the transaction's BEGIN is the answer's, not the enqueue's
            statements.clear()
            first = enqueue_week_grade(user_id, 1)
            second = enqueue_week_grade(user_id, 1)  # coalesces: the same row
            nobody = enqueue_week_grade(user_id + 1000, 1)  # no course: nothing written
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        db.session.rollback()
    assert first is not None and first == second and nobody is None
    assert len(statements) == 3
    assert all(s.lstrip().upper().startswith("INSERT INTO LTI_GRADE_QUEUE") for s in statements)
