"""Students, staff and instructors in a real Chromium, against a live server on 127.0.0.1."""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs

import numpy as np
import pytest
from sqlalchemy import select

from quizserver.accounts import find_user
from quizserver.catalog import served_bank
from quizserver.extensions import db
from quizserver.models import Attempt, PoolVariant
from tests.e2e.live import ENROLLMENT_KEY, PASSWORD
from tests.web.helpers import key_of, typed

try:
    from playwright.sync_api import expect
except ImportError:  # the `site` fixture then skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e


def user_id(site: Any, email: str) -> int:
    with site.app.app_context():
        user = find_user(email)
        assert user is not None, email
        found = user.id
        db.session.remove()
        return found


def progress_value(page: Any) -> float:
    return float(page.locator("#week-progress progress").get_attribute("value"))


def submit(page: Any, qid: str, text: str) -> None:
    question = page.locator(f"#q-{qid}")
    question.get_by_label("Your answer").fill(text)
    question.get_by_role("button", name="Check").click()


def test_student_signs_up_answers_wrong_invalid_right_and_reveals(page, site):
    page.goto("/signup")
    page.get_by_label("Email").fill("ada@uni.example")
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label("Enrollment key").fill(ENROLLMENT_KEY)
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url(re.compile(r"/login$"))  # sign-up does not say whether the email was new
    page.get_by_label("Email").fill("ada@uni.example")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/weeks$"))
    page.get_by_role("link", name="Week 1: Test week").click()
    expect(page.locator("h1")).to_have_text("Week 1: Test week")
    assert progress_value(page) == 0
    me = user_id(site, "ada@uni.example")

    # Wrong: the sign flipped, and the feedback says so.
    submit(page, "scale", typed(-key_of(site.app, me, 1, "scale")))
    feedback = page.locator("#q-scale-feedback")
    expect(feedback).to_contain_text("Not correct")
    expect(feedback).to_contain_text("sign")
    expect(feedback.locator(".result-icon")).to_have_text("✘")

    # Unreadable: a message, and the attempt is not used up.
    attempts = page.locator("#q-count .attempts")
    expect(attempts).to_contain_text("2 of 2 attempts left")
    submit(page, "count", "[1, 2")
    expect(page.locator("#q-count-feedback")).to_contain_text("Could not read your answer")
    expect(page.locator("#q-count-feedback")).to_contain_text("closing ]")
    expect(page.locator("#q-count-feedback")).to_contain_text("did not use up an attempt")
    expect(attempts).to_contain_text("2 of 2 attempts left")
    assert progress_value(page) == 0

    # Right: a matrix answer, and the week's score and progress bar move.
    submit(page, "outer", typed(key_of(site.app, me, 1, "outer")))
    expect(page.locator("#q-outer-feedback")).to_contain_text("Correct.")
    expect(page.locator("#week-score")).to_contain_text("2.0 / 6")
    expect(page.locator("#week-score")).to_contain_text("1 of 5 solved")
    assert progress_value(page) == 33

    # Reveal another question's worked solution.
    relu = page.locator("#q-relu")
    relu.locator("summary", has_text="Show solution").click()
    relu.get_by_role("button", name="Yes, show the solution").click()
    expect(relu.locator(".solution")).to_contain_text("ReLU grows without bound")
    expect(relu.locator(".reveal-confirm")).to_have_count(0)

    # All of it survives a reload: it was stored, not only shown.
    page.reload()
    expect(page.locator("#q-outer-feedback")).to_contain_text("Correct.")
    expect(page.locator("#q-relu .solution")).to_be_visible()
    assert progress_value(page) == 33


def test_a_submit_keeps_answers_typed_into_other_questions(page, site, login):
    email, me = site.new_student()
    login(page, email)
    page.goto("/weeks/1")
    page.evaluate("window.pageWasNotReloaded = true")
    page.locator("#q-outer-answer").fill("[1 2 3; 4 5 6]")
    page.locator("#q-count-answer").fill("17")
    page.locator("#q-relu").get_by_label("Sigmoid").check()

    wrong = typed(-key_of(site.app, me, 1, "scale"))
    page.locator("#q-scale-answer").fill(wrong)
    page.locator("#q-scale-answer").press("Enter")  # the keyboard way to check an answer
    expect(page.locator("#q-scale-feedback")).to_contain_text("Not correct")

    assert page.evaluate("window.pageWasNotReloaded") is True
    expect(page.locator("#q-outer-answer")).to_have_value("[1 2 3; 4 5 6]")
    expect(page.locator("#q-count-answer")).to_have_value("17")
    expect(page.locator("#q-relu").get_by_label("Sigmoid")).to_be_checked()
    # The answer comes back for correcting, focus stays in the question, and the result is announced.
    expect(page.locator("#q-scale-answer")).to_have_value(wrong)
    assert page.evaluate("document.activeElement.closest('li.question').id") == "q-scale"
    expect(page.locator("#quiz-status")).to_contain_text("Not correct")
    expect(page.locator("#week-score")).to_contain_text("0.0 / 6")

    # Reveal, then new numbers to practise: the same in-place update, focus kept inside the question.
    scale = page.locator("#q-scale")
    scale.locator("summary", has_text="Show solution").click()
    scale.get_by_role("button", name="Yes, show the solution").click()
    expect(scale.locator(".solution")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "q-scale-solution"
    scale.get_by_role("button", name="New numbers to practise").click()
    expect(page.locator("#quiz-status")).to_contain_text("New numbers")
    expect(scale.locator(".feedback .result")).to_have_count(0)  # the feedback was for the old numbers
    expect(scale.locator("#q-scale-answer")).to_have_value("")
    expect(page.locator("#q-outer-answer")).to_have_value("[1 2 3; 4 5 6]")
    assert page.evaluate("window.pageWasNotReloaded") is True


def test_answers_are_sent_url_encoded_and_stored_as_typed(page, site, login):
    """quiz.js sends the form's fields URL-encoded, as the form posts without JavaScript; what needs escaping in
    that encoding (spaces, ; & = + %, a non-ASCII minus) arrives as typed."""
    email, me = site.new_student()
    login(page, email)
    page.goto("/weeks/1")
    typed_text = "[1 2 3; 4 5 6] + 5% & x=−1"
    with page.expect_request(lambda sent: sent.url.endswith("/weeks/1/outer/answer")) as posted:
        submit(page, "outer", typed_text)
    request = posted.value
    assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    fields = parse_qs(request.post_data or "", keep_blank_values=True)
    assert fields["answer"] == [typed_text]
    assert set(fields) == {"csrf_token", "token", "answer"}
    expect(page.locator("#q-outer-feedback")).to_contain_text("Could not read your answer")
    with site.app.app_context():
        stored = db.session.scalars(select(Attempt.raw_answer).where(Attempt.user_id == me)).all()
        db.session.remove()
    assert stored == [typed_text]


def test_matrix_box_previews_the_shape_as_you_type(page, site, login):
    email, _ = site.new_student()
    login(page, email)
    page.goto("/weeks/1")
    box = page.locator("#q-outer-answer")
    preview = page.locator("#q-outer-preview")
    status = preview.locator(".shape-status")
    spoken = page.locator("#q-outer-preview-live")
    expect(preview).to_be_hidden()
    assert "q-outer-preview" in box.get_attribute("aria-describedby").split()
    assert spoken.get_attribute("aria-live") == "polite"

    box.focus()
    page.keyboard.type("[1 2 3; 4 5 6]")
    expect(status).to_have_text("✔ You typed 2×3 matrix: the expected shape.")
    expect(preview).to_have_attribute("data-state", "match")
    expect(preview.locator("tr")).to_have_count(2)
    expect(preview.locator("tr").first.locator("td")).to_have_text(["1", "2", "3"])
    expect(spoken).to_have_text("✔ You typed 2×3 matrix: the expected shape.")  # once typing pauses

    box.fill("[[1, 2], [3, 4], [5, 6]]")
    expect(status).to_contain_text("You typed 3×2 matrix; the answer is 2×3 (is it transposed?)")
    expect(preview).to_have_attribute("data-state", "mismatch")

    box.fill("[1 2 3\n4 5")
    expect(status).to_contain_text("brackets do not match")
    box.fill("[1 2 3; 4 5]")
    expect(status).to_contain_text("Row 2 has 2 entries, row 1 has 3")
    box.fill("")
    expect(preview).to_be_hidden()

    # Ctrl+Enter checks the answer from the keyboard; the server has the last word on what was typed.
    box.fill("[[1, 2, 3], [4, 5, 6]]")
    box.press("Control+Enter")
    expect(page.locator("#q-outer-feedback .result")).to_be_visible()
    expect(page.locator("#q-outer-preview .shape-status")).to_contain_text("2×3 matrix")


def test_without_javascript_the_forms_post_and_come_back_to_the_question(make_page, site, login):
    page = make_page(java_script_enabled=False)
    email, me = site.new_student()
    login(page, email)
    page.goto("/weeks/1")
    expect(page.locator("#q-outer-preview")).to_be_hidden()
    submit(page, "outer", typed(np.array(key_of(site.app, me, 1, "outer")).T))
    expect(page).to_have_url(re.compile(r"/weeks/1#q-outer$"))
    expect(page.locator("#q-outer-feedback")).to_contain_text("transpose")
    page.locator("#q-count summary", has_text="Show solution").click()  # it says the cost first
    page.locator("#q-count").get_by_role("button", name="Yes, show the solution").click()
    expect(page).to_have_url(re.compile(r"/weeks/1#q-count$"))
    expect(page.locator("#q-count .solution")).to_be_visible()


def test_math_is_mathml_and_the_page_fits_a_phone(make_page, site, login, requests_seen):
    page = make_page(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True)
    email, me = site.new_student()
    login(page, email)
    page.goto("/weeks/1")
    maths = page.locator("math")
    assert maths.count() >= 5
    box = maths.first.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    # MathML is laid out by the browser itself, with a math font served by the app: no script, no CDN.
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0
    page.evaluate("document.fonts.ready.then(() => true)")
    bracket, table = page.evaluate(
        "(() => { const t = document.querySelector('#q-outer .question-text mtable');"
        " return [t.previousElementSibling.getBoundingClientRect().height, t.getBoundingClientRect().height]; })()"
    )
    assert bracket >= 0.8 * table, f"the [ of a column vector should stretch: {bracket} vs {table}"

    submit(page, "outer", "[1 2; 3 4]")
    expect(page.locator("#q-outer-feedback")).to_contain_text("Expected 2x3")
    page.locator("#q-scale summary", has_text="Show solution").click()  # it says the cost first
    page.locator("#q-scale").get_by_role("button", name="Yes, show the solution").click()
    expect(page.locator("#q-scale .solution math").first).to_be_visible()
    no_sideways_scroll = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(no_sideways_scroll), page.evaluate("document.documentElement.scrollWidth")

    # A visible focus ring for keyboard users.
    page.locator("#q-count-answer").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focused not in ("", "none")

    assert any(url.endswith("/static/quiz.js") for url in requests_seen)
    assert any(url.endswith("/static/style.css") for url in requests_seen)
    assert requests_seen.foreign(site.url) == []


def test_instructor_previews_a_pool_variant_and_grades_an_answer(page, site, login):
    login(page, site.instructor)
    page.goto("/instructor/preview/1/scale")
    page.get_by_label("Variant").fill("2")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"variant=2"))
    expect(page.locator("main math").first).to_be_visible()
    with site.app.app_context():
        key = db.session.scalar(
            select(PoolVariant.answer).where(
                PoolVariant.bank_version_id == served_bank(1).version.id,
                PoolVariant.question_id == "scale",
                PoolVariant.slot == 1,
            )
        )
        db.session.remove()
    expect(page.locator("#preview-key")).to_have_text(typed(key))

    page.get_by_label("Try an answer").fill(typed(-key))
    page.get_by_role("button", name="Grade").click()
    expect(page.locator("#trial-result")).to_contain_text("incorrect")
    expect(page.locator("#trial-result")).to_contain_text("sign")
    page.get_by_label("Try an answer").fill(typed(key))
    page.get_by_role("button", name="Grade").click()
    expect(page.locator("#trial-result")).to_contain_text("correct, score 1")
    expect(page).to_have_url(re.compile(r"variant=2"))


def test_staff_gradebook_and_item_analysis_render_charts(page, site, login):
    email, me = site.new_student("Grace Hopper")
    login(page, email)
    page.goto("/weeks/1")
    submit(page, "scale", typed(key_of(site.app, me, 1, "scale")))
    expect(page.locator("#q-scale-feedback")).to_contain_text("Correct.")
    page.context.clear_cookies()

    login(page, site.staff)
    page.get_by_role("link", name="Gradebook").click()
    expect(page.locator("main table")).to_contain_text("Grace Hopper")  # compact rows: the e-mail is its title
    expect(page.locator("main table").get_by_role("link", name="Grace Hopper")).to_have_attribute("title", email)
    for path, heading in (("/staff/weeks/1", "Week 1"), ("/staff/weeks/1/items", "item analysis")):
        page.goto(path)
        expect(page.locator("h1")).to_contain_text(heading)
        charts = page.locator("main svg")
        expect(charts.first).to_be_visible()
        drawn = page.evaluate(
            "Array.from(document.querySelectorAll('main svg')).map("
            "s => s.querySelectorAll('rect, path, circle, line, polyline').length)"
        )
        assert drawn and min(drawn) > 0, (path, drawn)
        box = charts.first.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50, (path, box)
