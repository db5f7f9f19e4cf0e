"""The instructor's preview: any question, any seed, the key, and a box graded like a student's answer."""
from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from quizserver.catalog import served_bank
from quizserver.extensions import db
from quizserver.grading import format_answer
from quizserver.models import User
from quizserver.services import compute_variant, sync_banks
from tests.conftest import AuthActions

FAILING_BANK = """\
version: 1
week: 9
title: Broken for some seeds
questions:
  - id: divide
    type: numeric
    points: 1
    text: Compute 1 / {{ d }}.
    params:
      d: {randint: [0, 0]}
    solution: |
      answer = 1 / d
"""


@pytest.fixture
def instructor(make_user: Callable[..., User], auth: AuthActions) -> User:
    user = make_user("instructor")
    assert auth.login(user.email).status_code == 302
    return user


def _page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return html.unescape(response.get_data(as_text=True))


def _computed(app: Flask, question_id: str, seed: int):
    with app.app_context():
        return compute_variant(served_bank(1).bank.question(question_id), seed)


@pytest.mark.parametrize("role", ["student", "staff"])
def test_only_instructors_preview(make_user, auth: AuthActions, client: FlaskClient, role: str) -> None:
    auth.login(make_user(role).email)
    assert client.get("/instructor/preview/1/scale").status_code == 403
    assert client.get("/instructor/banks").status_code == 403


def test_anonymous_is_sent_to_log_in(client: FlaskClient) -> None:
    response = client.get("/instructor/preview/1/scale?seed=3")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_banks_page_links_every_question(instructor: User, client: FlaskClient) -> None:
    page = _page(client, "/instructor/banks")
    for week, question_id in [(1, "scale"), (1, "outer"), (1, "count"), (1, "relu"), (1, "convex")]:
        assert f'href="/instructor/preview/{week}/{question_id}?seed=0"' in page
    assert "/instructor/preview/2/" in page  # the closed week can be previewed too


@pytest.mark.parametrize("seed", [0, 7, 123456])
def test_preview_shows_the_seeds_numbers_key_and_explanation(
    app: Flask, instructor: User, client: FlaskClient, seed: int
) -> None:
    computed = _computed(app, "outer", seed)
    page = _page(client, f"/instructor/preview/1/outer?seed={seed}")
    key = format_answer(computed.answer)
    assert f'<code id="preview-key">{key}</code>' in page
    assert f'name="seed" id="seed" value="{seed}"' in page
    # the rendered question carries this seed's u, entry by entry, as MathML numbers
    for value in computed.names["u"]:
        assert f"<mn>{value}</mn>" in page
    assert "Entry" in page and "u_i v_j" not in page  # explanation rendered, LaTeX turned into MathML


def test_seed_defaults_to_zero_and_links_to_other_seeds(app: Flask, instructor: User, client: FlaskClient) -> None:
    page = _page(client, "/instructor/preview/1/scale")
    assert format_answer(_computed(app, "scale", 0).answer) in page
    assert "SECRET-EXPLANATION-MARKER" in page
    assert re.search(r'href="/instructor/preview/1/scale\?seed=\d+">Random seed', page)
    assert 'href="/instructor/preview/1/scale?seed=1">Next seed' in page


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("KEY", "correct"),
        ("-KEY", "incorrect"),
        ("[1, 2", "invalid"),
        ("", "invalid"),
    ],
)
def test_trial_answer_is_graded_like_a_students(
    app: Flask, instructor: User, client: FlaskClient, typed: str, expected: str
) -> None:
    key = format_answer(_computed(app, "scale", 5).answer)
    answer = typed.replace("KEY", key)
    page = _page(client, f"/instructor/preview/1/scale?seed=5&trial=1&answer={answer}")
    result = re.search(r'id="trial-result">\s*<strong>(\w+)</strong>, score ([\d.]+)', page)
    assert result, page
    assert result.group(1) == expected
    assert float(result.group(2)) == (1.0 if expected == "correct" else 0.0)
    assert f'value="{answer}"' in page  # the typed answer stays in the box


def test_trial_choice_answer(instructor: User, client: FlaskClient) -> None:
    page = _page(client, "/instructor/preview/1/convex?seed=2&trial=1&choice=a&choice=b")
    assert '<strong>correct</strong>' in page
    assert "a) Squared error; b) Absolute error" in page
    partial = _page(client, "/instructor/preview/1/convex?seed=2&trial=1&choice=a")
    assert '<strong>correct</strong>' not in partial and 'id="trial-result"' in partial


def test_no_trial_without_asking(instructor: User, client: FlaskClient) -> None:
    assert 'id="trial-result"' not in _page(client, "/instructor/preview/1/scale?seed=4")


@pytest.mark.parametrize("seed", ["abc", "-1", "1.5", "9" * 30, "0x10"])
def test_bad_seed_is_a_friendly_400(instructor: User, client: FlaskClient, seed: str) -> None:
    page = _page(client, f"/instructor/preview/1/scale?seed={seed}", status=400)
    assert "The seed must be a whole number" in page


@pytest.mark.parametrize("url", ["/instructor/preview/3/scale", "/instructor/preview/1/nope"])
def test_unknown_question_is_404(instructor: User, client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 404


def test_author_error_for_the_seed_is_shown(app: Flask, instructor: User, client: FlaskClient, tmp_path: Path) -> None:
    path = tmp_path / "week09-broken.yaml"
    path.write_text(FAILING_BANK)
    with app.app_context():
        assert sync_banks([path], sample=0).ok  # unsampled, so the broken key slips through
        db.session.commit()
    page = _page(client, "/instructor/preview/9/divide?seed=3")
    assert "The question's code fails for seed 3: solution raised ZeroDivisionError: division by zero" in page
    assert 'id="preview-key"' not in page
