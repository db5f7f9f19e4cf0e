"""Regenerate docs/screenshots/multipart-question.png with the browser-test set-up (Debian chromium, offline).

    python scripts/parts_screenshots.py [--out docs/screenshots]

Serves a fresh SQLite database on 127.0.0.1 with the shipped week 2 bank, signs a student in and, through
the page as a student would: solves part (a) of the graph question (its part (b) opens and shows (a)'s
value), and answers part (a) of the neuron question (3 significant figures asked) with too few digits, so
its part (b) stays closed. Saves both questions at desktop width and at phone width
(multipart-question-phone.png).
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

from quizserver.grading import format_answer  # noqa: E402
from tests.e2e.live import LiveServer, add_user, browser_missing, chromium, log_in, make_live_app  # noqa: E402
from tests.web.helpers import key_of  # noqa: E402

BANK = ROOT / "questions" / "week02-backprop.yaml"
STUDENT = "ada.lovelace@uni.example"


def answer(page: Any, question_id: str, text: str) -> None:
    """Type into a part's box and check it; wait until quiz.js has swapped in the re-rendered question."""
    part = page.locator(f"li[id='q-{question_id}']")
    part.locator("[name=answer]").fill(text)
    part.get_by_role("button", name="Check").click()
    page.locator(f"li[id='q-{question_id}'] .feedback .result").wait_for()


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
    saved = [args.out / "multipart-question.png", args.out / "multipart-question-phone.png"]
    with tempfile.TemporaryDirectory() as tmp:
        app = make_live_app(Path(tmp) / "parts.sqlite3", [BANK], COURSE_TITLE="Introduction to Deep Learning")
        student = add_user(app, STUDENT, "student", "Ada Lovelace")
        with LiveServer(app) as server, chromium() as browser:
            desktop = browser.new_context(viewport={"width": 1000, "height": 1400}, base_url=server.url)
            page = desktop.new_page()
            log_in(page, server.url, STUDENT)
            page.goto("/weeks/2")
            answer(page, "graph.forward", format_answer(key_of(app, student, 2, "graph.forward")))
            page.locator("li[id='q-graph.backward'] [name=answer]").wait_for()
            activation = key_of(app, student, 2, "chain-rule-neuron.activation")
            answer(page, "chain-rule-neuron.activation", format_answer(round(activation + 0.05, 1)))
            page.evaluate("window.scrollTo(0, 0)")
            page.locator("li[id='q-graph']").evaluate("e => e.scrollIntoView()")
            top = page.locator("li[id='q-graph']").bounding_box()
            bottom = page.locator("li[id='q-chain-rule-neuron']").bounding_box()
            assert top is not None and bottom is not None
            scroll = page.evaluate("window.scrollY")
            page.screenshot(path=str(saved[0]), full_page=True, clip={
                "x": 0, "y": top["y"] + scroll - 12, "width": 1000,
                "height": bottom["y"] + bottom["height"] - top["y"] + 24,
            })
            phone = browser.new_context(
                viewport={"width": 375, "height": 1100}, device_scale_factor=2, is_mobile=True, has_touch=True,
                base_url=server.url, storage_state=desktop.storage_state(),
            )
            phone_page = phone.new_page()
            phone_page.goto("/weeks/2#q-graph")
            phone_page.locator("li[id='q-graph']").screenshot(path=str(saved[1]))
            for context in (desktop, phone):
                context.close()
    for path in saved:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
