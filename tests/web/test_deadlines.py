"""Deadlines on the week list and the week page: in the course's time zone, machine-readable, with a
relative hint, and practice-only weeks said in words."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from quizserver.accounts import create_user
from quizserver.banksync import sync_banks
from quizserver.extensions import db
from tests.conftest import FIXTURES, PASSWORD, AuthActions


@pytest.fixture
def berlin_client(make_app: Callable[..., Flask]):
    app = make_app(TIMEZONE="Europe/Berlin")
    with app.app_context():
        assert sync_banks([FIXTURES / "banks", FIXTURES / "closed"], variants=2).ok
        create_user("tz@uni.example", PASSWORD, role="student", name="Tim Zone")
        db.session.commit()
    client = app.test_client()
    assert AuthActions(client).login("tz@uni.example").status_code == 302
    return client


def test_the_week_list_gives_the_deadline_in_course_time(berlin_client) -> None:
    page = berlin_client.get("/weeks").get_data(as_text=True)
    # week 2 closed 2020-01-08 00:00 UTC: 01:00 in Berlin, machine-readable with its offset
    assert '<time datetime="2020-01-08T01:00:00+01:00">2020-01-08 01:00 CET</time>' in page
    assert "years ago" in page or "days ago" in page
    assert "<strong>practice only</strong> now: answers no longer change your score." in page
    # week 1 has no deadline
    assert "No deadline: <strong>practice only</strong>." in page


@pytest.mark.parametrize(
    ("week", "said"),
    [(1, "No deadline: <strong>practice only</strong>."), (2, "This week is closed since")],
)
def test_the_week_page_says_when_it_closes(berlin_client, week: int, said: str) -> None:
    page = berlin_client.get(f"/weeks/{week}").get_data(as_text=True)
    assert said in page
    if week == 2:
        assert "2020-01-08 01:00 CET" in page and "<strong>practice only</strong>" in page
