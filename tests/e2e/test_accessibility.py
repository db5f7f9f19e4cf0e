"""axe-core on every page type, as each role that sees it, at desktop and phone width.

A violation of a WCAG 2.0/2.1 A or AA rule fails the test; best-practice findings are only reported
(printed, and written to tests/e2e/artifacts/axe-<role>-<width>.json). axe-core is vendored from the npm
package (tests/e2e/vendor/axe.min.js, MPL-2.0) so the run stays offline.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from quizserver.banksync import sync_banks
from quizserver.catalog import served_bank
from quizserver.demo import DEMO_DOMAIN, create_demo_cohort
from quizserver.extensions import db
from quizserver.models import User
from tests.e2e.conftest import ARTIFACTS
from tests.web.helpers import key_of, typed

try:
    from playwright.sync_api import expect
except ImportError:  # the `site` fixture then skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WIDE_BANK = Path(__file__).parent / "banks"  # week 3: display formulas wider than a phone
WCAG = {"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}
TAGS = sorted(WCAG | {"best-practice"})
AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, tags: v.tags, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + ' -- ' + n.failureSummary.split('\\n').slice(0, 2).join(' '))}));
}"""
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}


@pytest.fixture(scope="module")
def cohort(site: Any) -> int:
    """Week 3 (wide formulas) and a small synthetic cohort, so the staff pages have charts, flags and
    attempts; a demo student's id."""
    with site.app.app_context():
        if served_bank(3) is None:
            assert sync_banks([WIDE_BANK], variants=3).ok
            db.session.commit()
        demo = select(User.id).where(User.email.like(f"%@{DEMO_DOMAIN}")).order_by(User.id).limit(1)
        if db.session.scalar(demo) is None:
            create_demo_cohort(24, seed=3, variants=3)
            db.session.commit()
        found = db.session.scalar(demo)
        db.session.remove()
    assert found is not None
    return found


class Scanner:
    """Loads pages in one browser context and collects axe's findings for each."""

    def __init__(self, page: Any, width: str) -> None:
        self.page = page
        self.width = width
        self.failures: dict[str, list[dict[str, Any]]] = {}
        self.advice: dict[str, list[dict[str, Any]]] = {}

    def scan(self, name: str, path: str | None = None) -> None:
        if path is not None:
            self.page.goto(path)
        self.page.wait_for_load_state("load")
        self.page.add_script_tag(path=str(AXE))
        found = self.page.evaluate(AXE_RUN, TAGS)
        failing = [v for v in found if WCAG & set(v["tags"])]
        if failing:
            self.failures[name] = failing
        advice = [v for v in found if not WCAG & set(v["tags"])]
        if advice:
            self.advice[name] = advice
        if self.width == "phone":  # WCAG 1.4.10 reflow: no sideways scrolling of the whole page at 320 CSS px-ish
            wide = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if wide > 0:
                self.failures.setdefault(name, []).append(
                    {"id": "page-scrolls-sideways", "impact": "serious", "nodes": [f"{wide}px too wide"]}
                )

    def report(self, role: str) -> str:
        ARTIFACTS.mkdir(exist_ok=True)
        out = ARTIFACTS / f"axe-{role}-{self.width}.json"
        out.write_text(json.dumps({"violations": self.failures, "best_practice": self.advice}, indent=1))
        for name, items in self.advice.items():
            print(f"[axe best-practice] {role} {self.width} {name}: " + ", ".join(v["id"] for v in items))
        lines = []
        for name, items in self.failures.items():
            for v in items:
                lines.append(f"{name}: {v['id']} ({v['impact']}) on {len(v['nodes'])} node(s)")
                lines.extend(f"    {node}" for node in v["nodes"][:4])
        return "\n".join(lines)


@pytest.fixture(params=sorted(WIDTHS))
def scanner(request: pytest.FixtureRequest, make_page: Callable[..., Any]) -> Iterator[Scanner]:
    width = request.param
    # the app's Content-Security-Policy rightly refuses injected scripts; axe is ours, so the test lifts it
    yield Scanner(make_page(viewport=WIDTHS[width], bypass_csp=True), width)


def test_anonymous_pages_pass_axe(scanner, site):
    scanner.scan("log-in", "/login")
    scanner.scan("sign-up", "/signup")
    scanner.page.get_by_role("button", name="Create my account").click()  # the form with its errors shown
    scanner.scan("sign-up with errors")
    scanner.scan("set-password link invalid", "/set-password/not-a-token")
    scanner.scan("error 404", "/no-such-page")
    failures = scanner.report("anonymous")
    assert not failures, "\n" + failures


def test_student_pages_pass_axe(scanner, site, login, cohort):
    email, me = site.new_student("Ada Student")
    page = scanner.page
    login(page, email)
    scanner.scan("week list", "/weeks")
    scanner.scan("week page, solutions hidden", "/weeks/1")
    question = page.locator("#q-scale")
    question.get_by_label("Your answer").fill(typed(-key_of(site.app, me, 1, "scale")))
    question.get_by_role("button", name="Check").click()
    expect(page.locator("#q-scale-feedback")).to_contain_text("Not correct")
    for qid in ("scale", "outer"):
        page.locator(f"#q-{qid} summary", has_text="Show solution").click()
        if qid == "scale":
            scanner.scan("week page, the cost of a solution shown before it is paid")
        page.locator(f"#q-{qid}").get_by_role("button", name="Yes, show the solution").click()
        expect(page.locator(f"#q-{qid} .solution")).to_be_visible()
    scanner.scan("week page, two solutions shown (in place)")
    scanner.scan("week page, two solutions shown (reloaded)", "/weeks/1")
    scanner.scan("closed week page", "/weeks/2")
    scanner.scan("week of wide formulas", "/weeks/3")
    page.locator("#q-wide summary", has_text="Show solution").click()
    page.locator("#q-wide").get_by_role("button", name="Yes, show the solution").click()
    expect(page.locator("#q-wide .solution math")).to_be_visible()
    scanner.scan("week of wide formulas, solution shown")
    scanner.scan("progress", "/progress")
    scanner.scan("answer syntax help", "/help/answers")
    scanner.scan("account", "/account/password")
    scanner.scan("error 403", "/staff/")
    failures = scanner.report("student")
    assert not failures, "\n" + failures


def test_staff_pages_pass_axe(scanner, site, login, cohort):
    login(scanner.page, site.staff)
    scanner.scan("gradebook", "/staff/")
    scanner.scan("gradebook sorted by week 1", "/staff/?sort=week-1&dir=desc")
    scanner.scan("week overview", "/staff/weeks/1")
    scanner.scan("item analysis", "/staff/weeks/1/items")
    scanner.scan("student drill-down", f"/staff/students/{cohort}")
    failures = scanner.report("staff")
    assert not failures, "\n" + failures


def test_instructor_pages_pass_axe(scanner, site, login, cohort):
    login(scanner.page, site.instructor)
    scanner.scan("banks", "/instructor/banks")
    scanner.scan("preview, matrix with a trial answer", "/instructor/preview/1/outer?variant=1&answer=[1 2]&trial=1")
    scanner.scan("preview, single choice", "/instructor/preview/1/relu")
    scanner.scan("preview, wide formulas", "/instructor/preview/3/wide")
    scanner.scan("admin users", "/admin/users")
    scanner.scan("admin user", f"/admin/users/{cohort}")
    scanner.scan("admin import", "/admin/import")
    scanner.scan("error 404 (signed in)", "/instructor/preview/9/none")
    failures = scanner.report("instructor")
    assert not failures, "\n" + failures


TAB_STOPS = """() => {
  const stop = document.activeElement;
  if (stop === document.body || stop.dataset.seen) return null;
  stop.dataset.seen = '1';
  return {tag: stop.tagName.toLowerCase(), role: stop.getAttribute('role'), label: stop.getAttribute('aria-label'),
          math: !!stop.querySelector('math') || !!stop.closest('math')};
}"""


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_only_a_formula_that_overflows_is_a_tab_stop_and_it_is_named(make_page, site, login, cohort, width):
    page = make_page(viewport=WIDTHS[width])
    email, _ = site.new_student()
    login(page, email)
    page.goto("/weeks/3")
    page.evaluate("document.fonts.ready.then(() => true)")
    stops = []
    for _ in range(60):
        page.keyboard.press("Tab")
        stop = page.evaluate(TAB_STOPS)
        if stop is None:
            break
        stops.append(stop)
    formulas = [s for s in stops if s["math"]]
    # three formulas fit everywhere; the long one overflows only at phone width
    if width == "phone":
        assert len(formulas) == 1, stops
        assert formulas[0]["tag"] == "div" and formulas[0]["role"] == "region"
        assert re.fullmatch(r"Formula \d+, scrolls sideways", formulas[0]["label"]), formulas
    else:
        assert formulas == [], stops
    box = page.locator('#q-wide .scroll[role="region"]')
    if width == "phone":
        box.focus()
        before = box.evaluate("b => b.scrollLeft")
        page.keyboard.press("ArrowRight")
        page.wait_for_function("([b, before]) => b.scrollLeft > before", arg=[box.element_handle(), before])
        outline = box.evaluate("b => getComputedStyle(b).outlineStyle")
        assert outline not in ("", "none")
    else:
        expect(box).to_have_count(0)
