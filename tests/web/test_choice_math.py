"""Math in an author's choice feedback, and in a choice shown as the key, reads as math, not as LaTeX source."""
from __future__ import annotations

import re

from flask import Flask

from quizserver.accounts import create_user
from quizserver.catalog import served_banks
from quizserver.extensions import db
from tests.conftest import PASSWORD, AuthActions
from tests.web.helpers import answer, post_action

FEEDBACK = re.compile(r'<div class="feedback".*?</div>', re.DOTALL)
KEY = re.compile(r'<div class="key">.*?</ul></div>', re.DOTALL)


def _wrong_choices_with_math(app: Flask) -> list[tuple[int, str, str]]:
    """(week, question, a wrong choice whose feedback has $math$) for every shipped choice question with one."""
    found = []
    with app.app_context():
        for served in served_banks():
            for question in served.bank.questions:
                wrong = [c for c in question.choices if not c.correct and "$" in c.feedback]
                if question.is_choice and wrong:
                    found.append((served.week, question.id, wrong[0].id))
    return found


def test_choice_feedback_and_key_render_their_math(shipped_app: Flask) -> None:
    cases = _wrong_choices_with_math(shipped_app)
    assert len({week for week, _, _ in cases}) >= 4, cases  # weeks 4, 5, 6, 11 and 12 have such feedback
    with shipped_app.app_context():
        create_user("chooser@uni.example", PASSWORD, role="student", name="Chris Chooser")
        db.session.commit()
    client = shipped_app.test_client()
    assert AuthActions(client).login("chooser@uni.example").status_code == 302
    for week, question_id, choice_id in cases:
        response = answer(client, week, question_id, [choice_id])
        assert response.status_code == 302, (week, question_id)
        page = client.get(f"/weeks/{week}").get_data(as_text=True)
        item = page[page.index(f'id="q-{question_id}"'):]
        feedback = FEEDBACK.search(item).group(0)
        assert "<math" in feedback, (week, question_id, feedback)
        assert "$" not in feedback, (week, question_id, feedback)
    # the key of a choice question: the choices as shown, not their source
    week, question_id, _ = cases[0]
    post_action(client, week, question_id, "reveal")
    page = client.get(f"/weeks/{week}").get_data(as_text=True)
    key = KEY.search(page[page.index(f'id="q-{question_id}"'):]).group(0)
    assert "$" not in key and "<li>" in key


def test_the_preview_shows_a_choice_key_and_feedback_as_students_read_them(shipped_app: Flask) -> None:
    with shipped_app.app_context():
        create_user("ines@uni.example", PASSWORD, role="instructor", name="Ines Instructor")
        db.session.commit()
        choice = [
            (served.week, q)
            for served in served_banks()
            for q in served.bank.questions
            if q.is_choice and any("$" in c.text for c in q.choices if c.correct)
            and any("$" in c.feedback for c in q.choices if not c.correct)
        ]
    assert choice, "no shipped choice question has math in a correct choice and in a wrong one's feedback"
    week, question = choice[0]
    client = shipped_app.test_client()
    assert AuthActions(client).login("ines@uni.example").status_code == 302
    wrong = next(c.id for c in question.choices if not c.correct and "$" in c.feedback)
    page = client.get(f"/instructor/preview/{week}/{question.id}?trial=1&choice={wrong}").get_data(as_text=True)
    key = page[page.index('id="preview-key"'):]
    key = key[: key.index("</ul>")]
    assert "<math" in key and "$" not in key, key
    trial = page[page.index('id="trial-result"'):]
    trial = trial[: trial.index("</p>")]
    assert "<math" in trial and "$" not in trial, trial
