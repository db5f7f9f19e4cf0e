"""Feedback next to a question reads the latest attempt only: a long history costs nothing more."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from quizserver.extensions import db
from quizserver.models import Attempt, User
from quizserver.progress import last_attempts
from tests.web.helpers import answer, key_of, typed


def test_the_latest_attempt_per_question_and_nothing_older_is_loaded(
    app: Flask, student: User, client: FlaskClient
) -> None:
    client.get("/weeks/1")
    key = key_of(app, student.id, 1, "scale")
    for wrong in range(12):
        answer(client, 1, "scale", typed(key + 100 + wrong))
    answer(client, 1, "scale", typed(key))
    answer(client, 1, "count", "1")
    with app.app_context():
        loaded: list[Attempt] = []
        event.listen(db.session, "loaded_as_persistent", lambda _, obj: loaded.append(obj))
        latest = last_attempts(student, 1)
        assert set(latest) == {"scale", "count"}
        assert latest["scale"].status == "correct" and latest["count"].raw_answer == "1"
        assert len([obj for obj in loaded if isinstance(obj, Attempt)]) == 2  # not all 14 rows
        only = last_attempts(student, 1, "scale")
        assert set(only) == {"scale"} and only["scale"].id == latest["scale"].id
