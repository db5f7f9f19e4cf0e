"""Keyboard only: a student logs in, answers every question type and reveals a solution without a click.

Focus moves only by Tab, Shift+Tab and arrow keys; forms are sent with Enter, Space or Ctrl+Enter. The
accessible role and name of each focus stop come from Chromium's accessibility tree (DevTools protocol).
"""
from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.live import PASSWORD
from tests.web.helpers import key_of, typed

try:
    from playwright.sync_api import expect
except ImportError:  # the `site` fixture then skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

FOCUSED = """() => {
  const a = document.activeElement;
  if (!a || a === document.body || a === document.documentElement) return null;
  const label = a.labels && a.labels.length ? a.labels[0].textContent : '';
  window.tabStops = window.tabStops || new WeakMap();
  const seen = window.tabStops.has(a);
  window.tabStops.set(a, true);
  return {seen: seen, tag: a.tagName.toLowerCase(), id: a.id, type: a.type || '', label: label.trim(),
          question: (a.closest('li.question') || {}).id || '', form: a.form ? a.form.getAttribute('action') : '',
          html: a.outerHTML.slice(0, 120)};
}"""
MAX_STOPS = 200


class Keyboard:
    """Moves focus with keys only and reads what has it."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Accessibility.enable")

    def focused(self) -> dict[str, str] | None:
        return self.page.evaluate(FOCUSED)

    def role_and_name(self) -> tuple[str, str]:
        handle = self.cdp.send("Runtime.evaluate", {"expression": "document.activeElement"})
        nodes = self.cdp.send(
            "Accessibility.getPartialAXTree", {"objectId": handle["result"]["objectId"], "fetchRelatives": False}
        )["nodes"]
        node = nodes[0]
        return node.get("role", {}).get("value", ""), node.get("name", {}).get("value", "").strip()

    def tab_to(self, wanted: Any, *, backwards: bool = False) -> dict[str, str]:
        """Tab (or Shift+Tab) until the focused element matches `wanted(focused)`."""
        for _ in range(MAX_STOPS):
            self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
            now = self.focused()
            if now and wanted(now):
                return now
        raise AssertionError("Tab never reached the element")


def answer_box(question: str) -> Any:
    return lambda f: f["id"] == f"q-{question}-answer"


def check_button(question: str) -> Any:
    return lambda f: f["question"] == f"q-{question}" and f["tag"] == "button" and f["form"].endswith("/answer")


def test_a_student_answers_every_question_type_with_the_keyboard_only(make_page, site):
    page = make_page(viewport={"width": 1280, "height": 900})
    keys = Keyboard(page)
    email, me = site.new_student()

    # A wrong password: focus lands on the error summary, and both fields say they are invalid.
    page.goto("/login")
    keys.tab_to(lambda f: f["id"] == "email")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type("not the password")
    page.keyboard.press("Enter")
    expect(page.locator("#error-summary")).to_be_focused()
    assert keys.role_and_name()[0] == "alert"
    for field in ("#email", "#password"):
        expect(page.locator(field)).to_have_attribute("aria-invalid", "true")
        expect(page.locator(field)).to_have_attribute("aria-describedby", "form-error")
    expect(page.locator("#form-error")).to_have_text("Wrong email or password.")

    keys.tab_to(lambda f: f["id"] == "email")  # the email typed is kept
    keys.tab_to(lambda f: f["id"] == "password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/weeks")
    keys.tab_to(lambda f: f["tag"] == "a" and "/weeks/1" in f["html"])
    page.keyboard.press("Enter")
    page.wait_for_url("**/weeks/1")

    # Numeric, wrong first: the box is marked invalid and described by the feedback, focus stays put.
    keys.tab_to(answer_box("scale"))
    page.keyboard.type(typed(-key_of(site.app, me, 1, "scale")))
    page.keyboard.press("Enter")
    box = page.locator("#q-scale-answer")
    expect(page.locator("#q-scale-feedback")).to_contain_text("Not correct")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_attribute("aria-describedby", "q-scale-feedback")
    expect(box).to_be_focused()
    expect(page.locator("#q-scale-feedback")).to_have_attribute("aria-live", "polite")

    # Reveal its worked solution: Tab on to Show solution, which first says what it costs (Enter opens it),
    # then on to the confirming button; the solution takes focus when shown.
    keys.tab_to(lambda f: f["question"] == "q-scale" and f["tag"] == "summary")
    page.keyboard.press("Enter")
    expect(page.locator("#q-scale-reveal-cost")).to_contain_text("stays at 0 of 1 point")
    keys.tab_to(lambda f: f["question"] == "q-scale" and f["form"].endswith("/reveal"))
    page.keyboard.press("Enter")
    solution = page.locator("#q-scale-solution")
    expect(solution).to_be_visible()
    expect(solution).to_be_focused()
    assert keys.role_and_name() == ("region", "Worked solution to question 1")
    keys.tab_to(answer_box("scale"), backwards=True)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(typed(key_of(site.app, me, 1, "scale")))
    page.keyboard.press("Enter")
    expect(page.locator("#q-scale-feedback")).to_contain_text("Correct.")
    expect(page.locator("#q-scale-answer")).not_to_have_attribute("aria-invalid", "true")

    # Matrix: a plain Enter starts a new row, Ctrl+Enter checks.
    keys.tab_to(answer_box("outer"))
    rows = key_of(site.app, me, 1, "outer")
    page.keyboard.type("[" + " ".join(typed(x) for x in rows[0]))
    page.keyboard.press("Enter")
    page.keyboard.type(" ".join(typed(x) for x in rows[1]) + "]")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#q-outer-feedback")).to_contain_text("Correct.")

    # Integer: Tab on to the Check button and press Space.
    keys.tab_to(answer_box("count"))
    page.keyboard.type(typed(key_of(site.app, me, 1, "count")))
    keys.tab_to(check_button("count"))
    page.keyboard.press("Space")
    expect(page.locator("#q-count-feedback")).to_contain_text("Correct.")

    # Single choice: arrow keys move through the radio group and select.
    now = keys.tab_to(lambda f: f["question"] == "q-relu" and f["type"] == "radio")
    for _ in range(3):
        if now["label"] == "ReLU":
            break
        page.keyboard.press("ArrowDown")
        now = keys.focused() or {}
    assert now["label"] == "ReLU"
    keys.tab_to(check_button("relu"))
    page.keyboard.press("Enter")
    expect(page.locator("#q-relu-feedback")).to_contain_text("Correct.")

    # Multiple choice: Space ticks each right box.
    for _ in range(3):
        now = keys.tab_to(lambda f: f["question"] == "q-convex" and f["type"] == "checkbox")
        if now["label"] in ("Squared error", "Absolute error"):
            page.keyboard.press("Space")
    keys.tab_to(check_button("convex"))
    page.keyboard.press("Enter")
    expect(page.locator("#q-convex-feedback")).to_contain_text("Correct.")
    expect(page.locator("#week-score")).to_contain_text("of 5 solved")


def test_every_tab_stop_of_the_week_page_has_a_name(make_page, site, login):
    page = make_page(viewport={"width": 1280, "height": 900})
    keys = Keyboard(page)
    email, me = site.new_student()
    login(page, email)
    page.goto("/weeks/1")
    # Two solutions shown and some feedback, so those parts of the page are walked too.
    for question in ("scale", "relu"):
        page.locator(f"#q-{question} summary", has_text="Show solution").click()  # it says the cost first
        page.locator(f"#q-{question}").get_by_role("button", name="Yes, show the solution").click()
        expect(page.locator(f"#q-{question}-solution")).to_be_visible()
    page.reload()
    names = [page.locator(".solution").nth(i).get_attribute("aria-label") for i in range(2)]
    assert len(set(names)) == 2, names

    stops: list[tuple[str, str, str]] = []
    for _ in range(MAX_STOPS):
        page.keyboard.press("Tab")
        now = keys.focused()
        if now is None:
            break
        if now["seen"]:
            break  # round to the start again
        role, name = keys.role_and_name()
        stops.append((role, name, now["html"]))
    assert len(stops) > 20, stops  # the walk went through the questions
    unnamed = [stop for stop in stops if not stop[1]]
    assert not unnamed, f"{len(unnamed)} tab stops without an accessible name: {unnamed}"


def test_every_formula_on_the_week_page_has_a_name_in_the_browser(page, site, login):
    email, _ = site.new_student()
    login(page, email)
    page.goto("/weeks/1")
    formulas = page.locator("math")
    count = formulas.count()
    assert count > 5
    keys = Keyboard(page)
    tree = keys.cdp.send("Accessibility.getFullAXTree")["nodes"]
    maths = [n for n in tree if n.get("role", {}).get("value") in ("math", "MathMLMath")]
    assert len(maths) == count
    assert all(n.get("name", {}).get("value", "").strip() for n in maths), maths[:3]
    for i in range(count):
        assert (formulas.nth(i).get_attribute("alttext") or "").strip()
    # the TeX source is there for tools that read it, but never shown
    expect(page.locator("annotation").first).to_be_hidden()
