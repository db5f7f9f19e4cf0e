"""Regenerate docs/screenshots/plot-question.png with the browser-test set-up (Debian chromium, offline).

    python scripts/figure_screenshots.py [--out docs/screenshots]

Serves a fresh SQLite database on 127.0.0.1 with the shipped week 5 bank, signs a student in and saves
the question whose plot is drawn for each variant (validation-curve-best-epoch), at desktop width and at
phone width (plot-question-phone.png).
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quizserver.extensions import db  # noqa: E402
from tests.e2e.live import LiveServer, add_user, browser_missing, chromium, log_in, make_live_app  # noqa: E402

BANK = ROOT / "questions" / "week05-regularization.yaml"
QUESTION = "validation-curve-best-epoch"
STUDENT = "ada.lovelace@uni.example"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    reason = browser_missing()
    if reason:
        print(f"cannot take screenshots: {reason}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    saved = [args.out / "plot-question.png", args.out / "plot-question-phone.png"]
    with tempfile.TemporaryDirectory() as tmp:
        app = make_live_app(Path(tmp) / "figures.sqlite3", [BANK], COURSE_TITLE="Introduction to Deep Learning")
        add_user(app, STUDENT, "student", "Ada Lovelace")
        with LiveServer(app) as server, chromium() as browser:
            for path, options in zip(saved, [
                {"viewport": {"width": 1000, "height": 1200}},
                {"viewport": {"width": 375, "height": 900}, "device_scale_factor": 2, "is_mobile": True,
                 "has_touch": True},
            ], strict=True):
                context = browser.new_context(base_url=server.url, **options)
                page = context.new_page()
                log_in(page, server.url, STUDENT)
                page.goto("/weeks/5")
                card = page.locator(f"li#q-{QUESTION}")
                card.scroll_into_view_if_needed()
                card.screenshot(path=str(path))
                context.close()
        with app.app_context():
            db.engine.dispose()
    for path in saved:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
