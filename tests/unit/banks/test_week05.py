"""Week 5 bank (regularization): recompute the keys by routes other than the bank's own."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from ._util import SEEDS, complex_step_gradient, draw_variant, load_week, question, solve_with

BANK_FILE = "week05-regularization.yaml"


@pytest.fixture(scope="module")
def bank():
    return load_week(BANK_FILE)[0]


def test_bank_loads_without_any_problem():
    bank, problems = load_week(BANK_FILE)
    assert [str(p) for p in problems] == []
    assert bank.week == 5
    assert [q.id for q in bank.questions] == [
        "l2-penalty-grad", "weight-decay-step", "l1-proximal-step", "dropout-forward", "dropout-variance",
        "early-stopping", "validation-curve-best-epoch", "crop-augmentation", "ensemble-variance",
        "dropout-test-time", "regularization-facts",
    ]



def test_gradient_question_is_checked_by_differentiation(bank):
    check = question(bank, "l2-penalty-grad").check
    assert check is not None and check.gradient_of and check.wrt == "w"



def l2_grad_by_complex_step(p):
    def loss(w):
        return 0.5 * (w @ p["x"] - p["y"]) ** 2 + 0.5 * p["lam"] * np.sum(w * w)

    return complex_step_gradient(loss, p["w"])


def weight_decay_by_gradient(p):
    return p["w"] - p["eta"] * (p["g"] + p["lam"] * p["w"])


def dropout_by_loop(p):
    return np.array([hi / p["p"] if kept else 0.0 for hi, kept in zip(p["h"], p["m"], strict=True)])


def dropout_variance_by_enumeration(p):
    """E[(z - E z)^2] over the 8 keep masks, each with its probability."""
    w, h, keep = p["w"], p["h"], p["p"]
    outcomes = []
    for mask in itertools.product((0, 1), repeat=3):
        probability = np.prod([keep if m else 1 - keep for m in mask])
        z = sum(wi * m * hi / keep for wi, m, hi in zip(w, mask, h, strict=True))
        outcomes.append((probability, z))
    mean = sum(pr * z for pr, z in outcomes)
    return sum(pr * (z - mean) ** 2 for pr, z in outcomes)


def early_stopping_by_simulation(p):
    """Run the patience rule on the losses, kept in whole hundredths so ties are exact."""
    losses = [40 + (epoch - p["t_best"]) ** 2 + p["noise"][epoch - 1] for epoch in range(1, 11)]
    history: list[float] = []
    for epoch, loss in enumerate(losses, start=1):
        history.append(loss)
        best_epoch = history.index(min(history)) + 1
        if epoch - best_epoch == p["patience"]:
            return np.array([epoch, best_epoch])
    raise AssertionError("the patience is never used up within 10 epochs")


def best_epoch_by_scanning_the_drawn_curve(p):
    """Walk the validation curve as it is plotted (rounded to 3 decimals) and keep the strictly lowest epoch."""
    def train(e):
        return round(0.1 + 1.2 * np.exp(-e / p["decay"]), 3)

    best_loss = train(p["t_best"]) + 0.12
    best_epoch, lowest = 0, float("inf")
    for e in range(1, 31):
        if e <= p["t_best"]:
            value = best_loss + (train(e) - train(p["t_best"])) + 0.03 * (p["t_best"] - e)
        else:
            value = best_loss + p["rise"] * (e - p["t_best"])
        if round(value, 3) < lowest:
            best_epoch, lowest = e, round(value, 3)
    return best_epoch


def crops_by_counting(p):
    corners = {(top, left) for top in range(p["size"]) for left in range(p["size"])
               if top + p["crop"] <= p["size"] and left + p["crop"] <= p["size"]}
    return 2 * len(corners)


def ensemble_variance_by_covariance_sum(p):
    k, s2, rho = int(p["k"]), p["s2"], p["rho"]
    covariances = [s2 if i == j else rho * s2 for i in range(k) for j in range(k)]
    return sum(covariances) / k**2


def proximal_step_by_minimizing(p):
    """Each entry minimizes (v - z)^2 / 2 + t |v|: compare 0 with the stationary points z - t and z + t."""
    t = p["eta"] * p["lam"]
    result = []
    for z in p["w"] - p["eta"] * p["g"]:
        candidates = [0.0] + [v for v in (z - t, z + t) if v * (z - v) > 0]  # sign(v) t = z - v
        result.append(min(candidates, key=lambda v: 0.5 * (v - z) ** 2 + t * abs(v)))
    return np.array(result)


INDEPENDENT_ROUTES = {
    "l1-proximal-step": proximal_step_by_minimizing,
    "l2-penalty-grad": l2_grad_by_complex_step,
    "weight-decay-step": weight_decay_by_gradient,
    "dropout-forward": dropout_by_loop,
    "dropout-variance": dropout_variance_by_enumeration,
    "early-stopping": early_stopping_by_simulation,
    "validation-curve-best-epoch": best_epoch_by_scanning_the_drawn_curve,
    "crop-augmentation": crops_by_counting,
    "ensemble-variance": ensemble_variance_by_covariance_sum,
}


@pytest.mark.parametrize("seed", SEEDS)
def test_l1_step_zeroes_some_weights_and_keeps_others(bank, seed):
    _, key = draw_variant(question(bank, "l1-proximal-step"), seed)
    assert 1 <= np.sum(key == 0) <= 2


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("question_id", sorted(INDEPENDENT_ROUTES))
def test_key_matches_an_independent_route(bank, question_id, seed):
    params, key = draw_variant(question(bank, question_id), seed)
    expected = INDEPENDENT_ROUTES[question_id](params)
    np.testing.assert_allclose(key, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    ("question_id", "params", "expected"),
    [
        # r = w.x - y = 5 - 2 = 3; r x = [6, 0, 3]; lam w = [0.2, 0.1, 0.1]
        ("l2-penalty-grad", {"w": [2, 1, 1], "x": [2, 0, 1], "y": 2, "lam": 0.1}, [6.2, 0.1, 3.1]),
        # 0.95 w - 0.1 g
        ("weight-decay-step", {"w": [1.0, -2.0, 0.5], "g": [2, 0, -1], "eta": 0.1, "lam": 0.5}, [0.75, -1.9, 0.575]),
        # z = [1, -0.5, 0.1, -1]; threshold 0.2
        (
            "l1-proximal-step", {"w": [1.2, -0.5, 0.1, -0.8], "g": [1, 0, 0, 1], "eta": 0.2, "lam": 1},
            [0.8, -0.3, 0, -0.8],
        ),
        ("dropout-forward", {"h": [2.0, 1.0, 0.5, 3.0], "m": [1, 0, 1, 0], "p": 0.5}, [4.0, 0.0, 1.0, 0.0]),
        # (1 - 0.8) / 0.8 * (36 + 4 + 9)
        ("dropout-variance", {"w": [2, 1, 1], "h": [3, 2, 3], "p": 0.8}, 12.25),
        # losses 0.57 0.50 0.46 0.41 0.41 ...: the tie at epoch 5 counts as no improvement
        (
            "early-stopping",
            {"t_best": 5, "noise": [1, 1, 2, 0, 1, 2, -1, -2, -1, -1], "patience": 3},
            [7, 4],
        ),
        # losses 0.42 0.42 0.40 0.41 0.45 0.50: best at epoch 3, patience 3 runs out after epoch 6
        (
            "early-stopping",
            {"t_best": 3, "noise": [-2, 1, 0, 0, 1, 1, -2, 0, -2, 0], "patience": 3},
            [6, 3],
        ),
        # losses 0.49 0.44 0.44 0.42 0.43 0.44: improvements at 1, 2, 4; patience 2 runs out after 6
        ("early-stopping", {"t_best": 4, "noise": [0, 0, 3, 2, 2, 0, 0, 0, 0, 0], "patience": 2}, [6, 4]),
        ("crop-augmentation", {"size": 32, "crop": 24}, 162),  # 9 x 9 corners, flipped or not
        ("crop-augmentation", {"size": 40, "crop": 28}, 338),  # 13 x 13 corners, flipped or not
        ("ensemble-variance", {"k": 2, "s2": 0.5, "rho": 0.75}, 0.4375),
        ("ensemble-variance", {"k": 10, "s2": 2.0, "rho": 0.5}, 1.1),
        ("ensemble-variance", {"k": 4, "s2": 1.0, "rho": 0.0}, 0.25),  # independent errors: sigma^2 / k
    ],
)
def test_key_matches_a_case_worked_by_hand(bank, question_id, params, expected):
    key = solve_with(question(bank, question_id), **params)
    np.testing.assert_allclose(key, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", range(100, 160))
def test_early_stopping_always_stops_within_the_ten_epochs(bank, seed):
    params, key = draw_variant(question(bank, "early-stopping"), seed)
    stop_epoch, restored_epoch = early_stopping_by_simulation(params)  # raises if it never stops
    assert list(key) == [stop_epoch, restored_epoch]
    assert 1 <= restored_epoch < stop_epoch <= 10
