"""Week 11 bank (autoencoders and VAEs): recompute the keys by routes other than the bank's solution and check."""
from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest

from quizserver.grading import Status, grade

from ._util import SEEDS, complex_step_gradient, draw_variant, load_week, question, solve_with

BANK_FILE = "week11-autoencoders.yaml"


@pytest.fixture(scope="module")
def bank():
    return load_week(BANK_FILE)[0]


def test_bank_loads_without_any_problem():
    bank, problems = load_week(BANK_FILE)
    assert [str(p) for p in problems] == []
    assert (bank.week, bank.title) == (11, "Autoencoders and VAEs")
    assert [q.id for q in bank.questions] == [
        "pca-reconstruction", "pca-direction", "pca-discarded-variance", "ae-parameter-count", "vae-kl-term",
        "vae-reparameterized-sample", "vae-reparameterization-gradient", "vae-elbo", "vae-why-reparameterize",
        "ae-vae-concepts",
    ]




def gaussian_kl_by_quadrature(mu, logvar) -> float:
    """KL(N(mu, diag e^logvar) || N(0, I)) as a sum of 1-D integrals of q log(q/p) on a fine grid."""
    total = 0.0
    for m, lv in zip(mu, logvar, strict=True):
        sigma = math.exp(lv / 2)
        z, dz = np.linspace(m - 12 * sigma, m + 12 * sigma, 40001, retstep=True)
        log_q = -0.5 * ((z - m) / sigma) ** 2 - math.log(sigma * math.sqrt(2 * math.pi))
        log_p = -0.5 * z**2 - 0.5 * math.log(2 * math.pi)
        total += float(np.sum(np.exp(log_q) * (log_q - log_p)) * dz)
    return total


def reconstruction_by_least_squares(p):
    u = np.array([p["c"], p["s"] * math.sqrt(1 - p["c"] ** 2)])
    code, *_ = np.linalg.lstsq(u[:, None], p["x"] - p["mu"], rcond=None)
    return p["mu"] + u * code[0]


def discarded_variance_by_subsets(p):
    # the best k-dimensional subspace leaves out the 4-k directions of least total variance
    return min(sum(subset) for subset in combinations(p["lam"], 4 - int(p["k"])))


def autoencoder_parameters_by_shapes(p):
    d, h, k = int(p["d"]), int(p["h"]), int(p["k"])
    shapes = [(d, h), (h,), (h, k), (k,), (k, h), (h,), (h, d), (d,)]
    return sum(int(np.prod(shape)) for shape in shapes)


def kl_by_quadrature(p):
    return gaussian_kl_by_quadrature(p["mu"], p["logvar"])


def sample_by_scalar_loop(p):
    return np.array([m + math.exp(lv / 2) * e for m, lv, e in zip(p["mu"], p["logvar"], p["eps"], strict=True)])


def reparameterization_gradient_by_complex_step(p):
    def loss(logvar):
        return 0.5 * np.sum((p["mu"] + np.exp(logvar / 2) * p["eps"] - p["t"]) ** 2)

    return complex_step_gradient(loss, p["logvar"])


def elbo_by_cases_and_quadrature(p):
    log_lik = sum(math.log(pj) if xj == 1 else math.log(1 - pj) for xj, pj in zip(p["x"], p["p"], strict=True))
    return log_lik - gaussian_kl_by_quadrature(p["mu"], p["logvar"])


THIRD_ROUTES = [
    ("pca-reconstruction", reconstruction_by_least_squares, 1e-9),
    ("pca-discarded-variance", discarded_variance_by_subsets, 1e-9),
    ("ae-parameter-count", autoencoder_parameters_by_shapes, 1e-9),
    # quadrature: accurate to far better than the 1% students are allowed, not to rounding
    ("vae-kl-term", kl_by_quadrature, 1e-6),
    ("vae-reparameterized-sample", sample_by_scalar_loop, 1e-9),
    ("vae-reparameterization-gradient", reparameterization_gradient_by_complex_step, 1e-9),
    ("vae-elbo", elbo_by_cases_and_quadrature, 1e-6),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("question_id", "route", "rtol"), THIRD_ROUTES, ids=[row[0] for row in THIRD_ROUTES])
def test_key_matches_an_independent_route(bank, question_id, route, rtol, seed):
    params, key = draw_variant(question(bank, question_id), seed)
    np.testing.assert_allclose(key, route(params), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize(
    ("question_id", "params", "expected", "rtol"),
    [
        # x - mu = (-4, 0), z = 0.6 * -4 = -2.4, x_hat = (2, -2) - 2.4 * (0.6, 0.8)
        ("pca-reconstruction", {"mu": [2, -2], "x": [-2, -2], "c": 0.6, "s": 1}, [0.56, -3.92], 1e-9),
        # u = (0.8, -0.6): z = 0.8 * 1 - 0.6 * 2 = -0.4, x_hat = (0, 0) - 0.4 * (0.8, -0.6)
        ("pca-reconstruction", {"mu": [0, 0], "x": [1, 2], "c": 0.8, "s": -1}, [-0.32, 0.24], 1e-9),
        # sorted 8, 3, 2, 1; keep the 8
        ("pca-discarded-variance", {"lam": [8, 1, 2, 3], "k": 1}, 6, 1e-9),
        # encoder 3072*128 + 128 + 128*2 + 2, decoder 2*128 + 128 + 128*3072 + 3072
        ("ae-parameter-count", {"d": 3072, "h": 128, "k": 2}, 790274, 1e-9),
        # mu = 0, logvar = 0 in two of three dimensions: only the third, 0.5 * (1 + e - 1 - 1), is left
        ("vae-kl-term", {"mu": [0.0, 0.0, 0.0], "logvar": [0.0, 0.0, 1.0]}, 0.5 * (math.e - 2), 1e-9),
        # 2 + 0.5 * (6.76 + e^-1.3 + 0.3) + 0.5 * (0.16 + e^-0.4 - 0.6), worked to four digits
        ("vae-kl-term", {"mu": [2.0, -2.6, 0.4], "logvar": [0.0, -1.3, -0.4]}, 5.781, 1e-3),
        # sigma = e^-1 for logvar = -2: z = 1 + 2 / e
        ("vae-reparameterized-sample", {"mu": [1.0, 0.0, -1.0], "logvar": [-2.0, 0.0, 0.0],
                                        "eps": [2.0, 1.0, -1.0]}, [1 + 2 / math.e, 1.0, -2.0], 1e-9),
        # log 0.7 + log 0.4 + log 0.8 + log 0.6 = -2.007; KL = 2.074 + 0.145
        ("vae-elbo", {"x": [1, 0, 0, 0], "p": [0.7, 0.6, 0.2, 0.4], "mu": [-2.0, -0.2], "logvar": [0.5, -0.8]},
         -4.226, 1e-3),
    ],
    ids=["pca-hand", "pca-negative-direction", "discarded", "ae-params", "kl-one-dimension", "kl-hand",
         "sample-hand", "elbo-hand"],
)
def test_hand_worked_case(bank, question_id, params, expected, rtol):
    np.testing.assert_allclose(solve_with(question(bank, question_id), params), expected, rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_either_sign_of_the_principal_direction_is_a_key(bank, seed):
    params, keys = draw_variant(question(bank, "pca-direction"), seed)
    cov = np.array([[params["a"], params["b"]], [params["b"], params["d"]]], dtype=float)
    top = max(np.linalg.eigvalsh(cov))
    assert keys.shape == (2, 2)
    np.testing.assert_allclose(keys[0], -keys[1])
    for key in keys:
        np.testing.assert_allclose(np.linalg.norm(key), 1.0)
        np.testing.assert_allclose(cov @ key, top * key, atol=1e-12)


def test_the_principal_direction_grades_either_sign_right_and_diagnoses_against_the_closest(bank):
    q = question(bank, "pca-direction")
    key = {"any_of": [[0.6, 0.8], [-0.6, -0.8]]}
    assert grade(q.answer_spec(), key, "[-0.60, -0.80]").status is Status.CORRECT
    assert grade(q.answer_spec(), key, "[0.6, 0.8]").status is Status.CORRECT
    swapped = grade(q.answer_spec(), key, "[-0.8, -0.6]")
    assert swapped.status is Status.INCORRECT
    off = grade(q.answer_spec(), key, "[1.2, 1.6]")
    assert off.mistake == "factor" and "factor of about 2" in off.message
