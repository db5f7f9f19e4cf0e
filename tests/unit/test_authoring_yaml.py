"""What docs/authoring.md says about writing YAML holds: LaTeX in single quotes or blocks, comments,
multi-line expressions as `|-` blocks, constant parameters, and the shape rule."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from quizserver.bank import load_bank
from quizserver.checking import check_paths
from quizserver.config import PROJECT_ROOT
from quizserver.render import render_markdown

GUIDE = (PROJECT_ROOT / "docs" / "authoring.md").read_text()

BANK = r"""version: 1
week: 9
title: YAML as the guide writes it
questions:
  - id: mse
    type: numeric
    points: 1
    text: 'With $\frac{1}{n}$ over the batch, the model''s loss for $w = {{ w }}$ and $\mathbf x = {{ x }}$?'
    params:
      x: {randint: [-3, 3], shape: [4]}   # small integers: the key stays readable on the page
      w: {choice: [-2, -1, 1, 2]}
      eps: 1.0e-5                         # a constant: the same in every variant
    # a zero key would make a relative tolerance meaningless
    require: np.mean((w * x) ** 2) >= 0.5
    solution: |
      # a Python comment inside the block
      answer = float(np.mean((w * x) ** 2)) + eps
    check:
      equals: |-
        (np.sum((w * x) ** 2)
         / len(x)
         + eps)
    explanation: |
      A block needs no quotes: $\nabla_w L = \frac{2}{n} \sum_i w x_i^2$.
"""


def test_the_guides_yaml_advice_loads_checks_and_renders(tmp_path: Path) -> None:
    path = tmp_path / "week09-yaml.yaml"
    path.write_text(BANK)
    result = check_paths([path], variants=10, seed=0)  # the same random draws every run
    assert [str(p) for p in result.problems] == []
    bank, _ = load_bank(BANK, str(path))
    assert bank is not None
    text = bank.questions[0].text
    assert "\\frac{1}{n}" in text and "model's" in text
    assert "<mfrac>" in render_markdown(text)


@pytest.mark.parametrize(
    ("double_quoted", "what_yaml_does"),
    [('"$\\frac{1}{2}$"', "\x0c"), ('"$a \\times b$"', "\t")],
)
def test_double_quotes_eat_backslashes_as_the_guide_warns(double_quoted: str, what_yaml_does: str) -> None:
    assert what_yaml_does in yaml.safe_load(f"text: {double_quoted}")["text"]


def test_double_quotes_refuse_an_unknown_escape() -> None:
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load('text: "$\\sigma$"')


@pytest.mark.parametrize(
    "advice",
    [
        "LaTeX goes in single-quoted strings or `|` blocks, never in double quotes.",
        "**Comments.**",
        "**Long expressions over several lines.**",
        "A plain number (or a list of numbers) is a constant",
        "**Wrong shapes**, one rule (`counts_as_other_size` in `grading/grade.py`)",
        "`{{ ... }}` holds a name and nothing else",
    ],
)
def test_the_guide_gives_the_advice(advice: str) -> None:
    assert advice in GUIDE
