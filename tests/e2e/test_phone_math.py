"""Every shipped week at phone width (375 px) with every worked solution shown: no formula is cut off.

A formula may be wider than the screen only inside a box that scrolls sideways and shows it (shadows at the
edges where more is hidden, and in words); a clipped formula, or one that pushes the page sideways, fails.
At desktop width no formula that fits is a Tab stop (only an overflowing scroll box, named, may be).
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quizserver.accounts import find_user
from quizserver.catalog import served_banks
from quizserver.extensions import db
from quizserver.variants import ensure_states, reveal
from tests.e2e.live import LiveServer, add_user, log_in, make_live_app

pytestmark = pytest.mark.e2e

QUESTIONS = Path(__file__).resolve().parents[2] / "questions"
STUDENT = "phone@uni.example"
WEEKS = sorted(int(path.name[4:6]) for path in QUESTIONS.glob("week[0-9][0-9]-*.yaml"))

# For every <math>: where its ink (the union of its children's boxes) is cut off, and by what.
CLIPPED = """() => {
  const SLACK = 2;  // a glyph's ink may poke a pixel or two out of its box
  const scrolls = (v) => v === 'auto' || v === 'scroll';
  const where = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '');
  function ink(m) {
    const box = {left: Infinity, right: -Infinity, top: Infinity, bottom: -Infinity};
    m.querySelectorAll('*').forEach((e) => {
      const r = e.getBoundingClientRect();
      if (!r.width && !r.height) return;
      box.left = Math.min(box.left, r.left); box.right = Math.max(box.right, r.right);
      box.top = Math.min(box.top, r.top); box.bottom = Math.max(box.bottom, r.bottom);
    });
    return box;
  }
  const found = [];
  const page = document.documentElement.clientWidth;
  document.querySelectorAll('math').forEach((m) => {
    if (!m.getBoundingClientRect().width) return;
    const box = ink(m);
    const question = (m.closest('li.question') || {}).id || '';
    const formula = m.getAttribute('alttext') || m.textContent.slice(0, 40);
    for (let a = m; a && a !== document.documentElement; a = a.parentElement) {
      const style = getComputedStyle(a);
      const r = a.getBoundingClientRect();
      const left = r.left + a.clientLeft, right = left + a.clientWidth;
      const top = r.top + a.clientTop, bottom = top + a.clientHeight;
      const outX = box.left < left - SLACK || box.right > right + SLACK;
      const outY = box.top < top - SLACK || box.bottom > bottom + SLACK;
      if (style.overflowX !== 'visible' && outX) {
        if (!scrolls(style.overflowX) || a.scrollWidth <= a.clientWidth) {
          found.push({question, formula, problem: 'cut off sideways by ' + where(a)});
        } else if (!/gradient/.test(style.backgroundImage)) {
          found.push({question, formula, problem: 'scrolls in ' + where(a) + ' with no sign that it does'});
        } else if (a.getAttribute('role') !== 'region' || a.getAttribute('tabindex') !== '0') {
          found.push({question, formula, problem: 'scrolls in ' + where(a) + ', which the keyboard cannot reach'});
        }
        return;
      }
      if (style.overflowY !== 'visible' && !scrolls(style.overflowY) && outY) {
        found.push({question, formula, problem: 'cut off at the top or bottom by ' + where(a)});
        return;
      }
    }
    if (box.right > page + 1) found.push({question, formula, problem: 'wider than the page'});
  });
  return found;
}"""


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory, site: Any) -> Iterator[LiveServer]:
    """The shipped banks served to one student who has revealed every worked solution."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = make_live_app(tmp_path_factory.mktemp("phone") / "phone.sqlite3", [QUESTIONS])
    add_user(app, STUDENT, "student", "Pat Phone")
    with app.app_context():
        student = find_user(STUDENT)
        assert student is not None
        for served in served_banks():
            for state in ensure_states(student, served).states.values():
                reveal(state)
        db.session.commit()
    with LiveServer(app) as server:
        yield server
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def phone(browser: Any, shipped: LiveServer) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 375, "height": 800}, device_scale_factor=2, is_mobile=True, has_touch=True,
        base_url=shipped.url,
    )
    page = context.new_page()
    log_in(page, shipped.url, STUDENT)
    yield page
    context.close()


def settled(page: Any, path: str) -> None:
    """The page with its math font loaded and scroll.js's boxes marked."""
    page.goto(path)
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_function("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def test_the_shipped_banks_are_all_served() -> None:
    assert len(WEEKS) >= 12, WEEKS


@pytest.mark.parametrize("week", WEEKS)
def test_no_formula_is_cut_off_at_phone_width(phone: Any, week: int) -> None:
    settled(phone, f"/weeks/{week}")
    assert phone.locator(".solution math").count() > 0, "the worked solutions are not shown"
    problems = phone.evaluate(CLIPPED)
    assert not problems, "\n".join(f"{p['question']}: {p['problem']}: {p['formula']}" for p in problems)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_wide_formula_says_that_it_scrolls_and_scrolls_to_its_end(phone: Any) -> None:
    settled(phone, "/weeks/2")
    box = phone.locator('.math-scroll[role="region"]').first
    assert box.count() == 1, "week 2 has no formula wider than a phone"
    cue = box.evaluate("b => getComputedStyle(b, '::after').content")
    assert "scroll sideways" in cue
    box.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
    end = box.evaluate("b => b.scrollLeft + b.clientWidth >= b.scrollWidth - 1")
    assert end  # the last symbol can be brought into view


TAB_STOP = """() => {
  const a = document.activeElement;
  if (!a || a === document.body) return null;
  return {tag: a.tagName.toLowerCase(), role: a.getAttribute('role'), label: a.getAttribute('aria-label') || '',
          math: !!a.querySelector('math') || !!a.closest('math'), overflows: a.scrollWidth > a.clientWidth + 1};
}"""


@pytest.mark.parametrize("week", [4, 2])
def test_a_formula_is_a_tab_stop_only_when_it_must_scroll(browser: Any, shipped: LiveServer, week: int) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=shipped.url)
    page = context.new_page()
    try:
        log_in(page, shipped.url, STUDENT)
        settled(page, f"/weeks/{week}")
        stops = []
        for _ in range(40):
            page.keyboard.press("Tab")
            stop = page.evaluate(TAB_STOP)
            if stop is not None:
                stops.append(stop)
        on_math = [s for s in stops if s["math"]]
        named_scroller = lambda s: s["role"] == "region" and s["overflows"] and "scrolls sideways" in s["label"]  # noqa: E731
        bad = [s for s in on_math if not named_scroller(s)]
        assert not bad, bad
    finally:
        context.close()
