"""No shipped bank turns prose into a formula: a `$$` display written inside a paragraph pairs its dollars
with the wrong neighbours and renders the next sentence letter by letter in italics ("a n d a w a y").
Display formulas stand between blank lines (docs/authoring.md)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from quizserver.config import PROJECT_ROOT
from quizserver.render import PLACEHOLDER, render_markdown, substitute

BANKS = sorted((PROJECT_ROOT / "questions").glob("week[0-9][0-9]-*.yaml"))
SPELLED_OUT = re.compile(r"\b(?:t h e|a n d|o f|i s) \w\b")  # English words read out letter by letter


def texts(path: Path) -> list[tuple[str, str]]:
    found = []
    for question in yaml.safe_load(path.read_text())["questions"]:
        for item in [question, *(question.get("parts") or [])]:
            for key in ("text", "explanation"):
                if isinstance(item.get(key), str):
                    found.append((f"{item.get('id', question['id'])} {key}", item[key]))
            for choice in item.get("choices") or []:
                for key in ("text", "feedback"):
                    if isinstance(choice.get(key), str):
                        found.append((f"{question['id']} choice {key}", choice[key]))
    return found


@pytest.mark.parametrize("path", BANKS, ids=[path.name for path in BANKS])
def test_no_sentence_is_rendered_as_a_formula(path: Path) -> None:
    bad = []
    for where, text in texts(path):
        names = {name: 0.5 for name in PLACEHOLDER.findall(text)}
        html = render_markdown(substitute(text, names))
        bad += [(where, name[:60]) for name in re.findall(r'alttext="([^"]*)"', html) if SPELLED_OUT.search(name)]
    assert not bad, bad
