"""The app with the week page and the answer cut short, for `python bench/load.py --floor`.

`gunicorn 'bench.floor:create_floor_app()'` serves quizserver with two views replaced at the same URLs,
endpoints and decorators (log-in, the student's rate limit): the week page answers right after finding the
served bank, with the CSRF token its forms would carry, and the answer right after its form validated. What is
left is what every page and every answer pays before the quiz's own work (gunicorn, Flask, the session,
Flask-Login's account read, the served bank's read, for the answer the CSRF check, the form and the limiter's
count in Redis), so the run tells how much of the targets' budget that work has. Nothing is stored: never
deploy it.
"""
from __future__ import annotations

from flask import Flask, Response, jsonify
from flask_login import login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from quizserver import create_app
from quizserver.quiz.forms import AnswerForm
from quizserver.quiz.routes import _open_bank
from quizserver.throttle import per_student


@login_required
def week_floor(week: int) -> str:
    _open_bank(week)
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(generate_csrf())


@login_required
@per_student("ANSWER_LIMIT")
def answer_floor(week: int, question_id: str) -> Response | tuple[Response, int]:
    _open_bank(week)
    if not AnswerForm().validate_on_submit():
        return jsonify(error="unreadable form"), 400
    return jsonify(question_id=question_id, status="invalid", message="not stored: bench/floor.py")


FLOORS = {"quiz.week": week_floor, "quiz.answer": answer_floor}


def floored(app: Flask) -> Flask:
    """The app with the week page's and the answer's views replaced by their floors, at the same endpoints."""
    for endpoint, view in FLOORS.items():
        if endpoint not in app.view_functions:  # a renamed endpoint would leave the whole view measured
            raise RuntimeError(f"bench/floor.py: the app has no endpoint {endpoint!r} to replace")
        app.view_functions[endpoint] = view
    return app


def create_floor_app() -> Flask:
    return floored(create_app())
