"""Week 12 bank (GANs and metric learning): recompute the keys by routes other than the bank's solution and check."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from ._util import SEEDS, complex_step_gradient, draw_variant, load_week, question, solve_with

BANK_FILE = "week12-gans.yaml"


@pytest.fixture(scope="module")
def bank():
    return load_week(BANK_FILE)[0]


def test_bank_loads_without_any_problem():
    bank, problems = load_week(BANK_FILE)
    assert [str(p) for p in problems] == []
    assert (bank.week, bank.title) == (12, "GANs and metric learning")
    assert [q.id for q in bank.questions] == [
        "gan-discriminator-loss", "gan-generator-loss", "gan-nonsaturating-gradient", "gan-optimal-discriminator",
        "gan-js-divergence", "triplet-loss", "triplet-loss-gradient", "contrastive-loss", "gan-nonsaturating-why",
        "metric-learning-concepts",
    ]




def discriminator_loss_as_six_label_bce(p):
    # L_D is twice the mean binary cross-entropy over all six labelled examples
    outputs = list(p["d_real"]) + list(p["d_fake"])
    labels = [1] * len(p["d_real"]) + [0] * len(p["d_fake"])
    bce = [-(y * math.log(d) + (1 - y) * math.log(1 - d)) for y, d in zip(labels, outputs, strict=True)]
    return 2 * sum(bce) / len(bce)


def generator_loss_by_loop(p):
    return -sum(math.log(d) for d in p["d_fake"]) / len(p["d_fake"])


def nonsaturating_gradient_by_complex_step(p):
    return complex_step_gradient(lambda a: -np.mean(np.log(1 / (1 + np.exp(-a)))), p["a"])


def best_discriminator_by_search(p):
    """Maximize p log D + q log(1 - D) for each outcome by ternary search, from the definition alone."""
    data = p["p_counts"] / p["p_counts"].sum()
    model = p["q_counts"] / p["q_counts"].sum()
    best = []
    for pd, pg in zip(data, model, strict=True):
        low, high = 1e-12, 1 - 1e-12
        for _ in range(200):
            left, right = low + (high - low) / 3, high - (high - low) / 3
            if pd * math.log(left) + pg * math.log(1 - left) < pd * math.log(right) + pg * math.log(1 - right):
                low = left
            else:
                high = right
        best.append((low + high) / 2)
    return np.array(best)


def js_from_the_value_at_the_optimal_discriminator(p):
    # V(D*, G) = 2 JS - log 4, with D* = p / (p + q) in exact fractions
    data = [Fraction(int(c), int(p["p_counts"].sum())) for c in p["p_counts"]]
    model = [Fraction(int(c), int(p["q_counts"].sum())) for c in p["q_counts"]]
    value = sum(
        float(pd) * math.log(pd / (pd + pg)) + float(pg) * math.log(pg / (pd + pg))
        for pd, pg in zip(data, model, strict=True)
    )
    return (value + math.log(4)) / 2


def triplet_loss_by_distances(p):
    return max(0.0, math.dist(p["anchor"], p["pos"]) ** 2 - math.dist(p["anchor"], p["neg"]) ** 2 + p["margin"])


def triplet_gradient_by_complex_step(p):
    # the key is only asked for active triplets, where the max passes its argument through
    assert triplet_loss_by_distances(p) > 0
    return complex_step_gradient(
        lambda a: np.sum((a - p["pos"]) ** 2) - np.sum((a - p["neg"]) ** 2) + p["margin"], p["anchor"]
    )


def contrastive_loss_pair_by_pair(p):
    total = 0.0
    for u, v, similar in zip(p["left"], p["right"], p["y"], strict=True):
        d = math.dist(u, v)
        total += 0.5 * d**2 if similar == 1 else 0.5 * max(0.0, p["margin"] - d) ** 2
    return total


THIRD_ROUTES = [
    ("gan-discriminator-loss", discriminator_loss_as_six_label_bce, 1e-9),
    ("gan-generator-loss", generator_loss_by_loop, 1e-9),
    ("gan-nonsaturating-gradient", nonsaturating_gradient_by_complex_step, 1e-9),
    # the search stops within about 1e-12 of the maximum
    ("gan-optimal-discriminator", best_discriminator_by_search, 1e-6),
    ("gan-js-divergence", js_from_the_value_at_the_optimal_discriminator, 1e-9),
    ("triplet-loss", triplet_loss_by_distances, 1e-9),
    ("triplet-loss-gradient", triplet_gradient_by_complex_step, 1e-9),
    ("contrastive-loss", contrastive_loss_pair_by_pair, 1e-9),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("question_id", "route", "rtol"), THIRD_ROUTES, ids=[row[0] for row in THIRD_ROUTES])
def test_key_matches_an_independent_route(bank, question_id, route, rtol, seed):
    params, key = draw_variant(question(bank, question_id), seed)
    np.testing.assert_allclose(key, route(params), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize(
    ("question_id", "params", "expected", "rtol"),
    [
        # -(log .7 + log .7 + log .5) / 3 - (log .7 + log .9 + log .6) / 3, worked to four digits
        ("gan-discriminator-loss", {"d_real": [0.7, 0.7, 0.5], "d_fake": [0.3, 0.1, 0.4]}, 0.7931, 1e-3),
        # every D(G(z)) = 1/2: log 2
        ("gan-generator-loss", {"d_fake": [0.5, 0.5, 0.5, 0.5]}, math.log(2), 1e-9),
        # a = 0: sigma = 1/2, so every entry is -(1/2) / 3
        ("gan-nonsaturating-gradient", {"a": [0.0, 0.0, 0.0]}, [-1 / 6] * 3, 1e-9),
        # p = (4, 5, 1, 5) / 15, q = (3, 3, 4, 2) / 12
        ("gan-optimal-discriminator", {"p_counts": [4, 5, 1, 5], "q_counts": [3, 3, 4, 2]},
         [16 / 31, 4 / 7, 1 / 6, 2 / 3], 1e-9),
        # P = (1, 1, 2) / 4, Q = (2, 1, 1) / 4, M = (3, 2, 3) / 8: both KLs are (1/4) log(2/3) + (1/2) log(4/3)
        ("gan-js-divergence", {"p_counts": [1, 1, 2], "q_counts": [2, 1, 1]},
         0.25 * math.log(2 / 3) + 0.5 * math.log(4 / 3), 1e-9),
        # |(3, 0)|^2 - |(1, 2)|^2 + 1
        ("triplet-loss", {"anchor": [1, 2], "pos": [-2, 2], "neg": [0, 0], "margin": 1}, 5, 1e-9),
        # 2 (f_n - f_p)
        ("triplet-loss-gradient", {"anchor": [1, 2], "pos": [-2, 2], "neg": [0, 0], "margin": 1}, [4, -4], 1e-9),
        # similar pairs at distances 1.3 and sqrt(0.82): 0.845 + 0.41
        ("contrastive-loss", {"left": [[0.3, -0.5], [-0.1, 0.9]], "right": [[0.8, 0.7], [-0.2, 0.0]],
                              "y": [1, 1], "margin": 2}, 1.255, 1e-9),
        # the first pair dissimilar instead: 0.5 * (2 - 1.3)^2 + 0.41
        ("contrastive-loss", {"left": [[0.3, -0.5], [-0.1, 0.9]], "right": [[0.8, 0.7], [-0.2, 0.0]],
                              "y": [0, 1], "margin": 2}, 0.655, 1e-9),
    ],
    ids=["d-loss-hand", "g-loss-half", "ns-gradient-at-zero", "optimal-d-fractions", "js-hand", "triplet-hand",
         "triplet-gradient-hand", "contrastive-similar", "contrastive-mixed"],
)
def test_hand_worked_case(bank, question_id, params, expected, rtol):
    np.testing.assert_allclose(solve_with(question(bank, question_id), params), expected, rtol=rtol, atol=1e-12)
