"""Roster import: an address sign-up would refuse is never stored; its line is listed, the rest are imported."""
from __future__ import annotations

import html
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from quizserver.accounts import parse_roster
from quizserver.extensions import db
from quizserver.models import User

from .conftest import Cast, login_as

pytestmark = pytest.mark.security

MARKUP = "<img/src=x/onerror=alert(1)>@x.example"
REFUSED_ROW = re.compile(r'<tr><th scope="row">(\d+)</th><td><code>(.*?)</code></td><td>(.*?)</td></tr>', re.S)


def upload(client: FlaskClient, token: str, content: bytes):
    return client.post(
        "/admin/import",
        data={"csrf_token": token, "roster": (io.BytesIO(content), "roster.csv")},
        content_type="multipart/form-data",
    )


def stored_emails(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(User.email)))


def refused_lines(page: str) -> list[tuple[int, str, str]]:
    """(line, value as sent, reason) from the page's table of refused lines."""
    assert 'id="refused"' in page, "the page lists no refused lines"
    section = page[page.index('id="refused"'):]
    return [(int(line), value, html.unescape(reason)) for line, value, reason in REFUSED_ROW.findall(section)]


def test_markup_as_an_email_is_refused_listed_escaped_and_the_valid_lines_imported(app: Flask, cast: Cast) -> None:
    client = app.test_client()
    token = login_as(client, cast.instructor)
    before = stored_emails(app)
    roster = (
        "email,name\n"
        "ada@uni.example,Ada\n"
        f"{MARKUP},Evil\n"
        "grace@uni.example,Grace\n"
        "not-an-email,Bob\n"
        "ada@uni.example,Ada Again\n"
    )
    response = upload(client, token, roster.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert stored_emails(app) - before == {"ada@uni.example", "grace@uni.example"}
    assert "Imported 2 new students" in page
    assert "<img" not in page
    refused = refused_lines(page)
    assert [(line, value) for line, value, _ in refused] == [
        (3, html.escape(MARKUP)),
        (5, "not-an-email"),
        (6, "ada@uni.example"),
    ]
    reasons = [reason for _, _, reason in refused]
    assert all(reasons) and "line 2" in reasons[2]


def test_a_roster_of_only_refused_lines_imports_nothing_and_lists_them(app: Flask, cast: Cast) -> None:
    client = app.test_client()
    token = login_as(client, cast.instructor)
    before = stored_emails(app)
    response = upload(client, token, f"{MARKUP},Evil\nx@x.test,Test\n".encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and stored_emails(app) == before
    assert "Nothing was imported" in page and "<img" not in page
    assert [line for line, _, _ in refused_lines(page)] == [1, 2]


@pytest.mark.parametrize(
    "email",
    [
        MARKUP,
        "a@b..example",  # an empty domain label
        "x@x.test",  # a special-use domain
        "a b@uni.example",
        "ada@uni.example\u200b",
        ".ada@uni.example",
    ],
)
def test_the_roster_parser_refuses_what_sign_up_refuses(email: str) -> None:
    rows, problems = parse_roster(f"ada@uni.example,Ada\n{email},Someone\n".encode())
    assert [row.email for row in rows] == ["ada@uni.example"]
    assert [(p.line, p.value) for p in problems] == [(2, email)]
    assert problems[0].reason
