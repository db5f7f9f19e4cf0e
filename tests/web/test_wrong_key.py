"""Item analysis flags a wrong key on the evidence a wrong key leaves, and (almost) nothing else.

The cohort is the demo generator's, on the shipped banks, graded by the real grader. Planting a wrong key
means the students compute the truth (`believed`) while the stored key says something else.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from flask import Flask

from quizserver.catalog import served_banks
from quizserver.demo import create_demo_cohort
from quizserver.extensions import db
from quizserver.staff import queries

STUDENTS = 300


def flagged(app: Flask) -> dict[tuple[int, str], Any]:
    with app.app_context():
        return {
            (sb.week, item.question.id): item.suspicion
            for sb in served_banks()
            for item in queries.item_analysis(sb)
            if item.suspicion is not None
        }


def first_of_type(app: Flask, week: int, kind: str) -> str:
    with app.app_context():
        bank = next(sb.bank for sb in served_banks() if sb.week == week)
        return next(q.id for q in bank.questions if q.type == kind)


def all_questions(app: Flask) -> int:
    with app.app_context():
        return sum(len(sb.bank.questions) for sb in served_banks())


PLANTS: list[tuple[int, str, Callable[[Any], Any], str]] = [
    # (week, question type, what the students compute from the stored key, the reason shown)
    (2, "numeric", lambda key: np.asarray(key) * 1.37 + 0.5, "the same wrong answer as others with the same numbers"),
    (5, "matrix", lambda key: -np.asarray(key), "the key with its sign flipped"),
    (8, "numeric", lambda key: 2 * np.asarray(key), "the key times 2"),
]


def test_a_planted_wrong_key_is_flagged_and_almost_nothing_else(shipped_app: Flask) -> None:
    planted = {(week, first_of_type(shipped_app, week, kind)): (truth, reason) for week, kind, truth, reason in PLANTS}
    with shipped_app.app_context():
        create_demo_cohort(STUDENTS, seed=0, believed={key: truth for key, (truth, _) in planted.items()})
        db.session.commit()
    found = flagged(shipped_app)
    for key, (_, reason) in planted.items():
        assert key in found, f"the wrong key of {key} was not flagged"
        assert found[key].reason == reason
        assert found[key].seeds  # each flag names variants to preview
    others = set(found) - set(planted)
    assert len(others) <= 1, f"{len(others)} of {all_questions(shipped_app) - 3} good keys flagged: {sorted(others)}"


@pytest.mark.parametrize("seed", [0, 1])
def test_the_demo_cohort_flags_few_keys(shipped_app: Flask, seed: int) -> None:
    """`quiz demo-data` on the shipped banks: its students make realistic mistakes, and no key is wrong."""
    runner = shipped_app.test_cli_runner()
    result = runner.invoke(args=["quiz", "demo-data", "--students", str(STUDENTS), "--seed", str(seed)])
    assert result.exit_code == 0, result.output
    found = flagged(shipped_app)
    assert len(found) <= 2, f"{len(found)} of {all_questions(shipped_app)} questions flagged: {sorted(found)}"


def test_item_analysis_page_links_a_flag_to_previews(shipped_app: Flask) -> None:
    week, kind, truth, _ = PLANTS[1]
    qid = first_of_type(shipped_app, week, kind)
    with shipped_app.app_context():
        create_demo_cohort(60, seed=3, believed={(week, qid): truth})
        from quizserver.accounts import create_user

        create_user("ines@uni.example", "correct horse battery", role="instructor", name="Ines")
        db.session.commit()
    client = shipped_app.test_client()
    from tests.conftest import csrf_token

    client.post("/login", data={"email": "ines@uni.example", "password": "correct horse battery",
                                "csrf_token": csrf_token(client)})  # fmt: skip
    html = client.get(f"/staff/weeks/{week}/items").get_data(as_text=True)
    section = html[html.index(f'id="item-{qid}"'):]
    assert "Likely wrong key:" in section
    link = f"/instructor/preview/{week}/{qid}?seed="
    assert link in section
    href = section[section.index(link):].split('"')[0]
    assert client.get(href).status_code == 200
