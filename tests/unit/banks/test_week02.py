"""Week 2 bank (backpropagation): recompute the keys by routes other than the bank's solution and check."""
from __future__ import annotations

import math

import numpy as np
import pytest

from ._util import SEEDS, complex_step_gradient, draw_variant, load_week, question, sigmoid, solve_with

BANK_FILE = "week02-backprop.yaml"


@pytest.fixture(scope="module")
def bank():
    return load_week(BANK_FILE)[0]


def test_bank_loads_without_any_problem():
    bank, problems = load_week(BANK_FILE)
    assert [str(p) for p in problems] == []
    assert bank.week == 2
    assert [q.id for q in bank.questions] == [
        "graph.forward", "graph.backward", "chain-rule-neuron.activation", "chain-rule-neuron.grad-w", "logreg-grad-w",
        "two-layer-batch-grad-w1",
        "linear-layer-grad-x", "gate-rules", "why-reverse-mode",
    ]




def graph_output_multiplied_out(p):
    x, y, z = p["x"], p["y"], p["z"]
    return x * y * z + y * y * z


def fanout_derivative_of_polynomial(p):
    # f = x y z + y^2 z, so df/dy = x z + 2 y z
    return p["x"] * p["z"] + 2 * p["y"] * p["z"]


def neuron_gradient_by_complex_step(p):
    return complex_step_gradient(lambda w: 0.5 * (sigmoid(w * p["x"] + p["b"]) - p["t"]) ** 2, p["w"])


def batch_cross_entropy(p, w, b):
    prob = sigmoid(p["X"] @ w + b)
    return -np.mean(p["y"] * np.log(prob) + (1 - p["y"]) * np.log(1 - prob))


def logreg_w_by_complex_step(p):
    return complex_step_gradient(lambda w: batch_cross_entropy(p, w, p["b"]), p["w"])


def two_layer_grad_by_examples(p):
    """One example at a time, as for a single input, then the mean over the batch."""
    total = np.zeros((2, 2))
    for x, y in zip(p["X"], p["y"], strict=True):
        z = p["W1"] @ x
        error = p["w2"] @ np.maximum(z, 0) - y
        total += np.outer(error * p["w2"] * (z > 0), x)
    return total / len(p["y"])


def linear_grad_by_entries(p):
    W, x, t = p["W"], p["x"], p["t"]
    residual = [sum(W[i, k] * x[k] for k in range(3)) - t[i] for i in range(2)]
    return np.array([sum(residual[i] * W[i, k] for i in range(2)) for k in range(3)])


RECOMPUTED = [
    ("graph.forward", graph_output_multiplied_out),
    ("graph.backward", fanout_derivative_of_polynomial),
    ("chain-rule-neuron.activation", lambda p: sigmoid(p["w"] * p["x"] + p["b"])),
    ("chain-rule-neuron.grad-w", neuron_gradient_by_complex_step),
    ("logreg-grad-w", logreg_w_by_complex_step),
    ("two-layer-batch-grad-w1", two_layer_grad_by_examples),
    ("linear-layer-grad-x", linear_grad_by_entries),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("question_id", "recompute"), RECOMPUTED, ids=[row[0] for row in RECOMPUTED])
def test_key_matches_an_independent_route(bank, question_id, recompute, seed):
    params, key = draw_variant(question(bank, question_id), seed)
    np.testing.assert_allclose(key, recompute(params), rtol=1e-9, atol=1e-12)


# worked by hand on paper
HAND_WORKED = [
    ("graph.forward", {"x": 2, "y": 3, "z": -4}, -60),  # a = 5, b = -12
    ("graph.backward", {"x": 2, "y": 3, "z": -4}, -32),  # b + a z = -12 - 20
    ("chain-rule-neuron.activation", {"w": 1.0, "x": 2.0, "b": 0.0, "t": 1}, sigmoid(2.0)),
    ("chain-rule-neuron.grad-w", {"w": 1.0, "x": 2.0, "b": 0.0, "t": 1},
     (sigmoid(2.0) - 1) * sigmoid(2.0) * (1 - sigmoid(2.0)) * 2.0),
    # Z = X: example 1 uses unit 1 only, example 2 unit 2 only; errors 1 and 2, halved by the mean
    ("two-layer-batch-grad-w1", {"X": [[1, 0], [0, 1]], "W1": [[1, 0], [0, 1]], "w2": [1, 2], "y": [0, 0]},
     [[0.5, 0], [0, 2]]),
    # unit 2 is off for both examples; y_hat = [2, 1], so only example 1 has an error (1, halved by the mean)
    ("two-layer-batch-grad-w1", {"X": [[1, 1], [2, -1]], "W1": [[1, 1], [-1, 0]], "w2": [1, -1], "y": [1, 1]},
     [[0.5, 0.5], [0, 0]]),
    ("linear-layer-grad-x", {"W": [[1, 2, -2], [2, 0, 0]], "x": [1, -1, 2], "t": [-2, -1]},
     [3, -6, 6]),  # u = [-5, 2], r = [-3, 3]
]


@pytest.mark.parametrize(("question_id", "params", "expected"), HAND_WORKED, ids=[row[0] for row in HAND_WORKED])
def test_hand_worked_variant(bank, question_id, params, expected):
    key = solve_with(question(bank, question_id), params)
    np.testing.assert_allclose(key, expected, rtol=1e-12, atol=0)


def test_dropping_a_branch_is_never_the_key(bank):
    # the fan-out question is only worth asking if forgetting one of y's two paths gives a different number
    for seed in SEEDS:
        params, key = draw_variant(question(bank, "graph.backward"), seed)
        only_via_a = params["y"] * params["z"]
        only_via_b = (params["x"] + params["y"]) * params["z"]
        assert not math.isclose(key, only_via_a, rel_tol=0.01)
        assert not math.isclose(key, only_via_b, rel_tol=0.01)
