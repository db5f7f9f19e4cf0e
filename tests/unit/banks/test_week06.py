"""Week 6 bank (optimization): recompute the keys by routes other than the bank's own."""
from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from ._util import SEEDS, complex_step_gradient, draw_variant, load_week, question, solve_with

BANK_FILE = "week06-optimization.yaml"


@pytest.fixture(scope="module")
def bank():
    return load_week(BANK_FILE)[0]


def test_bank_loads_without_any_problem():
    bank, problems = load_week(BANK_FILE)
    assert [str(p) for p in problems] == []
    assert bank.week == 6
    assert [q.id for q in bank.questions] == [
        "hessian-conditioning", "momentum-steps", "nesterov-steps", "adam-second-step", "lr-warmup-cosine",
        "batchnorm-forward", "batchnorm-grad", "adam-bias-why", "optimization-facts",
    ]



def test_gradient_question_is_checked_by_differentiation(bank):
    check = question(bank, "batchnorm-grad").check
    assert check is not None and check.gradient_of and check.wrt == "x"



def heavy_ball_iterates(p):
    """Polyak's form of momentum: w_{t+1} = w_t - eta f'(w_t) + beta (w_t - w_{t-1})."""
    previous, current, iterates = p["w0"], p["w0"], []
    for _ in range(3):
        previous, current = current, current - 0.1 * p["a"] * current + p["beta"] * (current - previous)
        iterates.append(current)
    return np.array(iterates)


def nesterov_by_extrapolation(p):
    """Nesterov as extrapolate-then-step: y = w_t + beta (w_t - w_{t-1}); w_{t+1} = y - eta f'(y)."""
    previous, current, iterates = p["w0"], p["w0"], []
    for _ in range(3):
        extrapolated = current + p["beta"] * (current - previous)
        previous, current = current, extrapolated - 0.1 * p["a"] * extrapolated
        iterates.append(current)
    return np.array(iterates)


def conditioning_by_characteristic_polynomial(p):
    lam_min, lam_max = sorted(np.roots([1, -(p["a"] + p["c"]), p["a"] * p["c"] - p["b"] ** 2]).real)
    return np.array([2 / lam_max, lam_max / lam_min])


def adam_second_update_by_optimizer_loop(p):
    w, m, v, updates = np.zeros(2), np.zeros(2), np.zeros(2), []
    for t, g in enumerate((p["g1"], p["g2"]), start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g**2
        step = -0.1 * (m / (1 - 0.9**t)) / np.sqrt(v / (1 - 0.999**t))
        w = w + step
        updates.append(step)
    return updates[1]


def schedule_at_steps(p):
    warmup, total, eta_max = p["warmup"], p["total"], p["eta_max"]

    def learning_rate(t):
        if t <= warmup:
            return eta_max * t / warmup
        return 0.5 * eta_max * (1 + math.cos(math.pi * (t - warmup) / (total - warmup)))

    t1 = p["k1"] * warmup / 10
    t2 = warmup + p["k2"] * (total - warmup) / 10
    return np.array([learning_rate(t1), learning_rate(t2)])


def batchnorm_by_statistics(p):
    columns = []
    for j, column in enumerate(p["X"].T):
        mean, std = statistics.fmean(column), statistics.pstdev(column)
        columns.append([p["gamma"][j] * (value - mean) / std + p["beta"][j] for value in column])
    return np.array(columns).T


def batchnorm_grad_by_complex_step(p):
    def loss(x):
        mean = sum(x) / 4
        std = np.sqrt(sum((x - mean) ** 2) / 4)  # not np.std, which takes |x|^2 of complex values
        return np.sum(p["G"] * p["gamma"] * (x - mean) / std)

    return complex_step_gradient(loss, p["x"])


INDEPENDENT_ROUTES = {
    "momentum-steps": heavy_ball_iterates,
    "nesterov-steps": nesterov_by_extrapolation,
    "hessian-conditioning": conditioning_by_characteristic_polynomial,
    "adam-second-step": adam_second_update_by_optimizer_loop,
    "lr-warmup-cosine": schedule_at_steps,
    "batchnorm-forward": batchnorm_by_statistics,
    "batchnorm-grad": batchnorm_grad_by_complex_step,
}


def test_momentum_and_nesterov_share_one_velocity_convention(bank):
    update = r"w_t = w_{t-1} - \eta\, v_t"
    for question_id in ("momentum-steps", "nesterov-steps"):
        assert update in question(bank, question_id).text


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("question_id", ["batchnorm-forward", "batchnorm-grad"])
def test_batchnorm_keys_stay_away_from_zero(bank, question_id, seed):
    _, key = draw_variant(question(bank, question_id), seed)
    assert np.min(np.abs(key)) >= 0.2


@pytest.mark.parametrize("seed", SEEDS)
def test_step_just_below_the_limit_converges_and_just_above_diverges(bank, seed):
    params, (eta_max, _) = draw_variant(question(bank, "hessian-conditioning"), seed)
    hessian = np.array([[params["a"], params["b"]], [params["b"], params["c"]]], dtype=float)
    for factor, converges in ((0.99, True), (1.01, False)):
        w = np.array([1.0, 0.37])  # not an eigenvector of any drawn H
        for _ in range(2000):
            w = w - factor * eta_max * hessian @ w
        assert bool(np.linalg.norm(w) < 1) == converges


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("question_id", sorted(INDEPENDENT_ROUTES))
def test_key_matches_an_independent_route(bank, question_id, seed):
    params, key = draw_variant(question(bank, question_id), seed)
    expected = INDEPENDENT_ROUTES[question_id](params)
    np.testing.assert_allclose(key, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    ("question_id", "params", "expected"),
    [
        # v = 6, 10.2, 11.94
        ("momentum-steps", {"w0": 3, "a": 2, "beta": 0.9}, [2.4, 1.38, 0.186]),
        # v = -3, -5.4, -7.02
        ("momentum-steps", {"w0": -3, "a": 1, "beta": 0.9}, [-2.7, -2.16, -1.458]),
        # look-ahead points 2, 1.7, 1.395
        ("nesterov-steps", {"w0": 2, "a": 1, "beta": 0.5}, [1.8, 1.53, 1.2555]),
        # look-ahead points 3, 1.86, 0.6672
        ("nesterov-steps", {"w0": 3, "a": 2, "beta": 0.9}, [2.4, 1.488, 0.53376]),
        # eigenvalues 2 and 4
        ("hessian-conditioning", {"a": 3, "c": 3, "b": 1}, [0.5, 2]),
        # eigenvalues 1 and 6 (trace 7, determinant 6)
        ("hessian-conditioning", {"a": 5, "c": 2, "b": 2}, [1 / 3, 6]),
        # a constant gradient: the bias-corrected step is exactly -eta sign(g)
        ("adam-second-step", {"g1": [1, -2], "g2": [1, -2]}, [-0.1, 0.1]),
        # m2 = [0.37, 0.39], v2 = [0.009991, 0.009999] before correction
        ("adam-second-step", {"g1": [3, 1], "g2": [1, 3]}, [-0.0871064, -0.0917781]),
        # t1 = 250 (half of the warmup); t2 = 12200, 60% of the decay: 0.05 (1 + cos 0.6 pi)
        ("lr-warmup-cosine", {"eta_max": 0.1, "warmup": 500, "total": 20000, "k1": 5, "k2": 6}, [0.05, 0.0345492]),
        # halfway through the decay the rate is eta_max / 2
        ("lr-warmup-cosine", {"eta_max": 0.01, "warmup": 1000, "total": 11000, "k1": 2, "k2": 5}, [0.002, 0.005]),
        # columns with mean 2, std 1 and mean 3, std 2
        (
            "batchnorm-forward",
            {"X": [[1, 1], [3, 5], [1, 5], [3, 1]], "gamma": [2.0, 0.5], "beta": [1, -1]},
            [[-1, -1.5], [3, -0.5], [-1, -0.5], [3, -1.5]],
        ),
        # x_hat = [1, -1, -1, 1] (mean 2, std 1); mean(dx_hat * x_hat) = -1
        ("batchnorm-grad", {"x": [3, 1, 1, 3], "gamma": 2.0, "G": [1, 2, -1, -2]}, [3, 3, -3, -3]),
    ],
)
def test_key_matches_a_case_worked_by_hand(bank, question_id, params, expected):
    key = solve_with(question(bank, question_id), **params)
    np.testing.assert_allclose(key, expected, rtol=1e-5, atol=1e-9)
