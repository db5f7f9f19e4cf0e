"""Week 1 bank (ML basics): recompute the keys by routes other than the bank's solution and check."""
from __future__ import annotations

import math

import numpy as np
import pytest

from ._util import SEEDS, complex_step_gradient, draw_variant, load_week, question, sigmoid, solve_with

BANK_FILE = "week01-ml-basics.yaml"


@pytest.fixture(scope="module")
def bank():
    return load_week(BANK_FILE)[0]


def test_bank_loads_without_any_problem():
    bank, problems = load_week(BANK_FILE)
    assert [str(p) for p in problems] == []
    assert bank.week == 1
    assert [q.id for q in bank.questions] == [
        "linreg-mse", "linreg-normal-equation", "linreg-gd-step", "logreg-probability",
        "logreg-cross-entropy", "logreg-gradient", "data-splits", "fitting-diagnosis",
    ]




def mse_by_loop(p):
    return sum((p["w"] * xi + p["b"] - yi) ** 2 for xi, yi in zip(p["x"], p["y"], strict=True)) / len(p["x"])


def least_squares_by_polyfit(p):
    slope, intercept = np.polyfit(p["x"], p["y"], 1)
    return np.array([intercept, slope])


def gd_step_by_example_loop(p):
    grad = np.zeros(2)
    for xi, yi in zip(p["X"], p["y"], strict=True):
        grad += 2 * (xi @ p["w"] - yi) * xi / len(p["y"])
    return p["w"] - p["lr"] * grad


def probability_by_odds(p):
    odds = math.exp(sum(wi * xi for wi, xi in zip(p["w"], p["x"], strict=True)) + p["b"])
    return odds / (1 + odds)


def cross_entropy_by_cases(p):
    total = 0.0
    for pi, yi in zip(p["p"], p["y"], strict=True):
        total += -math.log(pi) if yi == 1 else -math.log(1 - pi)
    return total / len(p["p"])


def logistic_gradient_by_complex_step(p):
    def loss(w):
        prob = sigmoid(w @ p["x"] + p["b"])
        return -(p["y"] * np.log(prob) + (1 - p["y"]) * np.log(1 - prob))

    return complex_step_gradient(loss, p["w"])


RECOMPUTED = [
    ("linreg-mse", mse_by_loop),
    ("linreg-normal-equation", least_squares_by_polyfit),
    ("linreg-gd-step", gd_step_by_example_loop),
    ("logreg-probability", probability_by_odds),
    ("logreg-cross-entropy", cross_entropy_by_cases),
    ("logreg-gradient", logistic_gradient_by_complex_step),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("question_id", "recompute"), RECOMPUTED, ids=[row[0] for row in RECOMPUTED])
def test_key_matches_an_independent_route(bank, question_id, recompute, seed):
    params, key = draw_variant(question(bank, question_id), seed)
    np.testing.assert_allclose(key, recompute(params), rtol=1e-9, atol=1e-12)


# worked by hand: the residuals, the 2x2 inverse and the sigmoid on paper
HAND_WORKED = [
    ("linreg-mse", {"x": [2, -3, -2, -2], "y": [-3, 3, 3, 1], "w": -2, "b": -2}, 12 / 4),
    ("linreg-normal-equation", {"x": [2, -2, -1, -1], "y": [-2, 2, 3, 1]}, [16 / 36, -40 / 36]),
    ("linreg-gd-step", {"X": [[2, -2], [-2, -1], [-2, 2], [2, 0]], "y": [-2, -2, -1, 0], "w": [0, 0], "lr": 0.1},
     [0.1, 0.2]),
    ("logreg-probability", {"w": [0, -1, 2], "x": [-0.3, 0.3, 1.0], "b": 0.0}, 1 / (1 + math.exp(-1.7))),
    ("logreg-cross-entropy", {"p": [0.8, 0.1, 0.2, 0.2], "y": [0, 1, 1, 1]}, (3 * math.log(5) + math.log(10)) / 4),
    ("logreg-gradient", {"w": [2, -2, -2], "x": [-1, -2, 2], "b": 1, "y": 1},
     [-(1 - 1 / (1 + math.e)) * v for v in (-1, -2, 2)]),
]


@pytest.mark.parametrize(("question_id", "params", "expected"), HAND_WORKED, ids=[row[0] for row in HAND_WORKED])
def test_hand_worked_variant(bank, question_id, params, expected):
    key = solve_with(question(bank, question_id), params)
    np.testing.assert_allclose(key, expected, rtol=1e-12, atol=0)
