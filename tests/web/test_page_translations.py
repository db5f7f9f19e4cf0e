"""A page looks its catalog up once (quizserver/i18n.py, page_translations): the words come out as
Flask-Babel's own template functions write them, escaped and formatted alike, in English and German."""
from __future__ import annotations

import pytest
from flask import Flask, render_template_string

# Each template twice: through the rendering's functions (`_`, `gettext`, `ngettext` from the context
# processor) and through Flask-Babel's, which a template imported without context still uses.
CASES = [
    "{{ _('Check') }}",
    "{{ gettext('Weeks') }}",
    "{{ _('Question %(number)s: %(title)s', number=3, title='<b>bold</b> & more') }}",
    "{{ _('−%(percent)s%% per wrong attempt', percent=25) }}",
    "{{ ngettext('%(num)s attempt', '%(num)s attempts', 1) }}|{{ ngettext('%(num)s attempt', '%(num)s attempts', 4) }}",
    "{{ ngettext('%(left)s of %(num)s attempt left', '%(left)s of %(num)s attempts left', 3, left=2) }}",
    "{% trans %}Skip to content{% endtrans %}",
    "{% trans n=2 %}{{ n }} point{% pluralize %}{{ n }} points{% endtrans %}",
]
BABEL = "{% macro words() %}CASE{% endmacro %}"  # a macro of an imported template sees only the environment's globals


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("case", CASES)
def test_a_rendering_translates_as_flask_babel_does(app: Flask, language: str, case: str) -> None:
    headers = {"Accept-Language": language}
    with app.test_request_context("/", headers=headers):
        page = render_template_string(case)
        imported = app.jinja_env.from_string(BABEL.replace("CASE", case)).module.words()  # type: ignore[attr-defined]
    assert page == str(imported)
    assert "%%" not in page


def test_german_readers_get_german_words(app: Flask) -> None:
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert render_template_string("{{ _('Check') }}") == "Prüfen"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string("{{ _('Check') }}") == "Check"
