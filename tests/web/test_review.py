"""The Review page: a missed question of a closed week comes back with new numbers, as practice only."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from quizserver import review
from quizserver.accounts import create_user
from quizserver.banksync import sync_banks
from quizserver.catalog import served_bank, served_banks
from quizserver.extensions import db
from quizserver.grading import format_answer
from quizserver.models import Attempt, BankVersion, QuestionState, ReviewItem, User, Variant
from quizserver.variants import PoolUnavailable
from tests.conftest import CSRF_PATTERN, PASSWORD, AuthActions
from tests.web.helpers import state_of

CLOSED_BANK = Path(__file__).parents[1] / "fixtures" / "closed" / "week02-closed.yaml"
DUE = re.compile(r"Due today: <strong>(\d+)</strong>")


def item_of(app: Flask, user_id: int, week: int = 2, question_id: str = "double") -> ReviewItem:
    with app.app_context():
        item = db.session.scalars(
            select(ReviewItem)
            .options(joinedload(ReviewItem.variant).joinedload(Variant.pool_variant))
            .where(ReviewItem.user_id == user_id, ReviewItem.week == week, ReviewItem.question_id == question_id)
        ).one()
        db.session.expunge_all()
        return item


def review_attempts(app: Flask, user_id: int) -> list[Attempt]:
    with app.app_context():
        rows = db.session.scalars(
            select(Attempt).where(Attempt.user_id == user_id, Attempt.purpose == "review").order_by(Attempt.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def due_today(client: FlaskClient) -> int:
    found = DUE.search(client.get("/weeks").get_data(as_text=True))
    return int(found.group(1)) if found else 0


def answer_review(client: FlaskClient, item_id: int, data: dict[str, Any]) -> Any:
    page = client.get("/review").get_data(as_text=True)
    csrf = CSRF_PATTERN.search(page)
    assert csrf, "the review page has no CSRF token"
    token = re.search(rf'action="/review/{item_id}/answer".*?name="token" value="([^"]+)"', page, re.S)
    return client.post(
        f"/review/{item_id}/answer",
        data={"csrf_token": csrf.group(1), **({"token": token.group(1)} if token else {}), **data},
    )


def settings(app: Flask) -> review.ReviewSettings:
    return review.settings_from(app.config["QUIZ"])


@pytest.fixture
def missed(app: Flask, client: FlaskClient, student: User) -> ReviewItem:
    """The student opened closed week 2 and never solved its question; the Review page has drawn new numbers."""
    client.get("/weeks/2")
    assert client.get("/review").status_code == 200
    return item_of(app, student.id)


def test_nothing_is_due_before_a_closed_week_was_opened(client: FlaskClient, student: User) -> None:
    page = client.get("/weeks").get_data(as_text=True)
    assert "Nothing due today" in page
    review_page = client.get("/review").get_data(as_text=True)
    assert "Nothing to review yet" in review_page


def test_a_missed_question_comes_back_with_new_numbers(app: Flask, client: FlaskClient, student: User) -> None:
    client.get("/weeks/2")
    assert due_today(client) == 1  # counted without writing anything
    with app.app_context():
        assert db.session.scalar(select(func.count(ReviewItem.id))) == 0
    page = client.get("/review").get_data(as_text=True)
    item = item_of(app, student.id)
    state = state_of(app, student.id, 2, "double")
    assert item.reason == "missed" and item.box == 0
    assert item.variant is not None and item.variant.pool_variant is not None
    assert item.variant.pool_variant_id != state.variant.pool_variant_id  # numbers the student has not had
    assert f'action="/review/{item.id}/answer"' in page
    assert item.variant.pool_variant.text_html in page
    assert "Not solved when week 2 closed." in page
    assert due_today(client) == 1


def test_a_right_answer_is_practice_and_moves_the_question_a_box_up(
    app: Flask, client: FlaskClient, student: User, missed: ReviewItem
) -> None:
    assert missed.variant is not None
    before = state_of(app, student.id, 2, "double")
    response = answer_review(client, missed.id, {"answer": format_answer(missed.variant.answer)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/review#r-{missed.id}")

    (attempt,) = review_attempts(app, student.id)
    assert (attempt.status, attempt.counted, attempt.credit, attempt.variant_id) == (
        "correct", False, 0.0, missed.variant_id
    )
    after = state_of(app, student.id, 2, "double")
    assert (after.credit, after.attempts, after.solved_at) == (before.credit, before.attempts, None)
    item = item_of(app, student.id)
    today = settings(app).today(attempt.created_at)
    assert (item.box, item.due_on, item.variant_id, item.reviews, item.right) == (
        1, today + timedelta(days=1), None, 1, 1
    )
    page = client.get("/review").get_data(as_text=True)
    assert "Answered today" in page and "Correct." in page
    assert "Moved to box 1" in page and "Worked solution" in page
    assert due_today(client) == 0
    assert "0.0 / 1" in client.get("/weeks").get_data(as_text=True)  # week 2's score did not move


def test_the_same_numbers_are_answered_once(
    app: Flask, client: FlaskClient, student: User, missed: ReviewItem
) -> None:
    assert missed.variant is not None
    answer_review(client, missed.id, {"answer": format_answer(missed.variant.answer)})
    again = client.post(
        f"/review/{missed.id}/answer",
        data={"csrf_token": CSRF_PATTERN.search(client.get("/review").get_data(as_text=True)).group(1),
              "answer": "1"},
        follow_redirects=True,
    )  # fmt: skip
    assert "already answered" in again.get_data(as_text=True)
    assert len(review_attempts(app, student.id)) == 1
    assert item_of(app, student.id).box == 1


def test_a_wrong_answer_brings_it_back_tomorrow_and_an_unreadable_one_waits(
    app: Flask, client: FlaskClient, student: User, missed: ReviewItem
) -> None:
    answer_review(client, missed.id, {"answer": "[1, 2"})
    item = item_of(app, student.id)
    assert (item.box, item.variant_id, item.reviews) == (0, missed.variant_id, 0)  # same numbers, still due
    page = client.get("/review").get_data(as_text=True)
    assert "Could not read your answer" in page and 'value="[1, 2"' in page

    answer_review(client, missed.id, {"answer": "-12345.5"})
    invalid, wrong = review_attempts(app, student.id)
    assert (invalid.status, wrong.status) == ("invalid", "incorrect")
    item = item_of(app, student.id)
    assert (item.box, item.due_on, item.reviews, item.right) == (
        0, settings(app).today(wrong.created_at) + timedelta(days=1), 1, 0
    )
    assert "Back to box 0" in client.get("/review").get_data(as_text=True)


def test_the_schedule_over_hand_worked_days(app: Flask, student: User) -> None:
    """Right whenever due from Mon 7 Dec: due again on 8, 11, 18 Dec, 1 Jan (box 4), then mastered until 31 Jan."""
    day = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    with app.app_context():
        user = db.session.get_one(User, student.id)
        served = served_banks()
        from quizserver.variants import ensure_states

        ensure_states(user, served_bank(2))
        config = settings(app)
        expected = [date(2026, 12, 8), date(2026, 12, 11), date(2026, 12, 18), date(2027, 1, 1), date(2027, 1, 31)]
        for box, next_due in enumerate(expected, start=1):
            page = review.review_page(user, served, day, config)
            (card,) = page.due
            assert card.variant is not None
            outcome = review.answer_review(card.item, served_bank(2), format_answer(card.variant.answer),
                                           now=day, settings=config)  # fmt: skip
            assert outcome.result is review.ReviewResult.GRADED
            assert outcome.placement == review.Placement(box, next_due)
            db.session.commit()
            the_day_before = datetime.combine(next_due - timedelta(days=1), day.timetz())
            assert review.review_page(user, served, the_day_before, config).due == []
            assert review.due_count(user.id, served, the_day_before, config) == 0
            day = datetime.combine(next_due, day.timetz())
        item = db.session.scalars(select(ReviewItem)).one()
        assert review.is_mastered(item.box, config.schedule)
        progress = review.review_page(user, served, datetime(2027, 1, 30, 12, tzinfo=UTC), config).progress
        assert (progress.mastered, progress.in_review, progress.due) == (1, 1, 0)
        assert review.due_count(user.id, served, datetime(2027, 1, 31, 8, tzinfo=UTC), config) == 1
        # five review days, none in a row: the streak is 1 on each day of review, 0 once a day has passed
        assert review.review_page(user, served, datetime(2027, 1, 1, 20, tzinfo=UTC), config).progress.streak == 1
        db.session.rollback()


@pytest.mark.parametrize(
    ("solved", "revealed", "attempts_to_correct", "reason"),
    [(True, False, 1, None), (True, False, 2, None), (True, False, 3, "tries"), (False, True, None, "revealed")],
)
def test_what_comes_into_review(
    app: Flask, student: User, solved: bool, revealed: bool, attempts_to_correct: int | None, reason: str | None
) -> None:
    with app.app_context():
        user = db.session.get_one(User, student.id)
        from quizserver.variants import ensure_states

        state = ensure_states(user, served_bank(2)).states["double"]
        moment = datetime(2020, 1, 5, tzinfo=UTC)
        state.solved_at = moment if solved else None
        state.revealed_at = moment if revealed else None
        state.attempts_to_correct = attempts_to_correct
        db.session.commit()
        now = datetime(2026, 12, 7, tzinfo=UTC)
        page = review.review_page(user, served_banks(), now, settings(app))
        assert [card.item.reason for card in page.due] == ([reason] if reason else [])


def test_a_key_fixed_since_draws_numbers_from_the_new_pool(
    app: Flask, client: FlaskClient, student: User, missed: ReviewItem, tmp_path: Path
) -> None:
    bank = tmp_path / "week02-closed.yaml"
    bank.write_text(CLOSED_BANK.read_text().replace("answer = 2 * a", "answer = 2 * a + 1"))
    with app.app_context():
        assert sync_banks([bank], variants=6).ok
        db.session.commit()
        new_version = db.session.scalar(select(BankVersion.id).where(BankVersion.week == 2, BankVersion.is_current))
    assert missed.variant is not None and missed.variant.bank_version_id != new_version
    assert client.get("/review").status_code == 200
    item = item_of(app, student.id)
    assert item.variant is not None and item.variant.bank_version_id == new_version
    answer_review(client, item.id, {"answer": format_answer(item.variant.answer)})
    assert review_attempts(app, student.id)[-1].status == "correct"


def test_a_question_removed_from_the_bank_is_no_longer_reviewed(
    app: Flask, client: FlaskClient, student: User, missed: ReviewItem, tmp_path: Path
) -> None:
    bank = tmp_path / "week02-closed.yaml"
    bank.write_text(CLOSED_BANK.read_text().replace("id: double", "id: twice"))
    with app.app_context():
        assert sync_banks([bank], variants=6).ok
        db.session.commit()
    page = client.get("/review")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'action="/review/{missed.id}/answer"' not in text
    assert "1 question is no longer reviewed" in text
    assert due_today(client) == 0  # the new question "twice" was never opened, so it is not missed
    response = client.post(
        f"/review/{missed.id}/answer",
        data={"csrf_token": CSRF_PATTERN.search(text).group(1), "answer": "4"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "it was removed from the course" in response.get_data(as_text=True)
    assert review_attempts(app, student.id) == []


def test_an_empty_pool_is_said_in_words(
    app: Flask, client: FlaskClient, student: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.get("/weeks/2")

    def no_pool(*args: Any) -> Any:
        raise PoolUnavailable("week 2 question double has no verified variants yet")

    monkeypatch.setattr(review, "assign_variant", no_pool)
    page = client.get("/review")
    assert page.status_code == 200
    assert "not available right now" in page.get_data(as_text=True)
    item = item_of(app, student.id)
    assert item.variant_id is None
    response = answer_review(client, item.id, {"answer": "4"})
    assert response.status_code == 302
    assert review_attempts(app, student.id) == []


def test_somebody_elses_question_is_not_found(
    app: Flask, make_user: Callable[..., User], missed: ReviewItem
) -> None:
    other = make_user("student")
    client = app.test_client()
    AuthActions(client).login(other.email)
    csrf = CSRF_PATTERN.search(client.get("/review").get_data(as_text=True))
    assert csrf is not None
    response = client.post(f"/review/{missed.id}/answer", data={"csrf_token": csrf.group(1), "answer": "4"})
    assert response.status_code == 404
    assert client.post("/review/999999/answer", data={"csrf_token": csrf.group(1)}).status_code == 404


def test_the_review_page_needs_a_login(client: FlaskClient) -> None:
    assert client.get("/review").status_code == 302


CHOICE_BANK = """version: 1
week: 3
title: Closed choices
opens: 2020-02-01T00:00:00+00:00
closes: 2020-02-08T00:00:00+00:00
questions:
  - id: relu
    type: single_choice
    points: 1
    text: Which activation is unbounded above?
    choices:
      - text: ReLU
        correct: true
      - text: Sigmoid
      - text: Tanh
    explanation: ReLU grows without bound.
"""


def test_a_choice_question_is_answered_by_its_shown_place(
    app: Flask, client: FlaskClient, student: User, tmp_path: Path
) -> None:
    bank = tmp_path / "week03-choices.yaml"
    bank.write_text(CHOICE_BANK)
    with app.app_context():
        assert sync_banks([bank], variants=6).ok
        db.session.commit()
    client.get("/weeks/3")
    client.get("/review")
    item = item_of(app, student.id, 3, "relu")
    assert item.variant is not None
    order = item.variant.choice_order or ["a", "b", "c"]
    answer_review(client, item.id, {"choice": ["9"]})
    assert review_attempts(app, student.id)[-1].status == "invalid"
    answer_review(client, item.id, {"choice": [str(order.index("a") + 1)]})
    assert review_attempts(app, student.id)[-1].status == "correct"
    assert item_of(app, student.id, 3, "relu").box == 1


def test_staff_see_review_per_week_and_it_stays_out_of_item_statistics(
    app: Flask, client: FlaskClient, student: User, missed: ReviewItem, make_user: Callable[..., User]
) -> None:
    answer_review(client, missed.id, {"answer": "-98765.25"})
    staff = make_user("staff")
    staff_client = app.test_client()
    AuthActions(staff_client).login(staff.email)
    overview = staff_client.get("/staff/weeks/2").get_data(as_text=True)
    assert "1 practice answer from 1 student (1 in the last 7 days)" in overview
    assert "1 of this week's questions are in students' review, 0 mastered" in overview
    items = staff_client.get("/staff/weeks/2/items").get_data(as_text=True)
    assert "-98765.25" not in items and "98765" not in items
    with app.app_context():
        state = db.session.scalars(select(QuestionState).where(QuestionState.user_id == student.id)).one()
        assert (state.attempts, state.wrong, state.first_score) == (0, 0, None)
    gradebook = staff_client.get("/staff/gradebook.csv").get_data(as_text=True)
    assert student.email in gradebook


def test_answers_past_the_limit_are_refused_in_words(make_app: Callable[..., Flask]) -> None:
    app = make_app(RATELIMIT_ENABLED=True, ANSWER_LIMIT="1 per minute")
    with app.app_context():
        assert sync_banks([CLOSED_BANK], variants=6).ok
        user = create_user("limited@uni.example", PASSWORD, role="student")
        db.session.commit()
        user_id = user.id
    client = app.test_client()
    AuthActions(client).login("limited@uni.example")
    client.get("/weeks/2")
    client.get("/review")
    item = item_of(app, user_id)
    assert answer_review(client, item.id, {"answer": "[1"}).status_code == 302
    refused = answer_review(client, item.id, {"answer": "4"})
    assert refused.status_code == 429
    text = refused.get_data(as_text=True)
    assert "Your answer was not recorded" in text and "second" in text
    assert len(review_attempts(app, user_id)) == 1


PARTS_BANK = """version: 1
week: 4
title: A neuron in parts
opens: 2020-03-01T00:00:00+00:00
closes: 2020-03-08T00:00:00+00:00
questions:
  - id: neuron
    title: One tanh neuron, forward then backward
    text: |
      A neuron computes $z = w x + b$ and $y = \\\\tanh(z)$, with $w = {{ w }}$, $x = {{ x }}$ and $b = {{ b }}$.
    params:
      w: {uniform: [-2, 2], round: 1}
      x: {uniform: [-2, 2], round: 1}
      b: {uniform: [-1, 1], round: 1}
    require: 0.2 <= abs(w * x + b) <= 1.5
    solution: |
      z = w * x + b
      y = np.tanh(z)
      dy_dw = (1 - y ** 2) * x
    parts:
      - id: forward
        type: numeric
        points: 1
        text: Give $y$.
        answer: y
        check:
          equals: np.tanh(w * x + b)
        explanation: $z = {{ z }}$, so $y = {{ y }}$.
      - id: backward
        after: forward
        type: numeric
        points: 2
        text: With $y = {{ y }}$, give $\\\\partial y / \\\\partial w$.
        answer: dy_dw
        check:
          gradient_of: np.tanh(w * x + b)
          wrt: w
        explanation: $(1 - y^2) x = {{ dy_dw }}$.
"""


def test_the_parts_of_a_question_come_back_together_with_the_same_new_numbers(
    app: Flask, client: FlaskClient, student: User, tmp_path: Path
) -> None:
    bank = tmp_path / "week04-parts.yaml"
    bank.write_text(PARTS_BANK)
    with app.app_context():
        report = sync_banks([bank], variants=6)
        assert report.ok, [str(p) for f in report.files for p in f.problems]
        db.session.commit()
        part_ids = [q.id for q in served_bank(4).bank.questions]
    client.get("/weeks/4")
    page = client.get("/review").get_data(as_text=True)
    forward, backward = (item_of(app, student.id, 4, qid) for qid in part_ids)
    assert forward.variant is not None and backward.variant is not None
    assert forward.variant.seed == backward.variant.seed  # one set of numbers for both parts
    week_seed = state_of(app, student.id, 4, part_ids[0]).variant.seed
    assert forward.variant.seed != week_seed  # and not the numbers of the week
    assert page.count("A neuron computes") >= 2  # each part shows its question's shared text
    assert "One tanh neuron, forward then backward, part (" in page
    answer_review(client, forward.id, {"answer": format_answer(forward.variant.answer)})
    assert item_of(app, student.id, 4, part_ids[0]).box == 1
