"""Week 3 bank (deep networks): recompute the keys by routes other than the bank's solution and check."""
from __future__ import annotations

import numpy as np
import pytest

from quizserver.sandbox import get_runner

from ._util import SEEDS, draw_variant, load_week, question, solve_with

BANK_FILE = "week03-deep-networks.yaml"
XOR_INPUTS = ((0, 0), (0, 1), (1, 0), (1, 1))


@pytest.fixture(scope="module")
def bank():
    return load_week(BANK_FILE)[0]


def test_bank_loads_without_any_problem():
    bank, problems = load_week(BANK_FILE)
    assert [str(p) for p in problems] == []
    assert bank.week == 3
    assert [q.id for q in bank.questions] == [
        "xor-network", "mlp-forward", "mlp-grad-w1", "mlp-grad-b1", "residual-block-grad-x", "parameter-count",
        "linear-collapse", "universal-approximation", "depth-and-nonlinearity",
    ]




def relu(v):
    return max(v, 0.0)


def xor_outputs_by_unit(p):
    outputs = []
    for x1, x2 in XOR_INPUTS:
        h1 = relu(x1 + x2 - p["t1"])
        h2 = relu(x1 + x2 - p["t2"])
        outputs.append(h1 - p["lam"] * h2)
    return np.array(outputs)


def mlp_output_by_unit(p):
    W1, b1, w2, x = p["W1"], p["b1"], p["w2"], p["x"]
    total = p["b2"]
    for j in range(3):
        total += w2[j] * relu(W1[j, 0] * x[0] + W1[j, 1] * x[1] + b1[j])
    return total


def hidden_deltas_by_unit(p, inputs):
    """dL/dz_j, one hidden unit at a time, for L = (yhat - y)^2 / 2 and yhat = sum_j w2_j relu(z_j)."""
    W1, b1, w2, x = p["W1"], p["b1"], p["w2"], p["x"]
    z = [sum(W1[j, k] * x[k] for k in range(inputs)) + b1[j] for j in range(len(b1))]
    yhat = sum(w2[j] * relu(z[j]) for j in range(len(b1)))
    return [(yhat - p["y"]) * w2[j] * (1.0 if z[j] > 0 else 0.0) for j in range(len(b1))]


def grad_w1_by_entries(p):
    delta = hidden_deltas_by_unit(p, inputs=3)
    return np.array([[delta[j] * p["x"][k] for k in range(3)] for j in range(2)])


def grad_b1_by_unit(p):
    return np.array(hidden_deltas_by_unit(p, inputs=2))


def parameter_count_by_shapes(p):
    sizes = [p["d0"], p["d1"], p["d2"], p["d3"]]
    shapes = [(k, m) for m, k in zip(sizes, sizes[1:], strict=False)] + [(k,) for k in sizes[1:]]
    return sum(int(np.prod(shape)) for shape in shapes)


def collapsed_weights_by_entries(p):
    W1, W2 = p["W1"], p["W2"]
    return np.array([[sum(W2[i, j] * W1[j, k] for j in range(3)) for k in range(2)] for i in range(2)])


def residual_gradient_by_jacobian(p):
    """The block's Jacobian I + W2 diag(relu') W1, transposed, applied to the upstream gradient."""
    mask = np.diag((p["W1"] @ p["x"] > 0).astype(float))
    jacobian = np.eye(3) + p["W2"] @ mask @ p["W1"]
    return jacobian.T @ p["g"]


RECOMPUTED = [
    ("residual-block-grad-x", residual_gradient_by_jacobian),
    ("xor-network", xor_outputs_by_unit),
    ("mlp-forward", mlp_output_by_unit),
    ("mlp-grad-w1", grad_w1_by_entries),
    ("mlp-grad-b1", grad_b1_by_unit),
    ("parameter-count", parameter_count_by_shapes),
    ("linear-collapse", collapsed_weights_by_entries),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("question_id", "recompute"), RECOMPUTED, ids=[row[0] for row in RECOMPUTED])
def test_key_matches_an_independent_route(bank, question_id, recompute, seed):
    params, key = draw_variant(question(bank, question_id), seed)
    np.testing.assert_allclose(key, recompute(params), rtol=1e-9, atol=1e-12)


# worked by hand on paper
HAND_WORKED = [
    ("xor-network", {"t1": 0, "t2": 1, "lam": 2}, [0, 1, 1, 0]),  # the textbook XOR network
    ("xor-network", {"t1": 0.5, "t2": 1.5, "lam": 4}, [0, 0.5, 0.5, -0.5]),
    ("mlp-forward", {"x": [1, -2], "W1": [[-2, 0], [-2, -2], [0, 2]], "b1": [0, 1, 1], "w2": [2, 1, 0], "b2": 0},
     3),  # z = [-2, 3, -3], h = [0, 3, 0]
    ("mlp-grad-w1", {"x": [1, 2, 1], "W1": [[-1, 1, 0], [-2, -2, 1]], "b1": [0, 0], "w2": [-1, -1], "y": -2},
     [[-1, -2, -1], [0, 0, 0]]),  # z = [1, -5], yhat = -1, dL/dz = [-1, 0]
    ("mlp-grad-b1", {"x": [-1, 0], "W1": [[-1, -1], [2, -2], [-2, -2]], "b1": [1, 1, 1], "w2": [-1, 1, -1], "y": 0},
     [5, 0, 5]),  # z = [2, -1, 3], yhat = -5
    # z = [1, -1]: only unit 1 passes; W2^T g = [2, 2]
    ("residual-block-grad-x", {"W1": [[1, 0, 0], [0, 1, 0]], "W2": [[1, 0], [0, 1], [1, 1]], "x": [1, -1, 2],
                               "g": [1, 1, 1]}, [3, 1, 1]),
    ("parameter-count", {"d0": 784, "d1": 64, "d2": 32, "d3": 10}, 50240 + 2080 + 330),
    ("linear-collapse", {"W1": [[2, 1], [1, 2], [0, 1]], "W2": [[2, -1, -2], [-1, -1, 2]]}, [[3, -2], [-3, -1]]),
]


@pytest.mark.parametrize(("question_id", "params", "expected"), HAND_WORKED,
                         ids=[f"{row[0]}-{i}" for i, row in enumerate(HAND_WORKED)])
def test_hand_worked_variant(bank, question_id, params, expected):
    key = solve_with(question(bank, question_id), params)
    np.testing.assert_array_equal(key, expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_residual_branch_changes_the_gradient(bank, seed):
    """Keeping only the identity path (answering g) must be wrong."""
    params, key = draw_variant(question(bank, "residual-block-grad-x"), seed)
    assert np.count_nonzero(key - params["g"]) >= 2


def test_every_xor_variant_separates_xor(bank):
    q = question(bank, "xor-network")
    variants = get_runner().generate_many([p.as_dict() for p in q.params], q.require, q.solution, list(range(200)))
    keys = {tuple(v["names"]["answer"]) for v in variants}
    assert len(keys) >= 8  # nearly all of the allowed (t1, t2, lam) combinations
    for key in keys:
        assert min(key[1], key[2]) > max(key[0], key[3]), key
