"""CSV exports: no cell a spreadsheet would read as a formula, however it is disguised (OWASP CSV injection)."""
from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from quizserver.accounts import create_user
from quizserver.extensions import db
from quizserver.models import User
from quizserver.staff.exports import safe_cell

from .conftest import Cast, login_as

pytestmark = pytest.mark.security

DEFUSED = [
    "=1+1",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "\t=1+1",
    "\tplain",
    "\rplain",
    " =1+1",
    "   @SUM(A1)",
    "\n=1+1",
    "\r\n-cmd|' /C calc'!A0",
    "\n\t +1",
    "\u00a0=1+1",  # no-break space
    "\u3000=1+1",  # ideographic space
    "\uff1d1+1",  # full-width =
    "\uff0b1+1",  # full-width +
    "\uff0d1",  # full-width -
    "\uff20SUM(A1)",  # full-width @
    " \uff1d1+1",
    "-inf",
    "-1_000",
]
KEPT: list[Any] = [
    "plain",
    "",
    " plain",
    "\nplain",
    "ada@uni.example",
    "a=b",
    "-1.5",
    "+3",
    "-2e-05",
    "1e+10",
    42,
    -2.5,
    None,
]


@pytest.mark.parametrize("value", DEFUSED)
def test_a_formula_in_disguise_gets_a_leading_apostrophe(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", KEPT)
def test_text_and_plain_numbers_are_left_alone(value: Any) -> None:
    assert safe_cell(value) == value


def test_the_gradebook_export_defuses_disguised_formulas_in_names(app: Flask, cast: Cast) -> None:
    names = {f"s{i}@uni.example": name for i, name in enumerate(DEFUSED)}
    with app.app_context():
        for email in names:
            create_user(email, None, name="placeholder")
        for email, name in names.items():  # stored as is: create_user would strip the leading whitespace
            db.session.execute(update(User).where(User.email == email).values(name=name))
        db.session.commit()
    client = app.test_client()
    login_as(client, cast.staff)
    response = client.get("/staff/gradebook.csv")
    assert response.status_code == 200
    exported = {row["email"]: row["name"] for row in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}
    assert {email: exported[email] for email in names} == {email: "'" + name for email, name in names.items()}
