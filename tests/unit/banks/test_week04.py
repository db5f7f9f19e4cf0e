"""Week 4 bank (losses, activations, initialization): recompute the keys by routes other than the bank's own."""
from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from ._util import SEEDS, complex_step_gradient, draw_variant, load_week, question, solve_with

BANK_FILE = "week04-losses-activations.yaml"


@pytest.fixture(scope="module")
def bank():
    return load_week(BANK_FILE)[0]


def test_bank_loads_without_any_problem():
    bank, problems = load_week(BANK_FILE)
    assert [str(p) for p in problems] == []
    assert bank.week == 4
    assert [q.id for q in bank.questions] == [
        "softmax-probs", "softmax-ce-grad-logits", "softmax-regression-grad", "bce-sigmoid-grad",
        "activation-grads", "gelu-derivative", "init-scales", "standardize-input", "he-init-why",
        "activation-facts",
    ]



@pytest.mark.parametrize(
    "question_id",
    ["softmax-ce-grad-logits", "softmax-regression-grad", "bce-sigmoid-grad", "activation-grads", "gelu-derivative"],
)
def test_gradient_questions_are_checked_by_differentiation(bank, question_id):
    check = question(bank, question_id).check
    assert check is not None and check.gradient_of and check.wrt



def softmax_by_loop(z):
    exps = [math.exp(zk) for zk in z]
    return np.array([e / sum(exps) for e in exps])


def softmax_ce_grad_by_complex_step(p):
    return complex_step_gradient(lambda z: np.log(np.sum(np.exp(z))) - z[int(p["y"])], p["z"])


def softmax_regression_grad_by_complex_step(p):
    def loss(W):
        z = W @ p["x"]
        return np.log(np.sum(np.exp(z))) - z[int(p["y"])]

    return complex_step_gradient(loss, p["W"])


def bce_grad_by_complex_step(p):
    def loss(a):
        s = 1 / (1 + np.exp(-a))
        return -(p["y"] * np.log(s) + (1 - p["y"]) * np.log(1 - s))

    return complex_step_gradient(loss, p["a"])


def activation_grads_by_complex_step(p):
    relu_slope = 1.0 if p["a"][2] > 0 else 0.0  # ReLU is not analytic; its slope is read off the side of 0

    def loss(a):
        return p["g"][0] / (1 + np.exp(-a[0])) + p["g"][1] * np.tanh(a[1]) + p["g"][2] * relu_slope * a[2]

    return complex_step_gradient(loss, p["a"])


def gelu_derivative_by_central_difference(p):
    def gelu(x):
        return x * statistics.NormalDist().cdf(x)

    h = 1e-5
    return (gelu(p["x"] + h) - gelu(p["x"] - h)) / (2 * h)


def init_scales_by_variance(p):
    # a uniform on [-a, a] has variance a^2 / 3; solve for a
    return np.array([math.sqrt(3 * 2 / (p["n_in"] + p["n_out"])), (2 / p["n_in"]) ** 0.5])


def standardized_by_statistics(p):
    columns = p["X"].T
    return np.array(
        [(xn - statistics.fmean(c)) / statistics.pstdev(c) for xn, c in zip(p["x_new"], columns, strict=True)]
    )


INDEPENDENT_ROUTES = {
    "softmax-probs": lambda p: softmax_by_loop(p["z"]),
    "softmax-ce-grad-logits": softmax_ce_grad_by_complex_step,
    "softmax-regression-grad": softmax_regression_grad_by_complex_step,
    "bce-sigmoid-grad": bce_grad_by_complex_step,
    "activation-grads": activation_grads_by_complex_step,
    "gelu-derivative": gelu_derivative_by_central_difference,
    "init-scales": init_scales_by_variance,
    "standardize-input": standardized_by_statistics,
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("question_id", sorted(INDEPENDENT_ROUTES))
def test_key_matches_an_independent_route(bank, question_id, seed):
    params, key = draw_variant(question(bank, question_id), seed)
    expected = INDEPENDENT_ROUTES[question_id](params)
    np.testing.assert_allclose(key, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    ("question_id", "params", "expected"),
    [
        # exp(0), exp(-2), exp(-1) over their sum 1.503215
        ("softmax-probs", {"z": [2, 0, 1]}, [0.665241, 0.090031, 0.244728]),
        # equal logits: p = 1/3 each, minus the one-hot target
        ("softmax-ce-grad-logits", {"z": [0.5, 0.5, 0.5], "y": 1}, [1 / 3, -2 / 3, 1 / 3]),
        # z = Wx = [2, 1, -1]; p = [0.705385, 0.259496, 0.035119]; delta = p - e_1; outer with x = [2, -1]
        (
            "softmax-regression-grad",
            {"W": [[1, 0], [1, 1], [0, 1]], "x": [2, -1], "y": 0},
            [[-0.589231, 0.294615], [0.518993, -0.259496], [0.070238, -0.035119]],
        ),
        ("bce-sigmoid-grad", {"a": 0.0, "y": 1}, -0.5),  # sigma(0) = 1/2
        ("bce-sigmoid-grad", {"a": 2.0, "y": 0}, 0.880797),  # sigma(2)
        # sigma'(0) = 1/4, tanh'(0) = 1, ReLU'(positive) = 1, times g
        ("activation-grads", {"a": [0.0, 0.0, 1.5], "g": [2, -1, 3]}, [0.5, -1.0, 3.0]),
        ("gelu-derivative", {"x": 0.0}, 0.5),  # Phi(0) + 0
        ("gelu-derivative", {"x": 1.0}, 1.083315),  # Phi(1) = 0.841345, phi(1) = 0.241971
        ("init-scales", {"n_in": 64, "n_out": 64}, [math.sqrt(6 / 128), 0.176777]),
        ("init-scales", {"n_in": 512, "n_out": 256}, [0.0883883, 0.0625]),
        # columns: mean 5, std 2 (values 3, 3, 7, 7) and mean 2, std 1 (values 1, 3, 1, 3)
        ("standardize-input", {"X": [[3, 1], [3, 3], [7, 1], [7, 3]], "x_new": [8, 0]}, [1.5, -2.0]),
    ],
)
def test_key_matches_a_case_worked_by_hand(bank, question_id, params, expected):
    key = solve_with(question(bank, question_id), **params)
    np.testing.assert_allclose(key, expected, rtol=1e-5, atol=1e-9)
