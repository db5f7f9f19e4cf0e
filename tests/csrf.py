"""The CSRF token a page's forms carry, read as a browser posts it back: the one helper the tests and the
benchmarks (bench/) use. No app, no fixtures: a page's HTML in, the token out."""
from __future__ import annotations

import re

from flask.testing import FlaskClient

# Every form has <input type="hidden" name="csrf_token" value="...">; attributes may come between.
CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_in(html: str, where: str = "the page") -> str:
    """The first CSRF token in a page's HTML; an AssertionError naming the page when it has none."""
    match = CSRF_PATTERN.search(html)
    assert match, f"no CSRF token on {where}"
    return match.group(1)


def csrf_token(client: FlaskClient, page: str = "/login") -> str:
    """GET a page with a test client (its session cookie included) and read its forms' CSRF token."""
    return csrf_in(client.get(page).get_data(as_text=True), page)
