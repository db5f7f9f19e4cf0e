"""Templates' url_for: built once per endpoint and values, and the same URL Flask builds."""
from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from flask import Flask, render_template_string, url_for

from quizserver import page_urls


@pytest.mark.parametrize(
    ("endpoint", "values", "cached"),
    [
        ("quiz.answer", {"week": 1, "question_id": "scale"}, True),
        ("static", {"filename": "quiz.js"}, True),
        ("quiz.weeks", {}, True),
        (".weeks", {}, False),  # relative to the request's blueprint
        ("quiz.week", {"week": 1, "_anchor": "q-scale"}, False),
        ("quiz.week", {"week": 1, "_external": True}, False),
        ("quiz.week", {"week": [1]}, False),  # cannot be a cache key
    ],
)
def test_what_is_cached(bare_app: Flask, endpoint: str, values: dict[str, Any], cached: bool) -> None:
    with bare_app.test_request_context("/weeks/1"):
        assert page_urls.cacheable(endpoint, values) is cached


def test_a_template_url_is_flasks_and_built_once_per_script_root(bare_app: Flask) -> None:
    template = "{{ url_for('quiz.answer', week=2, question_id='q1') }}"
    with mock.patch("quizserver.page_urls.url_for", wraps=url_for) as built:
        for root in ("", "/course", ""):
            with bare_app.test_request_context("/weeks/2", base_url=f"http://localhost{root}"):
                assert render_template_string(template) == url_for("quiz.answer", week=2, question_id="q1")
                assert render_template_string(template).startswith(f"{root}/weeks/2/q1/answer")
    assert built.call_count == 2  # one per script root


def test_urls_outside_a_request_are_flasks_own(bare_app: Flask) -> None:
    bare_app.config["SERVER_NAME"] = "quiz.example.org"
    with bare_app.app_context():
        assert render_template_string("{{ url_for('quiz.weeks') }}") == url_for("quiz.weeks")
