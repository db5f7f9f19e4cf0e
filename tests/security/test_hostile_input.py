"""Arbitrary text at the answer parser and the submit route: never a 500, always a status or a clean refusal."""
from __future__ import annotations

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from quizserver.extensions import db
from quizserver.grading import AnswerSpec, ChoiceOption, Grade, Status, grade
from quizserver.models import Attempt

from .conftest import Cast, login_as

pytestmark = pytest.mark.security

QUESTIONS = ["scale", "outer", "count", "relu", "convex"]
SPECS = [
    (AnswerSpec(type="numeric"), 2.5),
    (AnswerSpec(type="integer"), 12),
    (AnswerSpec(type="matrix"), [[1.0, 2.0], [3.0, 4.0]]),
    (AnswerSpec(type="matrix", partial=True), [1e300, -1e-300, 0.0]),
    (AnswerSpec(type="single_choice", choices=(ChoiceOption("a", True, ""), ChoiceOption("b", False, "no"))), ["a"]),
    (
        AnswerSpec(
            type="multiple_choice", partial=True, choices=(ChoiceOption("a", True, ""), ChoiceOption("b", True, ""))
        ),
        ["a", "b"],
    ),
]
# Text that looks like an answer gets far deeper into the parser than random characters do.
answers = st.one_of(
    st.text(max_size=200),
    st.text(alphabet="0123456789.,;[]()eE+-*/^ \n\t−×·πinfnaINFsqrtexplog", max_size=80),
    st.sampled_from(
        ["1e309", "-1e309", "9" * 400, "[[1,2],[3]]", "[" * 300, "2**99999", "1/0", "0/0", "nan", "\x00", "a,b,a"]
    ),
)


@settings(max_examples=300, deadline=None)
@given(raw=answers, case=st.sampled_from(SPECS))
def test_the_grader_returns_a_status_for_any_text(raw: str, case: tuple[AnswerSpec, object]) -> None:
    spec, key = case
    result = grade(spec, key, raw)
    assert isinstance(result, Grade) and result.status in set(Status)
    assert 0.0 <= result.score <= 1.0


def attempt_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Attempt.id))) or 0


@pytest.mark.slow
def test_the_submit_route_answers_any_text_with_a_status(app: Flask, cast: Cast) -> None:
    client = app.test_client()
    token = login_as(client, cast.student)
    assert client.get("/weeks/1").status_code == 200

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(raw=answers, question=st.sampled_from(QUESTIONS), as_json=st.booleans(), week=st.sampled_from([1, 2]))
    def submit(raw: str, question: str, as_json: bool, week: int) -> None:
        before = attempt_count(app)
        response = client.post(
            f"/weeks/{week}/{question}/answer",
            data={"answer": raw, "choice": raw.split(","), "csrf_token": token},
            headers={"Accept": "application/json" if as_json else "text/html"},
        )
        assert response.status_code < 500, (raw, response.status_code)
        assert response.status_code == 400 or "\x00" not in raw
        added = attempt_count(app) - before
        if response.status_code == 400:
            assert added == 0  # a clean refusal stores nothing
        elif week == 2:
            assert response.status_code == 404 and added == 0  # week 2 has no such question
        else:
            assert response.status_code in (200, 302) and added == 1
            if as_json:
                assert response.get_json()["status"] in {s.value for s in Status}

    submit()


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("POST", "/login", {"email": "ada\x00@uni.example", "password": "x"}),
        ("POST", "/signup", {"email": "a@uni.example", "name": "A\x00", "password": "p" * 12, "confirm": "p" * 12}),
        ("GET", "/admin/users?q=%00", None),
        ("GET", "/set-password/%00abc", None),
        ("GET", "/weeks/1?x=%00", None),
        ("POST", "/account/password", {"current": "\x00", "password": "a\x00" * 6, "confirm": "a\x00" * 6}),
    ],
)
def test_nul_characters_are_refused_cleanly(app: Flask, cast: Cast, method: str, url: str, data: dict | None) -> None:
    client = app.test_client()
    token = login_as(
        client, cast.instructor if "admin" in url else None if url in ("/login", "/signup") else cast.student
    )
    response = client.open(url, method=method, data={**data, "csrf_token": token} if data else None)
    assert response.status_code == 400
