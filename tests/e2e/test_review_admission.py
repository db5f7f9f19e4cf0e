"""The Review and Admission pages in Debian's chromium: used as a student and as staff, checked with axe-core
at desktop and phone width, and photographed for docs/screenshots/ (review.png, admission.png).

The pictures are written where QUIZ_SCREENSHOT_DIR points, else into the test's temporary folder:

    QUIZ_SCREENSHOT_DIR=docs/screenshots pytest tests/e2e/test_review_admission.py

The course: weeks 1-3 of questions/, weeks 1 and 2 closed, week 3 closing in three days, a synthetic
cohort of 14 students, at most one failed week allowed.
"""
from __future__ import annotations

import csv
import io
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from quizserver.catalog import served_bank
from quizserver.config import PROJECT_ROOT
from quizserver.demo import create_demo_cohort
from quizserver.extensions import db
from quizserver.grading import format_answer
from quizserver.models import QuestionState, ReviewItem, User
from quizserver.variants import ensure_states
from tests.e2e.live import LiveServer, add_user, log_in, make_live_app
from tests.e2e.test_accessibility import AXE, AXE_RUN, TAGS, WCAG

pytestmark = pytest.mark.e2e

STUDENT = "ada.lovelace@uni.example"
STAFF = "staff@uni.example"
MISSED = 3  # questions Ada leaves unsolved in the closed weeks
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1100, "height": 900}


@dataclass
class Course:
    url: str
    app: Any
    browser: Any
    student_id: int


def _dated_banks(folder: Path, now: datetime) -> list[Path]:
    """Weeks 1-3 of the shipped banks with deadlines: two closed weeks and one closing in three days."""
    closes = {1: now - timedelta(days=9), 2: now - timedelta(days=2), 3: now + timedelta(days=3)}
    for shared in (PROJECT_ROOT / "questions").iterdir():  # figures the banks name by relative path
        if shared.is_dir():
            shutil.copytree(shared, folder / shared.name)
    paths = []
    for week, moment in closes.items():
        (source,) = sorted(PROJECT_ROOT.glob(f"questions/week0{week}-*.yaml"))
        opens = moment - timedelta(days=7)
        text = source.read_text().replace(
            "\nquestions:", f"\nopens: {opens.isoformat()}\ncloses: {moment.isoformat()}\nquestions:", 1
        )
        path = folder / source.name
        path.write_text(text)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Course]:
    """Its own server and dated banks, in the run's one Chromium (tests/e2e/conftest.py)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    folder = tmp_path_factory.mktemp("review-banks")
    now = datetime.now(UTC).replace(hour=16, minute=0, second=0, microsecond=0)
    app = make_live_app(
        folder / "course.sqlite3", _dated_banks(folder, now), ALLOWED_FAILS=1, PASS_THRESHOLD=50.0,
        COURSE_TITLE="Introduction to Deep Learning",
    )  # fmt: skip
    with app.app_context():
        create_demo_cohort(14, seed=7, variants=3, now=now)
        db.session.commit()
    student_id = add_user(app, STUDENT, "student", "Ada Lovelace")
    add_user(app, STAFF, "staff", "Sam Staff")
    with app.app_context():  # Ada solved all but three questions of the closed weeks at the first try
        user = db.session.get_one(User, student_id)
        states = [s for week in (1, 2) for s in ensure_states(user, served_bank(week)).states.values()]
        for state in states[MISSED:]:
            state.credit, state.attempts, state.attempts_to_correct = 1.0, 1, 1
            state.solved_at = now - timedelta(days=10)
        db.session.commit()
    with LiveServer(app) as server:
        yield Course(server.url, app, browser, student_id)
    with app.app_context():
        db.engine.dispose()


def _page(course: Course, email: str, viewport: dict[str, int]) -> Any:
    context = course.browser.new_context(viewport=viewport, base_url=course.url, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    log_in(page, course.url, email)
    return page


def _axe_failures(page: Any) -> list[str]:
    """WCAG A/AA violations on the loaded page, and sideways scrolling at phone width."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(AXE_RUN, TAGS)
    failing = [f"{v['id']}: {v['nodes'][:3]}" for v in found if WCAG & set(v["tags"])]
    if page.viewport_size["width"] <= PHONE["width"]:
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if wide > 0:
            failing.append(f"the page scrolls sideways by {wide}px")
    return failing


def _key(course: Course, card_id: str) -> Any:
    """The key of the numbers waiting on a review card (its id is r-<review item id>)."""
    with course.app.app_context():
        item = db.session.get_one(ReviewItem, int(card_id.removeprefix("r-")))
        assert item.variant is not None
        return item.variant.answer


def _shot(page: Any, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("QUIZ_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)


def test_a_student_reviews_a_missed_question(course: Course, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = _page(course, STUDENT, DESKTOP)
    page.goto("/weeks")
    expect(page.locator(".review-due")).to_contain_text(f"Due today: {MISSED}")
    expect(page.locator(".admission")).to_contain_text("Exam admission: reached. 0 of 1 allowed fails used.")
    assert not _axe_failures(page), _axe_failures(page)
    page.screenshot(path=str(tmp_path / "weeks.png"))  # for a look when the test fails; not a docs picture
    page.get_by_role("link", name="Review", exact=True).first.click()
    expect(page.get_by_role("heading", name="Due now")).to_be_visible()
    cards = page.locator("li.review-card")
    expect(cards).to_have_count(MISSED)
    typed = [card for card in (cards.nth(i) for i in range(MISSED)) if card.locator("[name=answer]").count()]
    first = typed[0] if typed else cards.first
    first_id = first.get_attribute("id")
    if typed:  # a classic slip the grader recognises: the sign flipped
        first.locator("[name=answer]").fill(format_answer(-np.asarray(_key(course, first_id), dtype=np.float64)))
    else:
        first.locator("[name=choice]").first.check()
    first.get_by_role("button", name="Check").click()
    answered = page.locator(f"#{first_id}")
    expect(answered.locator(".result")).to_be_visible()
    expect(answered.locator(".solution")).to_be_visible()
    expect(page.get_by_role("heading", name="Answered today")).to_be_visible()
    assert not _axe_failures(page), _axe_failures(page)
    _shot(page, "review.png", tmp_path)
    with course.app.app_context():
        items = db.session.scalars(select(ReviewItem).where(ReviewItem.user_id == course.student_id)).all()
        assert len(items) == MISSED and sum(item.reviews for item in items) == 1
        scores = db.session.scalars(
            select(QuestionState.credit).where(QuestionState.user_id == course.student_id)
        ).all()
        assert sorted(scores)[:MISSED] == [0.0] * MISSED  # practice never changes a week's score

    phone = _page(course, STUDENT, PHONE)
    for path in ("/weeks", "/review"):
        phone.goto(path)
        assert not _axe_failures(phone), (path, _axe_failures(phone))
    phone.context.close()
    page.context.close()


def test_staff_read_the_admission_page_and_its_csv(course: Course, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = _page(course, STAFF, {"width": 1280, "height": 900})
    page.get_by_role("link", name="Admission", exact=True).click()
    expect(page.get_by_role("heading", name="Exam admission")).to_be_visible()
    table = page.locator("table.admission-table tbody tr")
    expect(table).to_have_count(15)  # 14 synthetic students and Ada
    assert not _axe_failures(page), _axe_failures(page)
    _shot(page, "admission.png", tmp_path)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert len(rows) == 15
    statuses = {row["status"] for row in rows}
    assert statuses <= {"admitted", "on track", "at risk", "not admitted"}
    shown = page.locator("table.admission-table tbody tr td:nth-child(2)").all_inner_texts()
    assert sorted(s.lower() for s in shown) == sorted(row["status"] for row in rows)

    page.goto("/staff/weeks/1")
    expect(page.locator(".review-summary")).to_contain_text("Review after the week closed")

    phone = _page(course, STAFF, PHONE)
    phone.goto("/staff/admission")
    assert not _axe_failures(phone), _axe_failures(phone)
    phone.context.close()
    page.context.close()
