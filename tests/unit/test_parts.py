"""Questions in `parts:`: validated once, expanded into one Question per part (`<question>.<part>`) that
shares the question's code and seeds; mistakes located at the line and part they are in."""
from __future__ import annotations

import pytest

from quizserver.bank import load_bank
from quizserver.bank.pool import PART_MARK, pool_seeds, render_entries, split_part_html
from quizserver.bank.verify import question_seeds, verify_bank

BANK = """\
version: 1
week: 4
title: Parts
questions:
  - id: neuron
    title: One neuron
    text: Take $w = {{ w }}$ and $x = {{ x }}$.
    params:
      w: {uniform: [-2, 2], round: 1}
      x: {uniform: [-2, 2], round: 1}
      eps: 1.0e-5
    require: 0.2 <= abs(w * x) <= 1.5
    solution: |
      z = w * x
      y = np.tanh(z)
      dy_dw = (1 - y ** 2) * x
    max_attempts: 3
    parts:
      - id: forward
        type: numeric
        points: 1
        text: Give $y = \\tanh(w x)$.
        answer: y
        tolerance: {sigfig: 3}
        check: {equals: "np.tanh(w * x)"}
      - id: backward
        after: forward
        type: numeric
        points: 2
        text: With $y = {{ y }}$, give $\\partial y / \\partial w$.
        answer: dy_dw
        max_attempts: 5
        check: {gradient_of: "np.tanh(w * x)", wrt: w}
      - id: which
        type: single_choice
        points: 1
        text: Is $w = {{ w }}$ positive?
        choices:
          - {text: "yes", correct: true}
          - {text: "no", feedback: "Look at the sign of w."}
"""


def _loaded(text: str = BANK):
    return load_bank(text, "week04.yaml")


def test_each_part_becomes_a_question_of_its_own() -> None:
    bank, problems = _loaded()
    assert bank is not None, [str(p) for p in problems]
    forward, backward, which = bank.questions
    assert [q.id for q in bank.questions] == ["neuron.forward", "neuron.backward", "neuron.which"]
    assert [q.label for q in bank.questions] == ["a", "b", "c"]
    assert {q.group for q in bank.questions} == {"neuron"} and {q.group_title for q in bank.questions} == {"One neuron"}
    assert forward.answer_names == ("y",) and backward.answer_names == ("dy_dw",)
    assert forward.after is None and backward.after == "neuron.forward"
    assert forward.tolerance.sigfig == 3 and backward.tolerance.sigfig is None
    assert forward.max_attempts == 3 and backward.max_attempts == 5  # inherited, and overridden
    assert forward.solution == backward.solution == which.solution and forward.params == which.params
    assert forward.stem == "Take $w = {{ w }}$ and $x = {{ x }}$."
    assert which.is_choice and which.choice_key() == ["a"]
    assert bank.parts_of("neuron") == bank.questions and bank.total_points == 4
    assert forward.line_of("solution") == 13 and backward.line_of("check") == 33


def test_the_parts_share_their_seeds_and_so_their_numbers() -> None:
    bank, _ = _loaded()
    assert bank is not None
    seeds = {tuple(question_seeds(0, q, 5)) for q in bank.questions}
    pools = {tuple(pool_seeds(bank.week, q.seed_id, 5)) for q in bank.questions}
    assert len(seeds) == len(pools) == 1


def test_a_question_in_parts_passes_quiz_check() -> None:
    bank, _ = _loaded()
    assert bank is not None
    assert [str(p) for p in verify_bank(bank, variants=20)] == []


def test_each_part_stores_the_shared_text_before_its_own() -> None:
    bank, _ = _loaded()
    assert bank is not None
    backward = bank.questions[1]
    from quizserver.bank.verify import generate_samples
    from quizserver.sandbox import get_runner

    samples = generate_samples(backward, [3], get_runner()).samples
    entries, problems = render_entries(bank.path, backward, samples)
    assert problems == [] and PART_MARK in entries[0].text_html
    stem, own = split_part_html(entries[0].text_html)
    assert "Take" in stem and "With" in own and "Take" not in own
    assert entries[0].answer == samples[0].names["dy_dw"]
    assert split_part_html("<p>plain</p>") == ("", "<p>plain</p>")


@pytest.mark.parametrize(
    ("old", "new", "line", "question", "message"),
    [
        ("        after: forward\n", "        after: which\n", 27, "neuron.backward",
         "after must name an earlier part of this question (those are: forward), got 'which'"),
        ("        after: forward\n", "        after: backward\n", 27, "neuron.backward",
         "after must name an earlier part of this question (those are: forward), got 'backward'"),
        # (b) shows (a)'s key, so it must come after (a)
        ("        after: forward\n", "", 29, "neuron.backward",
         "the text shows y, the answer of part 'forward': add after: forward so this part stays hidden"),
        ("    text: Take $w = {{ w }}$ and $x = {{ x }}$.", "    text: Take $w = {{ w }}$ and {{ y }}.", 7, "neuron",
         "the text shows y, the answer of part 'forward', before any part is answered"),
        ("        answer: dy_dw\n", "        answer: dz\n", 31, "neuron.backward",
         "solution never assigns dz, named by answer"),
        ("      - id: backward\n", "      - id: forward\n", 26, "neuron.forward",
         "duplicate part id 'forward'; already used on line 19"),
        ("        points: 2\n", "        point: 2\n", 29, "neuron.backward",
         "unknown key 'point', did you mean 'points'?"),
        ("        answer: y\n", "        answer: y\n        solution: y = 1\n", 24, "neuron.forward",
         "solution belongs to the question, not to a part: its parts share it"),
        ("    max_attempts: 3\n", "    type: numeric\n", 17, "neuron", "unknown key 'type'"),
        ("        answer: y\n", "        answer: {any_of: [y, y]}\n", 23, "neuron.forward",
         "any_of names the same key twice"),
        ("        answer: y\n", "        answer: {any_of: [y, v]}\n", 23,
         "neuron.forward", "solution never assigns v, named by answer"),
        ("    parts:\n", "    parts: []\n    old:\n", 19, "neuron", "unknown key 'old'"),
    ],
)
def test_mistakes_in_parts(old: str, new: str, line: int, question: str, message: str) -> None:
    assert old in BANK
    bank, problems = _loaded(BANK.replace(old, new, 1))
    assert bank is None
    errors = [p for p in problems if p.severity == "error"]
    assert any(p.message.startswith(message) and p.question == question for p in errors), [str(p) for p in errors]
    assert any(p.line == line for p in errors if p.message.startswith(message)), [str(p) for p in errors]


def test_a_gradient_cannot_check_alternative_keys() -> None:
    text = BANK.replace("        answer: dy_dw\n", "        answer: {any_of: [dy_dw, z]}\n")
    bank, problems = _loaded(text)
    assert bank is None
    assert any("a gradient has one value, so it cannot check alternative keys" in p.message for p in problems)


def test_a_bank_in_todays_format_loads_unchanged() -> None:
    plain = """\
version: 1
week: 4
title: Plain
questions:
  - id: q
    type: numeric
    points: 1
    text: Give {{ k }}.
    params:
      k: {randint: [1, 1000]}
    solution: answer = float(k)
    tolerance: {rtol: 0.01, atol: 1.0e-6}
"""
    bank, problems = load_bank(plain, "week04.yaml")
    assert bank is not None and problems == []
    (question,) = bank.questions
    assert (question.group, question.answer_names, question.any_of, question.seed_id) == (None, ("answer",), False, "q")
