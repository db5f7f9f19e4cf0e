"""Regenerate the staff screenshots in docs/screenshots/ (Debian chromium, offline):

    python scripts/staff_screenshots.py [--out docs/screenshots] [--students 300]

Serves the shipped banks, given a deadline each, with a demo cohort (`quiz demo-data`'s simulation) in the
course time zone Europe/Berlin, and saves at 1280 px:
  gradebook.png       the gradebook of 300 students: 12 weeks, total, one line per student, shaded by score
  week-overview.png   week 3: score distribution and attempts per day with the deadline
  item-analysis.png   week 3's item analysis
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quizserver.extensions import db  # noqa: E402
from tests.e2e.cohort import STAFF, STUDENTS, make_cohort_app  # noqa: E402
from tests.e2e.live import LiveServer, browser_missing, chromium, log_in  # noqa: E402

NAMES = ("gradebook.png", "week-overview.png", "item-analysis.png")
WEEK = 3


def take(browser: Any, url: str, out: Path) -> list[Path]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=url)
    page = context.new_page()
    log_in(page, url, STAFF)
    shots = []
    page.goto("/staff/")
    page.screenshot(path=str(out / NAMES[0]))  # the window: what a lecturer sees first
    shots.append(out / NAMES[0])
    page.goto(f"/staff/weeks/{WEEK}")
    page.screenshot(path=str(out / NAMES[1]), full_page=True)
    shots.append(out / NAMES[1])
    page.goto(f"/staff/weeks/{WEEK}/items")
    # the table of every question and the first question's wrong answers
    bottom = page.evaluate(
        "(() => { const item = document.querySelector('.item');"
        " return item ? item.getBoundingClientRect().bottom + window.scrollY : 1400; })()"
    )
    clip = {"x": 0, "y": 0, "width": 1280, "height": bottom + 16}
    page.screenshot(path=str(out / NAMES[2]), full_page=True, clip=clip)
    shots.append(out / NAMES[2])
    context.close()
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--students", type=int, default=STUDENTS)
    args = parser.parse_args(argv)
    reason = browser_missing()
    if reason:
        print(f"cannot take screenshots: {reason}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        app = make_cohort_app(Path(tmp), students=args.students)
        with LiveServer(app) as server, chromium() as browser:
            shots = take(browser, server.url, args.out)
        with app.app_context():
            db.engine.dispose()
    for shot in shots:
        print(shot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
