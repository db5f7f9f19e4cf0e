"""Regenerate the student-side pictures in docs/screenshots/ (Debian chromium, offline, like the browser tests).

    python scripts/student_screenshots.py [--out docs/screenshots]

Serves the shipped banks of questions/ with deadlines set relative to today (weeks 1-9 closed, week 10 due in
two days, weeks 11-12 upcoming) in Europe/Berlin time, then saves, at phone width (375 px):
  weeks-phone.png           the week list: deadlines in course time with a relative hint, practice-only weeks
  week-phone-wide-matrix.png  week 10's GCN layer: a matrix wider than the phone scrolls in its own box, with
                            shadows and words saying so, next to the graded answer and its feedback
  reveal-phone.png          "Show solution" states its cost and asks before the credit is locked
"""
from __future__ import annotations

import argparse
import logging
import re
import shutil
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.live import LiveServer, add_user, browser_missing, chromium, log_in, make_live_app  # noqa: E402

STUDENT = "ada.lovelace@uni.example"
WIDE_WEEK, WIDE_QUESTION = 10, "gcn-layer"


def timed_banks(folder: Path, now: datetime) -> list[Path]:
    """Copies of the shipped banks with `opens`/`closes` after their `title:` line, as a term would have them."""
    shutil.copytree(ROOT / "questions", folder, dirs_exist_ok=True)
    for path in sorted(folder.glob("week[0-9][0-9]-*.yaml")):
        week = int(path.name[4:6])
        opens = now + timedelta(days=7 * (week - 10) - 5)
        closes = now + timedelta(days=7 * (week - 10) + 2, hours=3)
        timing = f"opens: {opens.isoformat()}\ncloses: {closes.isoformat()}\n"
        text = path.read_text()
        title = re.search(r"^title:.*\n", text, re.M)
        assert title is not None, path
        path.write_text(text[: title.end()] + timing + text[title.end():])
    return [folder]


def settle(page: Any) -> None:
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_function("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    reason = browser_missing()
    if reason:
        print(f"cannot take screenshots: {reason}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        banks = timed_banks(Path(tmp) / "questions", now)
        app = make_live_app(Path(tmp) / "students.sqlite3", banks, TIMEZONE="Europe/Berlin",
                            COURSE_TITLE="Introduction to Deep Learning")
        add_user(app, STUDENT, "student", "Ada Lovelace")
        with LiveServer(app) as server, chromium() as browser:
            context = browser.new_context(viewport={"width": 375, "height": 780}, device_scale_factor=2,
                                          is_mobile=True, has_touch=True, base_url=server.url)
            page = context.new_page()
            log_in(page, server.url, STUDENT)
            page.goto("/weeks")
            settle(page)
            cards = page.locator(".week-card")
            top = cards.nth(8).bounding_box()["y"] - 12  # the last closed week, the open one, the first upcoming
            bottom = cards.nth(10).bounding_box()
            page.screenshot(path=str(args.out / "weeks-phone.png"), full_page=True,
                            clip={"x": 0, "y": top, "width": 375, "height": bottom["y"] + bottom["height"] + 12 - top})

            page.goto(f"/weeks/{WIDE_WEEK}")
            question = page.locator(f"#q-{WIDE_QUESTION}")
            question.locator("textarea").fill("1 2\n3 4")  # rows typed on lines, without brackets
            question.get_by_role("button", name="Check").click()
            question.locator(".feedback .result").wait_for()
            question.locator("summary", has_text="Show solution").click()
            question.locator(".reveal-cost").wait_for()
            question.scroll_into_view_if_needed()
            settle(page)
            question.locator(".question-tools").screenshot(path=str(args.out / "reveal-phone.png"))
            question.get_by_role("button", name="Yes, show the solution").click()
            page.locator(f"#q-{WIDE_QUESTION}-solution").wait_for()
            settle(page)
            page.locator(f"#q-{WIDE_QUESTION}").screenshot(path=str(args.out / "week-phone-wide-matrix.png"))
            context.close()
        from quizserver.extensions import db

        with app.app_context():
            db.engine.dispose()
    for name in ("weeks-phone.png", "week-phone-wide-matrix.png", "reveal-phone.png"):
        print(args.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
