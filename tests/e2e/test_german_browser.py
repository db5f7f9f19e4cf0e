"""German in the browser: the scripts translate the grader's sentences exactly as the server does, and a
German-speaking student logs in, answers `0,5` and reads German feedback (Chromium, offline)."""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from quizserver.extensions import db
from quizserver.grading import AnswerError, parse_array
from quizserver.grading.messages import browser_catalog, translate_feedback
from tests.e2e.live import PASSWORD, LiveServer, add_user, make_live_app
from tests.e2e.test_answer_syntax import ANSWERS as TYPED_ANSWERS

try:
    from playwright.sync_api import expect
except ImportError:  # the `site` fixture then skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
I18N_JS = ROOT / "quizserver" / "static" / "i18n.js"
GERMAN_PO = ROOT / "translations" / "de" / "LC_MESSAGES" / "messages.po"


def _german() -> Callable[[str], str]:
    with GERMAN_PO.open("rb") as fh:
        catalog = read_po(fh, locale="de")

    def translate(message: str) -> str:
        entry = catalog.get(message)
        return entry.string if entry is not None and entry.string and not entry.fuzzy else message

    return translate


def _messages() -> list[str]:
    """What the preview's reader says about each typed answer (the same sentences as the grader's)."""
    found = []
    for text in TYPED_ANSWERS:
        try:
            parse_array(text)
        except AnswerError as error:
            found.append(error.message)
    found += [
        "Not correct. It is off by a constant factor of about 0.5.",
        "Close, but not within the tolerance (relative 1%): keep more digits.",
        "Expected 2x2, got a vector of 3 entries.",
        "Check the bound. A selected choice is not correct.",
        "Not correct. Not enough precision: give 2 decimal places.",
    ]
    return sorted(set(found))


def test_the_browser_translates_feedback_as_the_server_does(page: Any) -> None:
    german = _german()
    catalog = json.dumps({"strings": {"Not sent.": german("Not sent.")}, "feedback": browser_catalog(german)})
    catalog = catalog.replace("<", "\\u003c").replace(">", "\\u003e")  # as Jinja's tojson writes it
    page.set_content(
        '<!doctype html><html lang="de"><title>i18n</title>'
        f'<script type="application/json" id="i18n-catalog">{catalog}</script>'
    )
    page.add_script_tag(content=I18N_JS.read_text(encoding="utf-8"))
    messages = _messages()
    assert len(messages) > 30
    shown = page.evaluate("ms => ms.map(m => window.quizI18n.feedback(m))", messages)
    expected = [translate_feedback(m, german) for m in messages]
    assert [pair for pair in zip(messages, shown, expected, strict=True) if pair[1] != pair[2]] == []
    assert page.evaluate("window.quizI18n.gettext('Unknown {x}', {x: 3})") == "Unknown 3"


def test_an_english_page_gets_its_english_back(page: Any) -> None:
    page.set_content('<!doctype html><html lang="en"><title>i18n</title>')
    page.add_script_tag(content=I18N_JS.read_text(encoding="utf-8"))
    assert page.evaluate("window.quizI18n.feedback(\"Row 2: unknown name 'x'.\")") == "Row 2: unknown name 'x'."
    assert page.evaluate("window.quizI18n.gettext('You typed {shape}.', {shape: 'a single number'})") == (
        "You typed a single number."
    )


HALVES = Path(__file__).parent / "banks_german"  # one question whose key is 0.5
SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def german_site(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    app = make_live_app(tmp_path_factory.mktemp("german") / "german.sqlite3", [HALVES])
    add_user(app, "lena@uni.example", "student", "Lena Lernfreudig")
    with LiveServer(app) as server:
        yield server.url, app
    with app.app_context():
        db.engine.dispose()


def _log_in_in_german(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_label("E-Mail").fill("lena@uni.example")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(f"{base_url}/weeks")


def test_a_german_student_answers_with_a_decimal_comma(browser: Any, german_site: tuple[str, Any]) -> None:
    base_url, _ = german_site
    context = browser.new_context(locale="de-DE")  # the browser sends Accept-Language: de-DE
    try:
        page = context.new_page()
        _log_in_in_german(page, base_url)
        expect(page.get_by_role("heading", level=1)).to_have_text("Wöchentliche Quizze")
        page.goto(f"{base_url}/weeks/1")
        question = page.locator("#q-half")
        question.get_by_label("Ihre Antwort").fill("1")
        question.get_by_role("button", name="Prüfen").click()
        feedback = page.locator("#q-half-feedback")
        expect(feedback).to_contain_text("Nicht richtig.")
        expect(feedback).to_contain_text("Ihre Antwort weicht um einen konstanten Faktor von etwa 2 ab.")

        question.get_by_label("Ihre Antwort").fill("0,5")
        question.get_by_role("button", name="Prüfen").click()
        expect(feedback).to_contain_text("Richtig.")
        expect(feedback).not_to_contain_text("Nicht richtig")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 900, "height": 900})
        question.screenshot(path=str(SCREENSHOTS / "quiz-german.png"))  # docs/translations.md shows it
        expect(page.locator("#week-progress")).to_contain_text("1")
    finally:
        context.close()


def test_the_language_switch_works_before_logging_in(browser: Any, german_site: tuple[str, Any]) -> None:
    base_url, _ = german_site
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.goto(f"{base_url}/login")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.get_by_role("button", name="Deutsch").click()
        expect(page.locator("html")).to_have_attribute("lang", "de")
        expect(page).to_have_url(re.compile(r"/login$"))
        expect(page.get_by_role("button", name="Anmelden")).to_be_visible()
    finally:
        context.close()
