"""Regenerate the screenshots in docs/screenshots/ with the browser-test set-up (Debian chromium, offline).

    python scripts/screenshots.py [--banks questions/week01-ml-basics.yaml ...] [--out docs/screenshots]

Serves a fresh SQLite database on 127.0.0.1 with the given banks (by default weeks 1-3 of questions/) and a
small demo cohort, then saves:
  quiz.png        a student's week 1 page: a wrong, a right and an unreadable answer, a matrix being typed
  quiz-phone.png  the same page at phone width (375 px)
and then runs scripts/staff_screenshots.py for gradebook.png (300 students), week-overview.png and
item-analysis.png.
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quizserver.demo import create_demo_cohort  # noqa: E402
from quizserver.extensions import db  # noqa: E402
from quizserver.grading import format_answer  # noqa: E402
from tests.e2e.live import LiveServer, add_user, browser_missing, chromium, log_in, make_live_app  # noqa: E402
from tests.web.helpers import key_of  # noqa: E402

DEFAULT_BANKS = sorted(ROOT.glob("questions/week0[1-3]-*.yaml"))
STUDENT = "ada.lovelace@uni.example"
STAFF = "staff@uni.example"


def wrong_answer(key: Any) -> str:
    """A classic slip the grader recognises: a flipped sign."""
    return format_answer(-np.asarray(key, dtype=np.float64))


def fill_week_one(page: Any, app: Any, user_id: int) -> None:
    """Answer through the page as a student would, so the feedback is the real thing."""
    items = page.locator("li.question")
    typed = [
        item
        for item in (items.nth(i) for i in range(items.count()))
        if item.locator(".answer-form [name=answer]").count()
    ]
    matrices = [item for item in typed if item.locator("textarea").count()]
    numbers = [item for item in typed if not item.locator("textarea").count()]

    def answer(item: Any, text: str) -> None:
        item.locator("[name=answer]").fill(text)
        item.get_by_role("button", name="Check").click()
        item.page.locator(f"#{item.get_attribute('id')}-feedback .result").wait_for()

    def key(item: Any) -> Any:
        return key_of(app, user_id, 1, item.get_attribute("id").removeprefix("q-"))

    if numbers:
        answer(numbers[0], wrong_answer(key(numbers[0])))
    if matrices:
        answer(matrices[0], format_answer(key(matrices[0])))
    if len(numbers) > 1:
        answer(numbers[1], "0.5.2")
    if len(matrices) > 1:
        area = matrices[1].locator("textarea")
        shape = np.shape(key(matrices[1]))
        rows = shape[0] if len(shape) == 2 else 1
        cols = shape[-1]
        area.focus()
        area.page.keyboard.type("[" + "; ".join(" ".join(str(r + c) for c in range(cols)) for r in range(rows)) + "]")
        matrices[1].locator(".shape-status").wait_for()
    page.evaluate("window.scrollTo(0, 0)")


def top_of_page(page: Any, questions: int) -> dict[str, float]:
    """The page down to the end of the n-th question: the header, the score and the first answers."""
    bottom = page.evaluate(
        "n => { const items = document.querySelectorAll('li.question');"
        " const last = items[Math.min(n, items.length) - 1];"
        " return last.getBoundingClientRect().bottom + window.scrollY; }",
        questions,
    )
    return {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": bottom + 24}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--banks", nargs="+", type=Path, default=DEFAULT_BANKS)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--students", type=int, default=14)
    args = parser.parse_args(argv)
    reason = browser_missing()
    if reason:
        print(f"cannot take screenshots: {reason}", file=sys.stderr)
        return 1
    if not args.banks:
        print("no banks given and none found in questions/", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request

    with tempfile.TemporaryDirectory() as tmp:
        app = make_live_app(Path(tmp) / "screenshots.sqlite3", args.banks, COURSE_TITLE="Introduction to Deep Learning")
        with app.app_context():
            create_demo_cohort(args.students, seed=7, variants=3)
            db.session.commit()
        student_id = add_user(app, STUDENT, "student", "Ada Lovelace")
        add_user(app, STAFF, "staff", "Sam Staff")
        with LiveServer(app) as server, chromium() as browser:
            desktop = browser.new_context(viewport={"width": 1100, "height": 1500}, base_url=server.url)
            page = desktop.new_page()
            log_in(page, server.url, STUDENT)
            page.goto("/weeks/1")
            fill_week_one(page, app, student_id)
            page.screenshot(path=str(args.out / "quiz.png"), full_page=True, clip=top_of_page(page, questions=4))

            phone = browser.new_context(
                viewport={"width": 375, "height": 900}, device_scale_factor=2, is_mobile=True, has_touch=True,
                base_url=server.url, storage_state=desktop.storage_state(),
            )
            phone_page = phone.new_page()
            phone_page.goto("/weeks/1")
            phone_page.screenshot(path=str(args.out / "quiz-phone.png"))
            for context in (desktop, phone):
                context.close()
        with app.app_context():
            db.engine.dispose()
    for name in ("quiz.png", "quiz-phone.png"):
        print(args.out / name)
    from scripts.staff_screenshots import main as staff_screenshots

    return staff_screenshots(["--out", str(args.out)])


if __name__ == "__main__":
    sys.exit(main())
