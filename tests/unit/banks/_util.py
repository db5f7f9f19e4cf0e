"""Shared by the weekly bank tests: load a bank, draw a variant, pin a hand-worked case, differentiate."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from quizserver.bank import Bank, Question, load_bank_file
from quizserver.bank.verify import answer_request
from quizserver.grading import alternatives
from quizserver.sandbox import get_runner

QUESTIONS_DIR = Path(__file__).resolve().parents[3] / "questions"
SEEDS = (0, 1, 2, 3, 5, 17, 256, 4242, 99991)


def load_week(filename: str) -> tuple[Bank, list[Any]]:
    bank, problems = load_bank_file(QUESTIONS_DIR / filename)
    errors = [str(p) for p in problems if p.severity == "error"]
    assert bank is not None and not errors, errors
    return bank, problems


def question(bank: Bank, question_id: str) -> Question:
    found = bank.question(question_id)
    assert found is not None, f"{question_id} is not in {bank.path}"
    return found


def draw_variant(q: Question, seed: int) -> tuple[dict[str, Any], np.ndarray]:
    """(params with lists as float arrays, the answer key as an array) for one student's seed."""
    variant = get_runner().generate_many(
        [p.as_dict() for p in q.params], q.require, q.solution, [seed], **answer_request(q)
    )[0]
    assert isinstance(variant, dict), variant
    params = {k: np.asarray(v, dtype=float) if isinstance(v, list) else v for k, v in variant["params"].items()}
    return params, key_array(q, variant["names"])


def key_array(q: Question, names: dict[str, Any]) -> np.ndarray:
    """The key as an array; a key with alternatives (any_of) as the stack of them."""
    return np.asarray(alternatives(q.key_from(names)) if q.any_of else q.key_from(names), dtype=float)


def solve_with(q: Question, params: dict[str, Any] | None = None, /, **named: Any) -> np.ndarray:
    """The key the bank's own solution gives for params chosen by hand (require is not consulted)."""
    values = {**(params or {}), **named}
    assert set(values) == {p.name for p in q.params}, f"give every param of {q.id}"
    assignments = "".join(
        f"{name} = np.array({np.asarray(value).tolist()!r})\n" if np.ndim(value) else f"{name} = {value!r}\n"
        for name, value in values.items()
    )
    variant = get_runner().generate_many([], None, assignments + (q.solution or ""), [0], **answer_request(q))[0]
    assert isinstance(variant, dict), variant
    return key_array(q, variant["names"])


def complex_step_gradient(loss: Callable[[Any], Any], point: Any, step: float = 1e-30) -> np.ndarray:
    """d loss / d point by the complex-step method: exact to rounding, with no cancellation, for analytic losses."""
    point = np.asarray(point, dtype=float)
    grad = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        shifted = point.astype(complex)
        shifted[index] += 1j * step
        grad[index] = np.imag(loss(shifted if point.ndim else shifted[()])) / step
    return grad


def sigmoid(z: Any) -> Any:
    return 1 / (1 + np.exp(-z))


def bank_bar(bank: Bank) -> dict[str, bool]:
    """The figures every weekly bank must meet, so one failed assertion shows them all."""
    computed = [q for q in bank.questions if q.type in ("numeric", "integer", "matrix")]
    choice = [q for q in bank.questions if q.is_choice]
    gradient_like = [q for q in computed if "grad" in q.id]
    return {
        "questions>=7": len(bank.questions) >= 7,
        "randomized numeric/matrix>=5": len([q for q in computed if q.type != "integer" and q.params]) >= 5,
        "choice>=1": len(choice) >= 1,
        "every computed question has a check": all(q.check is not None for q in computed),
        "gradient questions check gradient_of": all(q.check and q.check.gradient_of for q in gradient_like),
        "every wrong choice has feedback": all(c.feedback.strip() for q in choice for c in q.choices if not c.correct),
        "every question has a title and an explanation": all(
            (q.title or q.group_title) and q.explanation.strip() for q in bank.questions
        ),
        "points 1, 2 and 3 all used": {q.points for q in bank.questions} == {1, 2, 3},
    }
