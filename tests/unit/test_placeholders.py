"""`{{ ... }}` holds a name and nothing else: anything more is refused at check time with its file and line,
never shown to students as typed."""
from __future__ import annotations

import pytest

from quizserver.bank import load_bank
from quizserver.render import render_template, unsupported_placeholders

BANK = """version: 1
week: 7
title: Placeholders
questions:
  - id: q
    type: numeric
    points: 1
    text: |
      First line.
      {text}
    params:
      x: {{randint: [1, 3], shape: [2]}}
    solution: |
      x0 = float(x[0])
      answer = x0
"""


@pytest.mark.parametrize(
    ("written", "refused"),
    [
        ("The entry {{ x[0] }}.", "{{ x[0] }}"),
        ("The shape {{ x.shape }}.", "{{ x.shape }}"),
        ("Twice {{ 2*x0 }}.", "{{ 2*x0 }}"),
        ("Indexed {{x[0][1]}}.", "{{x[0][1]}}"),
        ("A call {{ len(x) }}.", "{{ len(x) }}"),
    ],
)
def test_anything_but_a_name_is_refused_with_its_line(written: str, refused: str) -> None:
    bank, problems = load_bank(BANK.format(text=written), "questions/week07-placeholders.yaml")
    assert bank is None
    messages = [str(p) for p in problems]
    assert any(m.startswith("questions/week07-placeholders.yaml:10:") and refused in m for m in messages), messages
    assert any("x0 = x[0]" in m for m in messages)  # what to write instead


@pytest.mark.parametrize("written", ["The entry {{ x0 }}.", "The entry {{x0}} and $x = {{ x }}$."])
def test_a_name_is_fine(written: str) -> None:
    bank, problems = load_bank(BANK.format(text=written), "questions/week07-placeholders.yaml")
    assert bank is not None, [str(p) for p in problems]


def test_what_is_refused_is_exactly_what_rendering_leaves_as_typed() -> None:
    template = "{{ a }} {{ a[0] }} {{ a.shape }} {{a}}"
    assert [text for _, text in unsupported_placeholders(template)] == ["{{ a[0] }}", "{{ a.shape }}"]
    shown = render_template(template, {"a": 3})
    assert "{{ a[0] }}" in shown and "{{ a.shape }}" in shown and "{{ a }}" not in shown
