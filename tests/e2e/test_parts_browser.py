"""A question in parts in a real browser: solving part (a) opens part (b) in place (quiz.js swaps in the
whole question), with (a)'s value in (b)'s text; the layout holds at phone width."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quizserver.config import PROJECT_ROOT
from quizserver.extensions import db
from quizserver.grading import format_answer
from tests.e2e.live import LiveServer, add_user, log_in, make_live_app
from tests.web.helpers import key_of

pytestmark = pytest.mark.e2e

BANK = PROJECT_ROOT / "questions" / "week02-backprop.yaml"


@pytest.fixture(scope="module")
def parts_site(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[tuple[Any, LiveServer, Any]]:
    """Its own server on the shipped week 2 bank, in the run's one Chromium (tests/e2e/conftest.py)."""
    app = make_live_app(Path(tmp_path_factory.mktemp("parts")) / "parts.sqlite3", [BANK])
    with LiveServer(app) as server:
        yield app, server, browser
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("width", [1000, 375])
def test_solving_part_a_opens_part_b_in_place(parts_site: tuple[Any, LiveServer, Any], width: int) -> None:
    app, server, browser = parts_site
    email = f"parts{width}@uni.example"
    student = add_user(app, email, "student")
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        log_in(page, server.url, email)
        page.goto("/weeks/2")
        group = page.locator("li[id='q-graph']")
        assert group.locator("h3").all_inner_texts() == ["Part (a)", "Part (b)"]
        assert "opens once you solve part (a)" in group.inner_text()
        key = format_answer(key_of(app, student, 2, "graph.forward"))
        part = page.locator("li[id='q-graph.forward']")
        part.locator("[name=answer]").fill(key)
        part.get_by_role("button", name="Check").click()
        page.locator("li[id='q-graph.backward'] [name=answer]").wait_for()
        opened = page.locator("li[id='q-graph.backward']").inner_text()
        assert "The forward pass gave" in opened and key.lstrip("-") in opened  # MathML shows − for -
        assert "opens once" not in page.locator("li[id='q-graph']").inner_text()
        # nothing overflows the phone's width
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()
