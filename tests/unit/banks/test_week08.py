"""Week 8 bank (sequence models): recompute the keys by routes other than the bank's solution and check."""
from __future__ import annotations

import math

import numpy as np
import pytest

from ._util import SEEDS, complex_step_gradient, draw_variant, load_week, question, solve_with

BANK_FILE = "week08-rnn.yaml"


@pytest.fixture(scope="module")
def bank():
    return load_week(BANK_FILE)[0]


def test_bank_loads_without_any_problem():
    bank, problems = load_week(BANK_FILE)
    assert [str(p) for p in problems] == []
    assert (bank.week, bank.title) == (8, "Sequence models")
    assert [q.id for q in bank.questions] == [
        "rnn-forward", "rnn-bptt", "lstm-gates", "lstm-cell-hidden", "lstm-backward-cell", "lstm-backward-gates",
        "gru-step", "jacobian-product", "vanishing-steps", "clip-by-norm", "lstm-why", "rnn-gradient-facts",
    ]



def test_bptt_declares_a_gradient_check(bank):
    check = question(bank, "rnn-bptt").check
    assert check is not None and check.gradient_of and check.wrt == "w"



def sigmoid(a: float) -> float:
    return 1 / (1 + math.exp(-a))


def rnn_by_components(p):
    h = [0.0, 0.0]
    for x in (p["x1"], p["x2"], p["x3"]):
        h = [math.tanh(sum(p["W"][k][j] * h[j] for j in range(2)) + p["u"][k] * x + p["b"][k]) for k in range(2)]
    return h


def bptt_by_complex_step(p):
    def loss(w):
        h = 0.0
        for x in (p["x1"], p["x2"], p["x3"]):
            h = np.tanh(w * h + p["u"] * x)
        return 0.5 * (h - p["y"]) ** 2

    return complex_step_gradient(loss, p["w"])


def lstm_gates_by_rows(p):
    pre = [p["W"][k][0] * p["h_prev"] + p["W"][k][1] * p["x"] + p["b"][k] for k in range(4)]
    return [sigmoid(pre[0]), sigmoid(pre[1]), sigmoid(pre[2]), math.tanh(pre[3])]


def lstm_state_by_formula(p):
    c = p["f"] * p["c_prev"] + p["i"] * p["g"]
    return [c, p["o"] * math.tanh(c)]


def gru_by_formula(p):
    z = sigmoid(p["wz"] * p["h_prev"] + p["uz"] * p["x"] + p["bz"])
    r = sigmoid(p["wr"] * p["h_prev"] + p["ur"] * p["x"] + p["br"])
    candidate = math.tanh(p["wh"] * r * p["h_prev"] + p["uh"] * p["x"] + p["bh"])
    return [z, r, candidate, (1 - z) * p["h_prev"] + z * candidate]


def jacobian_by_index_sums(p):
    """d h3_i / d h0_m as the sum over every path i <- j <- k <- m through the three steps."""
    W, (h1, h2, h3) = p["W"], (p["h1"], p["h2"], p["h3"])
    return [[sum((1 - h3[i] ** 2) * W[i][j] * (1 - h2[j] ** 2) * W[j][k] * (1 - h1[k] ** 2) * W[k][m]
                 for j in range(2) for k in range(2)) for m in range(2)] for i in range(2)]


def vanishing_steps_by_repeated_product(p):
    factor, steps = 1.0, 0
    while factor >= p["eps"]:
        factor *= p["gamma"]
        steps += 1
    return steps


def lstm_step(a, c_prev):
    """(h_t, c_t) of one scalar LSTM step from the gate pre-activations; complex-safe."""
    f, i, o = (1 / (1 + np.exp(-a[k])) for k in range(3))
    c = f * c_prev + i * np.tanh(a[3])
    return o * np.tanh(c), c


def lstm_cell_gradient_by_complex_step(p):
    # L = dh * h_t + dc * c_t has exactly the upstream gradients the question gives
    def loss(c_prev):
        c = p["f"] * c_prev + p["i"] * p["g"]
        return p["dh"] * p["o"] * np.tanh(c) + p["dc"] * c

    return complex_step_gradient(loss, p["c_prev"])


def lstm_gate_gradients_by_complex_step(p):
    def loss(a):
        h, c = lstm_step(a, p["c_prev"])
        return p["dh"] * h + p["dc"] * c

    return complex_step_gradient(loss, p["a"])


def clipped_by_rescaling_loop(p):
    norm = math.sqrt(sum(g * g for g in p["g"]))
    return [g * p["tau"] / norm if norm > p["tau"] else g for g in p["g"]]


RECOMPUTED = [
    ("rnn-forward", rnn_by_components),
    ("lstm-backward-cell", lstm_cell_gradient_by_complex_step),
    ("lstm-backward-gates", lstm_gate_gradients_by_complex_step),
    ("clip-by-norm", clipped_by_rescaling_loop),
    ("rnn-bptt", bptt_by_complex_step),
    ("lstm-gates", lstm_gates_by_rows),
    ("lstm-cell-hidden", lstm_state_by_formula),
    ("gru-step", gru_by_formula),
    ("jacobian-product", jacobian_by_index_sums),
    ("vanishing-steps", vanishing_steps_by_repeated_product),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("question_id", "recompute"), RECOMPUTED, ids=[row[0] for row in RECOMPUTED])
def test_key_matches_an_independent_route(bank, question_id, recompute, seed):
    params, key = draw_variant(question(bank, question_id), seed)
    params = {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in params.items()}
    if question_id == "lstm-backward-gates":
        params["a"] = np.array(params["a"])
    np.testing.assert_allclose(key, recompute(params), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_lstm_gates_question_needs_the_cell_path_through_h(bank, seed):
    """Forgetting the path c_t -> h_t (using only the gradient from step t+1) must give a wrong answer."""
    params, key = draw_variant(question(bank, "lstm-backward-gates"), seed)
    a, c_prev, dc = params["a"], params["c_prev"], params["dc"]
    f, i = 1 / (1 + np.exp(-a[:2]))
    g = np.tanh(a[3])
    cell_only = dc * np.array([c_prev * f * (1 - f), g * i * (1 - i), 0.0, i * (1 - g**2)])
    assert np.any(np.abs(cell_only - key) > 0.02 * np.abs(key) + 1e-3)


@pytest.mark.parametrize("seed", SEEDS)
def test_clipping_always_happens_and_keeps_the_direction(bank, seed):
    params, key = draw_variant(question(bank, "clip-by-norm"), seed)
    assert math.isclose(float(np.linalg.norm(key)), params["tau"], rel_tol=1e-12)
    assert np.linalg.norm(params["g"]) > params["tau"]
    np.testing.assert_allclose(np.cross(key[:3], params["g"][:3]), 0, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_bptt_variant_uses_both_time_steps(bank, seed):
    """The point of the question: dropping the step-2 term must give a wrong answer at 1%."""
    params, key = draw_variant(question(bank, "rnn-bptt"), seed)
    h1 = math.tanh(params["u"] * params["x1"])
    h2 = math.tanh(params["w"] * h1 + params["u"] * params["x2"])
    h3 = math.tanh(params["w"] * h2 + params["u"] * params["x3"])
    last_step_only = (h3 - params["y"]) * (1 - h3**2) * h2
    assert abs(last_step_only - key) > 0.05 * abs(key)


# worked on paper (tanh and sigmoid values from a calculator)
HAND_WORKED = [
    ("lstm-cell-hidden", {"f": 0.7, "i": 0.7, "o": 0.6, "g": -0.4, "c_prev": -1.8}, [-1.54, 0.6 * math.tanh(-1.54)]),
    ("lstm-cell-hidden", {"f": 0.5, "i": 0.5, "o": 0.5, "g": 0.5, "c_prev": 1.5}, [1.0, 0.5 * math.tanh(1.0)]),
    ("lstm-gates", {"W": [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.5, 0.5]], "b": [0.0, 0.0, 0.0, 0.0],
                    "h_prev": 0.5, "x": 1},
     [0.5, sigmoid(0.5), sigmoid(1.0), math.tanh(0.75)]),
    ("gru-step", {"h_prev": 0.5, "x": 1, "wz": 0.0, "uz": 0.0, "bz": 0.0, "wr": 0.0, "ur": 0.0, "br": 0.0,
                  "wh": 0.0, "uh": 1.0, "bh": 0.0},
     [0.5, 0.5, math.tanh(1.0), 0.25 + 0.5 * math.tanh(1.0)]),
    ("jacobian-product", {"W": [[0.5, -0.8], [0.1, 0.4]], "h1": [-0.6, 0.6], "h2": [-0.2, 0.9], "h3": [0.2, 0.2]},
     [[0.041730048, -0.219807744], [0.014229504, -0.038731776]]),
    ("jacobian-product", {"W": [[0.5, 0.0], [0.0, -0.5]], "h1": [0.0, 0.0], "h2": [0.0, 0.0], "h3": [0.0, 0.0]},
     [[0.125, 0.0], [0.0, -0.125]]),
    ("vanishing-steps", {"gamma": 0.9, "eps": 0.001}, 66),
    # |g| = 5: scaled by 2/5
    ("clip-by-norm", {"g": [1, 2, -2, 4], "tau": 2}, [0.4, 0.8, -0.8, 1.6]),
    # tanh(c) = 0 for c = 0.5 * 0 + 0.5 * 0: dL/dc_t = dc + dh * o = 0.5 + 0.4, times f
    ("lstm-backward-cell", {"f": 0.5, "i": 0.5, "o": 0.4, "g": 0.0, "c_prev": 0.0, "dh": 1.0, "dc": 0.5}, 0.45),
    # all pre-activations 0: f = i = o = 1/2, g = 0, c = 0.5 c_prev = 0; dL/dc_t = dc + dh / 2 = 1
    ("lstm-backward-gates", {"a": [0.0, 0.0, 0.0, 0.0], "c_prev": 0.0, "dh": 1.0, "dc": 0.5},
     [0.0, 0.0, 0.0, 0.5]),
    ("lstm-backward-gates", {"a": [0.0, 0.0, 0.0, 0.0], "c_prev": 2.0, "dh": 0.0, "dc": 1.0},
     [0.5, 0.0, 0.0, 0.5]),
    ("vanishing-steps", {"gamma": 0.5, "eps": 0.01}, 7),
    ("rnn-forward", {"W": [[0.0, 0.0], [0.0, 0.0]], "u": [1.0, -1.0], "b": [0.0, 0.0], "x1": 1, "x2": 1, "x3": 2},
     [math.tanh(2.0), math.tanh(-2.0)]),
]


@pytest.mark.parametrize(("question_id", "params", "expected"), HAND_WORKED, ids=[row[0] for row in HAND_WORKED])
def test_hand_worked_variant(bank, question_id, params, expected):
    key = solve_with(question(bank, question_id), params)
    np.testing.assert_allclose(key, expected, rtol=1e-9, atol=1e-12)
