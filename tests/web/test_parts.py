"""A question in parts on the quiz page: one heading, lettered parts sharing one variant's numbers, a part
hidden until the part it comes after is solved or revealed, new numbers for all parts together, and each
part an item of its own for the staff pages."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from quizserver.banksync import sync_banks
from quizserver.extensions import db
from quizserver.models import PoolVariant
from tests.web.helpers import CSRF, answer, post_action, state_of, typed

PARTS_BANK = """\
version: 1
week: 7
title: Parts
questions:
  - id: plain
    type: numeric
    points: 1
    title: A question on its own
    text: Give {{ k }} times 2.
    params:
      k: {randint: [2, 900]}
    solution: answer = 2 * k
  - id: graph
    title: Forward, then backward
    text: |
      Take $x = {{ x }}$ and $f = x^2 + {{ c }} x$.
    params:
      x: {randint: [2, 900]}
      c: 3
    solution: |
      f = x * x + c * x
      df = 2 * x + c
    parts:
      - id: forward
        type: numeric
        points: 1
        text: Give $f$.
        answer: f
        tolerance: {sigfig: 3}
      - id: backward
        after: forward
        type: numeric
        points: 2
        text: With $f = {{ f }}$, give $f'(x)$.
        answer: df
"""
JSON = {"Accept": "application/json"}


@pytest.fixture
def parts_app(bare_app: Flask, tmp_path: Path) -> Flask:
    path = tmp_path / "week07-parts.yaml"
    path.write_text(PARTS_BANK)
    with bare_app.app_context():
        report = sync_banks([path], variants=8)
        assert report.ok, [str(p) for f in report.files for p in f.problems]
        db.session.commit()
    return bare_app


def _slot(app: Flask, user_id: int, question_id: str) -> int:
    state = state_of(app, user_id, 7, question_id)
    assert state.variant.pool_variant is not None
    return state.variant.pool_variant.slot


def test_the_parts_show_as_one_question_with_lettered_parts(parts_app: Flask, client: FlaskClient, student) -> None:
    page = client.get("/weeks/7").get_data(as_text=True)
    assert len(re.findall(r'<li class="question[ "]', page)) == 2  # the plain question and the one in parts
    assert "Question 2: Forward, then backward" in page and "Question 3" not in page
    assert 'id="q-graph"' in page and 'id="q-graph.forward"' in page and 'id="q-graph.backward"' in page
    assert "Part (a)" in page and "Part (b)" in page
    assert "0 / 3 points" in page  # the parts' points together
    assert "a number, 3 significant figures" in page
    # (b) waits for (a): neither its text nor its answer box is on the page yet
    assert "This part opens once you solve part (a) or show its solution." in page
    assert "With $f" not in page and 'id="q-graph.backward-answer"' not in page


def test_every_part_gets_the_same_numbers(parts_app: Flask, client: FlaskClient, student, make_user, auth) -> None:
    client.get("/weeks/7")
    assert _slot(parts_app, student.id, "graph.forward") == _slot(parts_app, student.id, "graph.backward")
    others = [make_user(email=f"s{i}@example.org") for i in range(5)]
    for other in others:
        auth.logout()
        auth.login(other.email)
        client.get("/weeks/7")
        assert _slot(parts_app, other.id, "graph.forward") == _slot(parts_app, other.id, "graph.backward")
    # least-used assignment still spreads students over the pool
    assert len({_slot(parts_app, u.id, "graph.forward") for u in [student, *others]}) > 1


def test_solving_a_part_opens_the_next_with_the_solved_value(parts_app: Flask, client: FlaskClient, student) -> None:
    client.get("/weeks/7")
    key = state_of(parts_app, student.id, 7, "graph.forward").variant.answer
    page = client.get("/weeks/7").get_data(as_text=True)
    response = client.post("/weeks/7/graph.forward/answer", headers=JSON,
                           data={"csrf_token": CSRF.search(page).group(1), "answer": typed(key)})
    data = response.get_json()
    assert data["status"] == "correct"
    # the reply re-renders the whole question, so the part that just opened appears at once
    fragment = data["question_html"]
    assert fragment.lstrip().startswith('<li class="question question-parts') and 'id="q-graph.backward"' in fragment
    assert "opens once" not in fragment and 'id="q-graph.backward-answer"' in fragment
    assert typed(key) in fragment  # (b)'s text shows (a)'s value
    backward = state_of(parts_app, student.id, 7, "graph.backward").variant.answer
    answer(client, 7, "graph.backward", typed(backward))
    assert state_of(parts_app, student.id, 7, "graph.backward").solved_at is not None


def test_revealing_a_part_also_opens_the_next(parts_app: Flask, client: FlaskClient, student) -> None:
    client.get("/weeks/7")
    post_action(client, 7, "graph.forward", "reveal")
    page = client.get("/weeks/7").get_data(as_text=True)
    assert "opens once" not in page and 'id="q-graph.backward-answer"' in page


@pytest.mark.parametrize(
    ("typed_answer", "message"),
    [
        ("1", "Not enough precision: give 3 significant figures."),
        ("-1", "Not enough precision: give 3 significant figures."),
    ],
)
def test_a_wrong_answer_with_too_few_digits_is_told_so(parts_app: Flask, client: FlaskClient, student,
                                                      typed_answer: str, message: str) -> None:
    client.get("/weeks/7")
    answer(client, 7, "graph.forward", typed_answer)
    assert message in client.get("/weeks/7").get_data(as_text=True)


def test_new_numbers_come_for_all_parts_together(parts_app: Flask, client: FlaskClient, student) -> None:
    client.get("/weeks/7")
    post_action(client, 7, "graph.forward", "reveal")
    # (b) is not finished yet: no new numbers for the question
    post_action(client, 7, "graph.forward", "new")
    before = _slot(parts_app, student.id, "graph.forward")
    assert state_of(parts_app, student.id, 7, "graph.forward").practice_round == 0
    post_action(client, 7, "graph.backward", "reveal")
    assert "New numbers to practise (all parts)" in client.get("/weeks/7").get_data(as_text=True)
    post_action(client, 7, "graph.forward", "new")
    forward = state_of(parts_app, student.id, 7, "graph.forward")
    backward = state_of(parts_app, student.id, 7, "graph.backward")
    assert forward.practice_round == backward.practice_round == 1
    assert _slot(parts_app, student.id, "graph.forward") == _slot(parts_app, student.id, "graph.backward") != before


def test_the_pools_of_the_parts_share_seeds_slot_by_slot(parts_app: Flask) -> None:
    with parts_app.app_context():
        rows = db.session.execute(select(PoolVariant.question_id, PoolVariant.slot, PoolVariant.seed)).all()
    seeds: dict[str, dict[int, int]] = {}
    for question_id, slot, seed in rows:
        seeds.setdefault(question_id, {})[slot] = seed
    assert seeds["graph.forward"] == seeds["graph.backward"]
    assert len(seeds["graph.forward"]) == 8


def test_each_part_is_an_item_in_the_gradebook_and_the_item_analysis(parts_app: Flask, client: FlaskClient, student,
                                                                      make_user, auth) -> None:
    client.get("/weeks/7")
    key = state_of(parts_app, student.id, 7, "graph.forward").variant.answer
    answer(client, 7, "graph.forward", typed(key))
    auth.logout()
    staff = make_user(role="staff", email="staff@example.org")
    auth.login(staff.email)
    items = client.get("/staff/weeks/7/items").get_data(as_text=True)
    assert "graph.forward" in items and "graph.backward" in items
    export = client.get("/staff/attempts.csv").get_data(as_text=True)
    assert ",graph.forward," in export


def test_a_part_shown_alone_keeps_its_questions_text(parts_app: Flask, client: FlaskClient, student) -> None:
    """A review card shows one part alone: it needs the shared text (the numbers) before the part's own."""
    from quizserver.catalog import served_bank
    from quizserver.quiz.presenters import shown_html

    client.get("/weeks/7")
    with parts_app.app_context():
        question = served_bank(7).bank.question("graph.backward")
        assert question is not None
        variant = state_of(parts_app, student.id, 7, "graph.backward").variant
        shown = shown_html(question, variant)
    assert "Take" in shown.text and "give" in shown.text and shown.text.index("Take") < shown.text.index("give")
    assert "Take" not in shown.own_text and "give" in shown.own_text


@pytest.mark.parametrize("action", ["answer", "reveal", "new"])
def test_a_hidden_part_refuses_every_action_until_the_part_before_opens_it(
    parts_app: Flask, client: FlaskClient, student, action: str
) -> None:
    """The page hides (b) while (a) is open; a hand-made post to (b) is refused too, and changes nothing."""
    page = client.get("/weeks/7").get_data(as_text=True)
    data = {"csrf_token": CSRF.search(page).group(1), "answer": "1"}
    before = state_of(parts_app, student.id, 7, "graph.backward")
    response = client.post(f"/weeks/7/graph.backward/{action}", data=data, headers=JSON)
    assert response.status_code == 409
    assert "opens once part (a) is solved" in response.get_data(as_text=True)
    after = state_of(parts_app, student.id, 7, "graph.backward")
    assert (after.attempts, after.revealed_at, after.variant_id) == (before.attempts, before.revealed_at,
                                                                     before.variant_id)
    post_action(client, 7, "graph.forward", "reveal")
    page = client.get("/weeks/7").get_data(as_text=True)
    data["csrf_token"] = CSRF.search(page).group(1)
    assert client.post(f"/weeks/7/graph.backward/{action}", data=data, headers=JSON).status_code == 200
