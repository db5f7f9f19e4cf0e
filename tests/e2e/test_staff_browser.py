"""Staff pages in Chromium at a course's real size: 12 weeks, 300 students, deadlines in Europe/Berlin."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.cohort import INSTRUCTOR, STAFF, STUDENTS, make_cohort_app
from tests.e2e.live import LiveServer, log_in

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[LiveServer]:
    app = make_cohort_app(tmp_path_factory.mktemp("cohort"))
    with LiveServer(app) as server:
        yield server
    from quizserver.extensions import db

    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def open_as(browser: Any, course: LiveServer) -> Iterator[Any]:
    contexts: list[Any] = []

    def factory(email: str, width: int = 1280, height: int = 900) -> Any:
        context = browser.new_context(base_url=course.url, viewport={"width": width, "height": height})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        log_in(page, course.url, email)
        return page

    yield factory
    for context in contexts:
        context.close()


def box(page: Any, selector: str) -> dict[str, float]:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, selector
    return found


def test_staff_land_on_the_gradebook_and_the_header_is_one_row(open_as: Any) -> None:
    for email in (STAFF, INSTRUCTOR):
        page = open_as(email)
        assert page.url.endswith("/staff/")
        tops = page.eval_on_selector_all(
            ".site-header .brand, .site-header .nav-links li, .site-header .logout",
            "els => els.map(e => Math.round(e.getBoundingClientRect().top))",
        )
        assert max(tops) - min(tops) <= 8, f"the header of {email} wraps at 1280 px: {tops}"
        expect(page.get_by_role("link", name="My progress")).to_have_count(0)  # no score of 0 for staff


def test_gradebook_of_300_students_uses_the_width_and_stays_compact(open_as: Any) -> None:
    page = open_as(STAFF)
    scroller = page.locator(".gradebook-scroll")
    headers = page.locator(".gradebook thead th")
    expect(headers).to_have_count(1 + 12 + 2)  # student, W1..W12, total, last activity
    expect(page.locator(".gradebook caption")).to_contain_text(f"Students 1–100 of {STUDENTS}")
    # every column fits the 1280 px window: nothing to scroll sideways
    widths = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] <= widths[1] + 1, widths
    last = box(page, ".gradebook thead th:last-child")
    assert last["x"] + last["width"] <= 1280
    # one line per student
    heights = page.eval_on_selector_all(
        ".gradebook tbody tr", "rows => rows.slice(0, 50).map(r => r.getBoundingClientRect().height)"
    )
    assert max(heights) <= 34, max(heights)
    # each score cell shows its number; the colour band differs between low and high scores
    cells = page.locator(".gradebook tbody td.score:not(.total)")
    assert cells.count() > 500
    colours = page.evaluate(
        """() => {
          const cell = band => document.querySelector(`.gradebook tbody td.score.${band}:not(.total)`);
          const low = cell('s0'), high = cell('s4');
          return [low && getComputedStyle(low).backgroundColor, high && getComputedStyle(high).backgroundColor,
                  low && low.textContent, high && high.textContent];
        }"""
    )
    assert colours[0] and colours[1] and colours[0] != colours[1]
    assert re.fullmatch(r"\d+%", colours[2]) and re.fullmatch(r"\d+%", colours[3])
    # the header row stays in view, at the top of the table's box, while the rows scroll under it
    scroller.evaluate("e => e.scrollTop = 1500")
    page.wait_for_function("document.querySelector('.gradebook-scroll').scrollTop > 1000")
    head = box(page, ".gradebook thead th:nth-child(2)")
    frame = box(page, ".gradebook-scroll")
    assert frame["y"] <= head["y"] <= frame["y"] + 2, (head, frame)
    assert frame["height"] <= 900  # the box fits in the window, so its header row is never out of sight
    # and the next page holds the next hundred
    page.get_by_role("link", name="Next ›").click()
    expect(page.locator(".gradebook caption")).to_contain_text(f"Students 101–200 of {STUDENTS}")


def test_gradebook_first_column_stays_while_scrolling_sideways_on_a_phone(open_as: Any) -> None:
    page = open_as(STAFF, width=375, height=800)
    name_before = box(page, ".gradebook tbody th")
    page.locator(".gradebook-scroll").evaluate("e => e.scrollLeft = 600")
    page.wait_for_function("document.querySelector('.gradebook-scroll').scrollLeft > 300")
    name_after = box(page, ".gradebook tbody th")
    assert abs(name_after["x"] - name_before["x"]) <= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1  # only the box scrolls


def test_attempts_per_day_shows_every_day_dated_ticks_and_the_deadline(open_as: Any) -> None:
    page = open_as(STAFF)
    page.goto("/staff/weeks/3")
    chart = page.locator("figure svg").nth(1)
    days = chart.locator("circle title").all_text_contents()
    dates = [d.split(":")[0] for d in days]
    assert len(dates) >= 13  # from opening to deadline, two weeks
    from datetime import date

    parsed = [date.fromisoformat(d) for d in dates]
    assert all((b - a).days == 1 for a, b in zip(parsed, parsed[1:], strict=False))  # no day skipped
    assert any(d.endswith(": 0") for d in days) or len(days) == len({d for d in days})
    ticks = chart.locator("text.chart-tick").all_text_contents()
    dated = [t for t in ticks if re.fullmatch(r"[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2}", t)]
    assert 3 <= len(dated) <= 8, dated
    expect(chart.locator("line.chart-marker")).to_have_count(1)
    expect(chart.locator("text.chart-marker-label")).to_contain_text(re.compile(r"deadline .* 23:59 CES?T"))
    expect(page.locator("p.meta")).to_contain_text("Deadline")


def test_item_analysis_flags_few_keys_and_a_drill_down_is_folded(open_as: Any) -> None:
    page = open_as(INSTRUCTOR)
    flags = 0
    for week in (1, 5, 9):
        page.goto(f"/staff/weeks/{week}/items")
        flags += page.locator("td .flag", has_text="likely wrong key").count()
    assert flags <= 1
    page.goto("/staff/")
    page.locator(".gradebook tbody th a").first.click()
    expect(page.locator("details.history-week")).not_to_have_count(0)
    assert page.locator("details[open]").count() == 0
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 4000, height  # folded: a page, not a 35,000 px table
    week = page.locator("details.history-week").first
    week.locator("summary").first.click()
    question = week.locator("details.history-question").first
    question.locator("summary").click()
    expect(question.get_by_role("link", name="preview this variant").first).to_be_visible()
    question.get_by_role("link", name="preview this variant").first.click()
    expect(page).to_have_url(re.compile(r"/instructor/preview/\d+/[\w-]+\?seed=\d+"))
    expect(page.locator("h1")).to_be_visible()


def test_a_student_meets_a_403_written_for_people(browser: Any, course: LiveServer) -> None:
    from tests.e2e.live import add_user

    add_user(course.app, "curious@uni.example", "student", "Curious Student")
    context = browser.new_context(base_url=course.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, course.url, "curious@uni.example")
    response = page.goto("/staff/")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("This page is not available to your account")
    expect(page.locator("main")).to_contain_text("course staff")
    expect(page.locator("main")).not_to_contain_text("permission to access the requested resource")
    context.close()
