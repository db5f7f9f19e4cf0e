"""What a student sees at phone width: deadlines in the course's time zone, the cost of a solution before it
is paid (with and without JavaScript), and the answer that was graded next to its feedback."""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.live import LiveServer, add_user, log_in, make_live_app
from tests.web.helpers import key_of, typed

try:
    from playwright.sync_api import expect
except ImportError:  # the `site` fixture then skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 800}
BANK = """version: 1
week: {week}
title: {title}
{timing}
questions:
  - id: half
    type: numeric
    points: 2
    text: Give one half.
    solution: |
      answer = 0.5
    explanation: One half is $\\frac{{1}}{{2}}$.
"""


def _bank(folder: Path, week: int, title: str, **timing: datetime) -> None:
    lines = "\n".join(f"{key}: {moment.isoformat()}" for key, moment in timing.items())
    (folder / f"week{week:02d}-timing.yaml").write_text(BANK.format(week=week, title=title, timing=lines))


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory, site: Any) -> Iterator[LiveServer]:
    """A course in Berlin time: a closed week, one closing in two days, one without a deadline, one upcoming."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    folder = tmp_path_factory.mktemp("timing-banks")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    _bank(folder, 1, "Closed", opens=now - timedelta(days=20), closes=now - timedelta(days=3, hours=2))
    _bank(folder, 2, "Due soon", opens=now - timedelta(days=5), closes=now + timedelta(days=2, hours=3))
    _bank(folder, 3, "No deadline")
    _bank(folder, 4, "Later", opens=now + timedelta(days=3, hours=5), closes=now + timedelta(days=10))
    app = make_live_app(tmp_path_factory.mktemp("timing") / "timing.sqlite3", [folder], TIMEZONE="Europe/Berlin")
    add_user(app, "tz@uni.example", "student", "Tim Zone")
    with LiveServer(app) as server:
        yield server
    from quizserver.extensions import db

    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def student_page(browser: Any, course: LiveServer) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, base_url=course.url)
    page = context.new_page()
    log_in(page, course.url, "tz@uni.example")
    yield page
    context.close()


BERLIN = re.compile(r"20\d\d-\d\d-\d\d \d\d:\d\d CES?T")  # the course's zone, named


def test_the_week_list_shows_each_deadline_in_course_time_with_a_relative_hint(student_page: Any) -> None:
    page = student_page
    page.goto("/weeks")
    cards = page.locator(".week-card")
    closed, due, free, later = (cards.nth(i) for i in range(4))
    expect(due.locator(".week-timing")).to_contain_text("closes in 2 days")
    assert BERLIN.search(due.locator(".week-timing time").inner_text())
    assert due.locator(".week-timing time").get_attribute("datetime").endswith(("+01:00", "+02:00"))
    expect(closed.locator(".week-timing")).to_contain_text("3 days ago")
    expect(closed.locator(".week-timing")).to_contain_text("practice only")
    expect(closed.locator(".badge")).to_have_text("Closed")
    expect(free.locator(".week-timing")).to_contain_text("No deadline: practice only")
    expect(later.locator(".week-timing")).to_contain_text("opens in 3 days")
    expect(later.locator(".badge")).to_have_text("Upcoming")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_week_page_shows_its_deadline(student_page: Any) -> None:
    page = student_page
    page.goto("/weeks/2")
    timing = page.locator(".quiz-header .week-timing")
    expect(timing).to_contain_text("Deadline")
    expect(timing).to_contain_text("closes in 2 days")
    assert BERLIN.search(timing.locator("time").inner_text())
    page.goto("/weeks/1")
    expect(page.locator(".quiz-header .week-timing")).to_contain_text("practice only")


@pytest.mark.parametrize("javascript", [True, False])
def test_show_solution_says_what_it_costs_and_asks_first(
    make_page: Any, site: Any, login: Any, javascript: bool
) -> None:
    page = make_page(viewport=PHONE, java_script_enabled=javascript)
    email, _ = site.new_student()
    login(page, email)
    page.goto("/weeks/1")
    question = page.locator("#q-outer")
    confirm = question.get_by_role("button", name="Yes, show the solution")
    expect(confirm).to_be_hidden()  # one tap does not cost the credit
    question.locator("summary", has_text="Show solution").click()
    expect(question.locator(".reveal-cost")).to_contain_text("stays at 0 of 2 points")
    expect(confirm).to_be_visible()
    expect(question.locator(".solution")).to_have_count(0)
    confirm.click()
    expect(question.locator(".solution")).to_be_visible()
    expect(question.locator(".reveal-confirm")).to_have_count(0)
    if not javascript:
        expect(page).to_have_url(re.compile(r"/weeks/1#q-outer$"))


@pytest.mark.parametrize("javascript", [True, False])
def test_the_graded_answer_stays_next_to_its_feedback(
    make_page: Any, site: Any, login: Any, javascript: bool
) -> None:
    page = make_page(viewport=PHONE, java_script_enabled=javascript)
    email, me = site.new_student()
    login(page, email)
    page.goto("/weeks/1")
    rows = key_of(site.app, me, 1, "outer")
    right = "\n".join(" ".join(typed(x) for x in row) for row in rows)  # rows on lines, no brackets
    box = page.locator("#q-outer-answer")
    box.fill(right)
    page.locator("#q-outer").get_by_role("button", name="Check").click()
    feedback = page.locator("#q-outer-feedback")
    expect(feedback).to_contain_text("Correct.")
    expect(feedback.locator(".your-answer code")).to_have_text(right)
    expect(box).to_have_value(right)
    page.reload()
    expect(page.locator("#q-outer-answer")).to_have_value(right)
    expect(page.locator("#q-outer-feedback .your-answer")).to_contain_text("Your answer")


def test_the_preview_and_the_grader_agree_on_rows_typed_without_brackets(page: Any, site: Any, login: Any) -> None:
    email, me = site.new_student()
    login(page, email)
    page.goto("/weeks/1")
    box = page.locator("#q-outer-answer")
    box.focus()
    page.keyboard.type("1 2 3")
    page.keyboard.press("Enter")  # quiz.js: a new row
    page.keyboard.type("4 5 6")
    expect(page.locator("#q-outer-preview .shape-status")).to_have_text("✔ You typed 2×3 matrix: the expected shape.")
    page.locator("#q-outer").get_by_role("button", name="Check").click()
    feedback = page.locator("#q-outer-feedback")
    expect(feedback.locator(".result")).to_be_visible()
    expect(feedback).not_to_contain_text("Could not read")  # graded, as the preview promised
    box.fill("1, 2; 3, 4")
    expect(page.locator("#q-outer-preview .shape-status")).to_contain_text("the answer is 2×3")
    expect(page.locator("#q-outer-preview .shape-status")).to_contain_text("without using an attempt")
    page.locator("#q-outer").get_by_role("button", name="Check").click()
    expect(feedback).to_contain_text("Not graded")
    expect(feedback).to_contain_text("Expected 2x3, got 2x2")
    expect(feedback).to_contain_text("did not use up an attempt")


def test_every_answer_box_links_to_the_answer_syntax_help(page: Any, site: Any, login: Any) -> None:
    email, _ = site.new_student()
    login(page, email)
    page.goto("/weeks/1")
    boxes = page.locator(".answer-form [name=answer]").count()
    links = page.locator(".syntax-help a")
    assert boxes > 0 and links.count() == boxes
    href = links.first.get_attribute("href")
    page.goto(href)
    expect(page.locator("h1")).to_have_text("How to type answers")
    expect(page.locator("#array-examples")).to_contain_text("[[1, 2], [3, 4]]")
