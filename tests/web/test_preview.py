"""The instructor's preview: any variant of a question's verified pool, its key, and a box graded like a student's
answer."""
from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from quizserver.banksync import sync_banks
from quizserver.catalog import served_bank
from quizserver.extensions import db
from quizserver.grading import format_answer
from quizserver.models import PoolVariant, User
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


def _pooled(app: Flask, question_id: str, number: int) -> PoolVariant:
    """Variant `number` (1-based) of the served pool, as stored at sync."""
    with app.app_context():
        row = db.session.scalars(
            select(PoolVariant).where(
                PoolVariant.bank_version_id == served_bank(1).version.id,
                PoolVariant.question_id == question_id,
                PoolVariant.slot == number - 1,
            )
        ).one()
        db.session.expunge(row)
        return row


@pytest.mark.parametrize("role", ["student", "staff"])
def test_only_instructors_preview(make_user, auth: AuthActions, client: FlaskClient, role: str) -> None:
    auth.login(make_user(role).email)
    assert client.get("/instructor/preview/1/scale").status_code == 403
    assert client.get("/instructor/banks").status_code == 403


def test_anonymous_is_sent_to_log_in(client: FlaskClient) -> None:
    response = client.get("/instructor/preview/1/scale?variant=3")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_banks_page_links_every_question(instructor: User, client: FlaskClient) -> None:
    page = _page(client, "/instructor/banks")
    for week, question_id in [(1, "scale"), (1, "outer"), (1, "count"), (1, "relu"), (1, "convex")]:
        assert f'href="/instructor/preview/{week}/{question_id}"' in page
    assert "/instructor/preview/2/" in page  # the closed week can be previewed too


@pytest.mark.parametrize("number", [1, 3, 6])
def test_preview_shows_the_variants_numbers_key_and_explanation(
    app: Flask, instructor: User, client: FlaskClient, number: int
) -> None:
    pooled = _pooled(app, "outer", number)
    page = _page(client, f"/instructor/preview/1/outer?variant={number}")
    key = format_answer(pooled.answer)
    assert f'<code id="preview-key">{key}</code>' in page
    assert f'name="variant" id="variant" value="{number}"' in page
    assert f"of 6 (seed {pooled.seed})" in page
    # the rendered question carries this variant's u, entry by entry, as MathML numbers
    for value in pooled.params["u"]:
        assert f"<mn>{value}</mn>" in page
    # explanation rendered, LaTeX turned into MathML (its source stays only as the formula's annotation)
    shown = re.sub(r"<annotation[^>]*>.*?</annotation>", "", page, flags=re.S)
    assert "Entry" in shown and "u_i v_j" not in shown


def test_variant_defaults_to_the_first_and_links_to_others(app: Flask, instructor: User, client: FlaskClient) -> None:
    page = _page(client, "/instructor/preview/1/scale")
    assert format_answer(_pooled(app, "scale", 1).answer) in page
    assert "SECRET-EXPLANATION-MARKER" in page
    assert re.search(r'href="/instructor/preview/1/scale\?variant=\d+">Random variant', page)
    assert 'href="/instructor/preview/1/scale?variant=2">Next variant' in page
    assert ">Previous<" not in page
    last = _page(client, "/instructor/preview/1/scale?variant=6")
    assert ">Next variant<" not in last and 'href="/instructor/preview/1/scale?variant=5">Previous' in last


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
    key = format_answer(_pooled(app, "scale", 5).answer)
    answer = typed.replace("KEY", key)
    page = _page(client, f"/instructor/preview/1/scale?variant=5&trial=1&answer={answer}")
    result = re.search(r'id="trial-result">\s*<strong>(\w+)</strong>, score ([\d.]+)', page)
    assert result, page
    assert result.group(1) == expected
    assert float(result.group(2)) == (1.0 if expected == "correct" else 0.0)
    assert f'value="{answer}"' in page  # the typed answer stays in the box


def test_trial_choice_answer(instructor: User, client: FlaskClient) -> None:
    page = _page(client, "/instructor/preview/1/convex?variant=2&trial=1&choice=a&choice=b")
    assert '<strong>correct</strong>' in page
    # the key lists the correct choices as students read them (rendered, in this variant's order, with their ids)
    key = page[page.index('id="preview-key"'):]
    key = key[: key.index("</ul>")]
    assert "<li><code>a</code> <p>Squared error</p>" in key and "<li><code>b</code> <p>Absolute error</p>" in key
    partial = _page(client, "/instructor/preview/1/convex?variant=2&trial=1&choice=a")
    assert '<strong>correct</strong>' not in partial and 'id="trial-result"' in partial


def test_no_trial_without_asking(instructor: User, client: FlaskClient) -> None:
    assert 'id="trial-result"' not in _page(client, "/instructor/preview/1/scale?variant=4")


@pytest.mark.parametrize("number", ["abc", "-1", "1.5", "9" * 30, "0x10", "0", "7"])
def test_bad_variant_is_a_friendly_400(instructor: User, client: FlaskClient, number: str) -> None:
    page = _page(client, f"/instructor/preview/1/scale?variant={number}", status=400)
    assert "The variant must be a whole number from 1 to 6" in page


@pytest.mark.parametrize("url", ["/instructor/preview/3/scale", "/instructor/preview/1/nope"])
def test_unknown_question_is_404(instructor: User, client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 404


def test_a_bank_whose_code_fails_for_a_seed_is_never_previewed(
    app: Flask, instructor: User, client: FlaskClient, tmp_path: Path
) -> None:
    path = tmp_path / "week09-broken.yaml"
    path.write_text(FAILING_BANK)
    with app.app_context():
        report = sync_banks([path], variants=3)
        db.session.commit()
    assert not report.ok
    assert "ZeroDivisionError: division by zero" in str(report.files[0].problems[0])
    assert client.get("/instructor/preview/9/divide").status_code == 404
