"""The interface language: account setting, the switch's cookie, Accept-Language, English; German answers."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from quizserver.extensions import db
from quizserver.i18n import LANGUAGE_COOKIE, choose_language, cli_language, compile_catalogs, stale_catalogs
from quizserver.models import User
from tests.conftest import csrf_token
from tests.web.helpers import CSRF, attempts_of, key_of, typed

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.8"}
JSON = {"Accept": "application/json"}


@pytest.mark.parametrize(
    ("account", "cookie", "accepted", "expected"),
    [
        (None, None, [], "en"),
        (None, None, [("de-DE", 1.0), ("en", 0.5)], "de"),
        (None, None, [("fr", 1.0), ("de", 0.4)], "de"),  # the best the interface speaks
        (None, None, [("fr", 1.0), ("hr", 0.9)], "en"),
        (None, None, [("de", 0.0), ("en", 0.5)], "en"),  # q=0: not acceptable
        (None, "de", [("en", 1.0)], "de"),  # the switch beats the browser
        ("en", "de", [("de", 1.0)], "en"),  # the account beats both
        ("de", None, [("en", 1.0)], "de"),
        ("xx", "yy", [("en-US", 1.0)], "en"),  # unknown values are ignored
    ],
)
def test_choose_language(account, cookie, accepted, expected) -> None:
    assert choose_language(account, cookie, accepted) == expected


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "de"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANGUAGE": "de:en", "LANG": "en_US.UTF-8"}, "de"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "de_DE.UTF-8"}, "en"),
        ({"LC_MESSAGES": "de_AT.UTF-8"}, "de"),
    ],
)
def test_cli_language_follows_the_environment(environ, expected) -> None:
    assert cli_language(environ) == expected


@pytest.mark.parametrize(("headers", "lang", "words"), [(GERMAN, "de", "Sprache:"), (ENGLISH, "en", "Language:"),
                                                        ({}, "en", "Language:")])
def test_the_page_language_follows_accept_language(client: FlaskClient, headers, lang, words) -> None:
    response = client.get("/login", headers=headers)
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html and words in html
    assert "Accept-Language" in response.headers.get("Vary", "")


def test_the_switch_works_before_logging_in(client: FlaskClient) -> None:
    token = csrf_token(client, "/login")
    response = client.post("/language", data={"csrf_token": token, "language": "de", "next": "/login?x=1"},
                           headers=ENGLISH)
    assert response.status_code == 302 and response.headers["Location"] == "/login?x=1"
    assert LANGUAGE_COOKIE in response.headers.get("Set-Cookie", "")
    assert '<html lang="de">' in client.get("/login", headers=ENGLISH).get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "", None])
def test_the_switch_never_redirects_off_site(client: FlaskClient, target) -> None:
    data = {"csrf_token": csrf_token(client, "/login"), "language": "de"}
    if target is not None:
        data["next"] = target
    response = client.post("/language", data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_an_unknown_language_changes_nothing(client: FlaskClient) -> None:
    response = client.post("/language", data={"csrf_token": csrf_token(client, "/login"), "language": "xx"})
    assert response.status_code == 302 and "Set-Cookie" not in response.headers


def test_the_switch_needs_the_form_token(client: FlaskClient) -> None:
    assert client.post("/language", data={"language": "de"}).status_code == 400


def test_the_account_keeps_its_language_on_every_device(app: Flask, client: FlaskClient, student: User) -> None:
    token = csrf_token(client, "/account/password")
    client.post("/language", data={"csrf_token": token, "language": "de", "next": "/account/password"})
    with app.app_context():
        assert db.session.scalar(select(User.language).where(User.id == student.id)) == "de"
    other = app.test_client()  # another browser, preferring English, without the cookie
    other.post("/login", data={"email": student.email, "password": "correct horse battery",
                               "csrf_token": csrf_token(other, "/login")})
    page = other.get("/account/password", headers=ENGLISH).get_data(as_text=True)
    assert '<html lang="de">' in page and 'value="de" lang="de" selected' in page


def _post_answer(client: FlaskClient, raw: str, headers: dict[str, str]):
    page = client.get("/weeks/1", headers=headers).get_data(as_text=True)
    data = {"csrf_token": CSRF.search(page).group(1), "answer": raw}
    return client.post("/weeks/1/scale/answer", data=data, headers={**headers, **JSON})


def test_a_german_student_answers_with_a_decimal_comma(app: Flask, client: FlaskClient, student: User) -> None:
    client.get("/weeks/1")
    key = key_of(app, student.id, 1, "scale")  # a*b + 0.5: always has a decimal part
    comma = typed(key).replace(".", ",")
    reply = _post_answer(client, comma, GERMAN).get_json()
    assert reply["status"] == "correct" and reply["message"] == "Richtig."
    assert "Richtig." in reply["question_html"]
    assert attempts_of(app, student.id, "scale")[-1].raw_answer == typed(key)  # stored as any reader can regrade it


def test_an_english_student_gets_no_decimal_comma(app: Flask, client: FlaskClient, student: User) -> None:
    client.get("/weeks/1")
    comma = typed(key_of(app, student.id, 1, "scale")).replace(".", ",")
    reply = _post_answer(client, comma, ENGLISH).get_json()
    assert reply["status"] == "invalid"
    assert reply["message"] == "Enter a single number (use a decimal point, not a comma)."


def test_german_feedback_on_a_wrong_answer(app: Flask, client: FlaskClient, student: User) -> None:
    client.get("/weeks/1")
    reply = _post_answer(client, typed(-key_of(app, student.id, 1, "scale")), GERMAN).get_json()
    assert reply["message"] == "Nicht richtig. Das Vorzeichen ist vertauscht."
    assert "Das Vorzeichen ist vertauscht." in reply["answered_html"]
    # the same stored attempt reads in English to an English reader
    page = client.get("/weeks/1", headers=ENGLISH).get_data(as_text=True)
    assert "The sign is flipped." in page and "Vorzeichen" not in page


def test_a_comma_inside_brackets_is_explained_in_german(app: Flask, client: FlaskClient, student: User) -> None:
    client.get("/weeks/1")
    page = client.get("/weeks/1", headers=GERMAN).get_data(as_text=True)
    reply = client.post("/weeks/1/outer/answer", data={"csrf_token": CSRF.search(page).group(1),
                                                       "answer": "[[1,5, 2, 3], [4, 5, 6]]"},
                        headers={**GERMAN, **JSON}).get_json()
    assert "Ein Dezimalkomma gilt nur in einer alleinstehenden Zahl wie 0,5." in reply["message"]


def test_catalogs_are_compiled_when_the_po_is_newer(tmp_path: Path) -> None:
    source = tmp_path / "translations"
    po = source / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\nmsgid "Week"\nmsgstr "Woche"\n',
                  encoding="utf-8")
    target = tmp_path / "compiled"
    assert [mo.name for mo in compile_catalogs(source, target)] == ["messages.mo"]
    assert stale_catalogs(source, target) == [] and compile_catalogs(source, target) == []
    later = time.time() + 5
    os.utime(po, (later, later))  # an edited translation is compiled again at the next start
    assert len(stale_catalogs(source, target)) == 1
    compile_catalogs(source, target)
    assert stale_catalogs(source, target) == []


def test_the_app_serves_the_compiled_german_catalog(app: Flask) -> None:
    compiled = Path(app.instance_path) / "translations" / "de" / "LC_MESSAGES" / "messages.mo"
    assert compiled.exists()
    source = Path(app.root_path).parent / "translations" / "de" / "LC_MESSAGES" / "messages.po"
    assert compiled.stat().st_mtime >= source.stat().st_mtime


@pytest.mark.parametrize(
    ("headers", "expected_time", "expected_relative"),
    [
        (GERMAN, "03.11.2026, 23:59 MEZ", "vor"),
        (ENGLISH, "2026-11-03 23:59 CET", "ago"),
    ],
)
def test_times_in_the_course_zone_and_the_readers_language(make_app, headers, expected_time,
                                                            expected_relative) -> None:
    from datetime import UTC, datetime

    from flask import render_template_string

    app = make_app(TIMEZONE="Europe/Berlin")
    moment = datetime(2026, 11, 3, 22, 59, tzinfo=UTC)
    with app.test_request_context("/", headers=headers):
        assert render_template_string("{{ t|localtime }}", t=moment) == expected_time
        assert expected_relative in render_template_string("{{ t|fromnow }}", t=moment)
        assert render_template_string("{{ t|localtime }}", t=None) == ""


BROKEN_BANK = """\
version: 1
week: 9
title: Broken
questions:
  - id: q
    type: numeric
    points: 1
    text: Compute {{ a }}.
    params:
      a: {randint: [1, 5]}
    solutoin: answer = a
"""


@pytest.mark.parametrize(
    ("environ", "problem", "summary"),
    [
        ({"LANG": "de_DE.UTF-8"}, "unbekannter Schlüssel „solutoin“ – meinten Sie „solution“?", "FEHLGESCHLAGEN: "),
        ({"LANG": "en_GB.UTF-8"}, "unknown key 'solutoin', did you mean 'solution'?", "FAILED: "),
        ({"LANG": "C.UTF-8"}, "unknown key 'solutoin', did you mean 'solution'?", "FAILED: "),
    ],
)
def test_quiz_check_speaks_the_language_of_its_environment(app: Flask, tmp_path: Path, environ, problem,
                                                           summary) -> None:
    bank = tmp_path / "week09-broken.yaml"
    bank.write_text(BROKEN_BANK, encoding="utf-8")
    env = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", **environ}
    result = app.test_cli_runner().invoke(args=["quiz", "check", str(bank), "--random", "0"],
                                          env=env)
    assert result.exit_code == 1
    assert f"week09-broken.yaml:11: q: {problem}" in result.stdout
    assert result.stderr.strip().splitlines()[-1].startswith(summary)


@pytest.mark.parametrize(
    ("template", "german", "english"),
    [
        ("{{ d|day }}", "Fr., 4. Dez. 2026", "Fri 04 Dec 2026"),
        ("{{ t|localtime(fmt='%A %d %b, %H:%M') }}", "Freitag, 4. Dez., 17:59 MEZ", "Friday 04 Dec, 17:59 CET"),
        ("{{ t|localdate }}", "04.12.2026", "2026-12-04"),
        ("{{ 0.5|num }} {{ '%.1f'|format(2)|num }} {{ 12|num }}", "0,5 2,0 12", "0.5 2.0 12"),
        ("{{ 'student'|role_name }}", "Studierende", "student"),
        ("{{ 'a number, 2 decimal places'|answer_hint }}", "eine Zahl, 2 Nachkommastellen",
         "a number, 2 decimal places"),
    ],
)
def test_days_numbers_and_names_in_the_readers_language(make_app, template, german, english) -> None:
    from datetime import UTC, date, datetime

    from flask import render_template_string

    app = make_app(TIMEZONE="Europe/Berlin")
    values = {"d": date(2026, 12, 4), "t": datetime(2026, 12, 4, 16, 59, tzinfo=UTC)}
    for headers, expected in ((GERMAN, german), (ENGLISH, english)):
        with app.test_request_context("/", headers=headers):
            assert render_template_string(template, **values) == expected
