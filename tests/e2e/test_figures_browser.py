"""Figures in a real browser: a per-variant plot and an image file render under the page's CSP, with no
policy violation, no request off 127.0.0.1, and no overflow at phone width."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.live import LiveServer, add_user, log_in, make_live_app
from tests.e2e.test_accessibility import AXE, AXE_RUN, WCAG

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

BOX = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 60"><title>box</title>'
       b'<rect x="5" y="5" width="110" height="50" fill="#0072B2"/></svg>')
BANK = """\
version: 1
week: 4
title: Figures
questions:
  - id: read-the-curve
    type: integer
    points: 1
    title: Reading a loss curve
    text: |
      The network below was trained with a fixed learning rate.

      ![a diagram: one blue box for the network](images/box.svg)

      After which epoch is the validation loss lowest?
    params:
      best: {randint: [3, 12]}
    solution: |
      epochs = np.arange(1, 16)
      train = 1.0 / np.sqrt(epochs)
      val = 0.6 + 0.04 * np.abs(epochs - best)
      answer = best
    plot:
      title: Loss per epoch
      alt: The training loss falls; the validation loss falls to a minimum, then rises.
      x_label: epoch
      y_label: loss
      series:
        - {kind: line, x: epochs, y: train, label: training}
        - {kind: scatter, x: epochs, y: val, label: validation}
"""
# collects every CSP violation the page reports, before any of its own scripts run
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture(scope="module")
def figure_site(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("figure-banks")
    (folder / "images").mkdir()
    (folder / "images" / "box.svg").write_bytes(BOX)
    (folder / "week04.yaml").write_text(BANK)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = make_live_app(Path(tmp_path_factory.mktemp("figure-db")) / "figures.sqlite3", [folder])
    add_user(app, "reader@uni.example", "student", "Rea Der")
    with LiveServer(app) as server:
        yield server.url, "reader@uni.example"
    from quizserver.extensions import db

    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("width", [1100, 375])
def test_plot_and_image_render_under_the_csp(browser: Any, figure_site: tuple[str, str], width: int) -> None:
    url, email = figure_site
    context = browser.new_context(base_url=url, viewport={"width": width, "height": 900})
    requests: list[str] = []
    console: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    try:
        page = context.new_page()
        page.add_init_script(WATCH_CSP)
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        log_in(page, url, email)
        page.goto("/weeks/4")

        plot = page.locator("figure.plot-figure svg[role=img]")
        expect(plot).to_be_visible()
        assert plot.get_attribute("aria-label").startswith("Loss per epoch. The training loss falls")
        assert page.get_by_role("img", name="Loss per epoch", exact=False).count() == 1
        assert plot.locator("polyline").count() == 1 and plot.locator(".plot-scatter rect").count() == 15
        box = plot.bounding_box()
        assert box is not None and box["width"] > 200 and box["x"] + box["width"] <= width

        image = page.get_by_role("img", name="a diagram: one blue box for the network")
        expect(image).to_be_visible()
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")  # fetched and decoded
        assert "/figures/" in image.get_attribute("src")
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing overflows

        assert page.evaluate("window.__csp") == []
        assert not [line for line in console if "Content Security Policy" in line or "Refused" in line], console
        assert [u for u in requests if not u.startswith(url) and not u.startswith("data:")] == []
    finally:
        context.close()


def test_a_page_with_a_plot_and_an_image_passes_axe(browser: Any, figure_site: tuple[str, str]) -> None:
    url, email = figure_site
    # axe is injected by the test, so this context lifts the CSP (the test above checks the page under it)
    context = browser.new_context(base_url=url, bypass_csp=True)
    try:
        page = context.new_page()
        log_in(page, url, email)
        page.goto("/weeks/4")
        page.add_script_tag(path=str(AXE))
        failing = [v for v in page.evaluate(AXE_RUN, sorted(WCAG)) if WCAG & set(v["tags"])]
        assert failing == []
    finally:
        context.close()
