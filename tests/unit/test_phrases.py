"""Words code hands to pages are translatable: launch refusals, notes and labels have German."""
from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from quizserver.lti import identity, launch, routes
from quizserver.lti.launch import LaunchRefused
from quizserver.phrases import PHRASES, translate_phrase

GERMAN_PO = Path(__file__).resolve().parents[2] / "translations" / "de" / "LC_MESSAGES" / "messages.po"


def _refusals() -> list[LaunchRefused]:
    found = [value for module in (launch, routes, identity) for value in vars(module).values()
             if isinstance(value, LaunchRefused)]
    found += [refused for _, refused in launch._REFUSALS]
    return found


def test_every_launch_refusal_has_a_german_translation() -> None:
    """The refused page passes a refusal's title and advice through gettext: each must be a translated msgid."""
    with GERMAN_PO.open("rb") as fh:
        catalog = read_po(fh, locale="de")
    refusals = _refusals()
    assert len(refusals) >= 8
    texts = {text for r in refusals for text in (r.title, r.advice)}
    missing = sorted(t for t in texts if catalog.get(t) is None or not catalog.get(t).string)
    assert missing == [], "mark these with N_ where they are defined, then run pybabel extract and update"


def test_a_phrase_with_a_value_is_read_back() -> None:
    loud = {p: p.upper().replace("{COUNT}", "{count}") for p in PHRASES}
    note = "You have used all 3 attempts: this answer was graded as practice and does not change your score."
    assert translate_phrase(note, lambda s: loud.get(s, s)).startswith("YOU HAVE USED ALL 3 ATTEMPTS")
    assert translate_phrase("something else", lambda s: loud.get(s, s)) == "something else"
