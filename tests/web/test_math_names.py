"""Every formula the app shows has a spoken name: over every question of the shipped banks."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask import Flask
from sqlalchemy import select

from quizserver.accounts import create_user
from quizserver.extensions import db
from quizserver.models import PoolVariant
from tests.conftest import PASSWORD, AuthActions


class _MathNames(HTMLParser):
    """The alttext and aria-label of every <math>, and how many carry a TeX annotation."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[tuple[str, str]] = []
        self.annotations = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "math":
            self.names.append(((found.get("alttext") or "").strip(), (found.get("aria-label") or "").strip()))
        elif tag == "annotation" and found.get("encoding") == "application/x-tex":
            self.annotations += 1


def math_names(html: str) -> _MathNames:
    parser = _MathNames()
    parser.feed(html)
    return parser


def unnamed(html: str) -> list[tuple[str, str]]:
    return [pair for pair in math_names(html).names if not all(pair)]


@pytest.mark.slow
def test_every_formula_of_every_shipped_question_has_a_name(shipped_app: Flask) -> None:
    """Question text, explanations and choices of every pool variant, then every week page as served."""
    with shipped_app.app_context():
        variants = db.session.scalars(select(PoolVariant)).all()
        formulas = 0
        for variant in variants:
            for html in [variant.text_html, variant.explanation_html, *(variant.choices_html or {}).values()]:
                parsed = math_names(html)
                assert not unnamed(html), (variant.question_id, variant.slot, unnamed(html))
                assert parsed.annotations == len(parsed.names), (variant.question_id, "a formula has no TeX source")
                formulas += len(parsed.names)
        create_user("reader@uni.example", PASSWORD, role="student")
        db.session.commit()
    assert formulas > 1000  # the shipped banks are full of math: this walked them

    client = shipped_app.test_client()
    AuthActions(client).login("reader@uni.example")
    for week in range(1, 13):
        page = client.get(f"/weeks/{week}")
        assert page.status_code == 200, week
        html = page.get_data(as_text=True)
        assert math_names(html).names, f"week {week} shows no math"
        assert not unnamed(html), (week, unnamed(html))
