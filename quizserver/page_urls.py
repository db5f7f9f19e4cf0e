"""`url_for` in templates, built once per worker for each endpoint and values.

A week page names about forty URLs (four per question, the navigation, the static files), and each is the
same on every page that names it: the URL map does not change once the app is set up. Templates ask for
them through this cache; an URL that depends on more than the endpoint, its values and the request's
script root (`_external`, `_anchor`, a blueprint-relative endpoint, values that cannot be hashed, or no
request at all) is built by Flask each time.
"""
from __future__ import annotations

import functools
from typing import Any

from flask import Flask, has_request_context, request, url_for

CACHED_URLS = 4096  # distinct URLs kept per worker: every question's of every week, and room to spare


def install(app: Flask) -> None:
    """Make the templates' `url_for` the cached one, for this app alone."""

    @functools.lru_cache(maxsize=CACHED_URLS)
    def built(script_root: str, endpoint: str, values: tuple[tuple[str, str | int], ...]) -> str:
        arguments: dict[str, Any] = dict(values)  # the endpoint's URL values: never Flask's own _-options
        return url_for(endpoint, **arguments)

    def cached_url_for(endpoint: str, **values: Any) -> str:
        if not cacheable(endpoint, values):
            return url_for(endpoint, **values)
        return built(request.script_root, endpoint, tuple(sorted(values.items())))

    app.jinja_env.globals["url_for"] = cached_url_for


def cacheable(endpoint: str, values: dict[str, Any]) -> bool:
    """Whether the URL is fixed by the endpoint, its values and the request's script root."""
    if not has_request_context() or endpoint.startswith("."):
        return False
    return all(not name.startswith("_") and isinstance(value, str | int) for name, value in values.items())
