"""Week 9 bank (natural language processing): recompute the keys by routes other than the bank's solution."""
from __future__ import annotations

import math
import statistics
from fractions import Fraction

import numpy as np
import pytest

from ._util import SEEDS, complex_step_gradient, draw_variant, load_week, question, solve_with

BANK_FILE = "week09-nlp.yaml"


@pytest.fixture(scope="module")
def bank():
    return load_week(BANK_FILE)[0]


def test_bank_loads_without_any_problem():
    bank, problems = load_week(BANK_FILE)
    assert [str(p) for p in problems] == []
    assert (bank.week, bank.title) == (9, "Natural language processing")
    assert [q.id for q in bank.questions] == [
        "bigram-add-one", "sentence-bigram-prob", "perplexity", "cosine-similarity", "attention-weights",
        "attention.weights", "attention.output", "attention.grad-v", "skipgram-negative-sampling-grad",
        "causal-attention-weights", "layernorm-forward",
        "softmax-temperature", "attention-scaling", "nlp-facts",
    ]




def add_one_as_fraction(p):
    return Fraction(p["c_the_cat"] + 1, p["c_the"] + p["V"])


def sentence_probability_as_fraction(p):
    return (Fraction(p["n_s_i"], p["n_s"]) * Fraction(p["n_i_like"], p["n_i"])
            * Fraction(p["n_like_tea"], p["n_like"]) * Fraction(p["n_tea_end"], p["n_tea"]))


def perplexity_from_bits(p):
    cross_entropy_bits = -sum(math.log2(pt) for pt in p["p"]) / len(p["p"])
    return 2 ** cross_entropy_bits


def cosine_by_angle_sums(p):
    dot = sum(x * y for x, y in zip(p["a"], p["b"], strict=True))
    return dot / math.sqrt(sum(x * x for x in p["a"]) * sum(y * y for y in p["b"]))


def softmax_without_shift(scores):
    exps = [math.exp(s) for s in scores]
    return [e / sum(exps) for e in exps]


def attention_weights_by_loops(p):
    return softmax_without_shift(
        [sum(k * q for k, q in zip(key, p["q"], strict=True)) / math.sqrt(4) for key in p["K"]]
    )


def attention_output_by_loops(p):
    rows = []
    for query in p["Q"]:
        weights = softmax_without_shift(
            [sum(k * q for k, q in zip(key, query, strict=True)) / math.sqrt(4) for key in p["K"]]
        )
        rows.append([sum(w * value[c] for w, value in zip(weights, p["V"], strict=True)) for c in range(3)])
    return rows


def attention_rows_by_loops(p):
    return [
        softmax_without_shift([sum(k * q for k, q in zip(key, query, strict=True)) / math.sqrt(4) for key in p["K"]])
        for query in p["Q"]
    ]


def attention_grad_v_by_complex_step(p):
    weights = np.array(attention_rows_by_loops(p))
    return complex_step_gradient(lambda v: np.sum((weights @ v) * np.array(p["G"])), np.array(p["V"], dtype=float))


def softmax_temperature_by_loops(p):
    return softmax_without_shift([z / p["T"] for z in p["z"]])


def skipgram_gradient_by_complex_step(p):
    u_o, negatives = np.array(p["u_o"]), np.array(p["U_neg"])

    def loss(v):
        # -ln sigma(s) = ln(1 + e^{-s})
        return np.log(1 + np.exp(-(u_o @ v))) + np.sum(np.log(1 + np.exp(negatives @ v)))

    return complex_step_gradient(loss, p["v_c"])


def causal_weights_by_loops(p):
    rows = []
    for i, query in enumerate(p["Q"]):
        visible = softmax_without_shift(
            [sum(k * q for k, q in zip(key, query, strict=True)) / math.sqrt(4) for key in p["K"][: i + 1]]
        )
        rows.append(visible + [0.0] * (2 - i))
    return rows


def layernorm_by_statistics(p):
    rows = []
    for row in p["X"]:
        mean, std = statistics.fmean(row), statistics.pstdev(row)
        rows.append([g * (x - mean) / std + b for x, g, b in zip(row, p["gamma"], p["beta"], strict=True)])
    return rows


RECOMPUTED = [
    ("bigram-add-one", add_one_as_fraction),
    ("layernorm-forward", layernorm_by_statistics),
    ("skipgram-negative-sampling-grad", skipgram_gradient_by_complex_step),
    ("causal-attention-weights", causal_weights_by_loops),
    ("sentence-bigram-prob", sentence_probability_as_fraction),
    ("perplexity", perplexity_from_bits),
    ("cosine-similarity", cosine_by_angle_sums),
    ("attention-weights", attention_weights_by_loops),
    ("attention.weights", attention_rows_by_loops),
    ("attention.output", attention_output_by_loops),
    ("attention.grad-v", attention_grad_v_by_complex_step),
    ("softmax-temperature", softmax_temperature_by_loops),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("question_id", "recompute"), RECOMPUTED, ids=[row[0] for row in RECOMPUTED])
def test_key_matches_an_independent_route(bank, question_id, recompute, seed):
    params, key = draw_variant(question(bank, question_id), seed)
    params = {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in params.items()}
    expected = recompute(params)
    np.testing.assert_allclose(key, np.asarray(expected, dtype=float), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_temperature_keeps_the_order_of_the_logits(bank, seed):
    params, key = draw_variant(question(bank, "softmax-temperature"), seed)
    assert np.array_equal(np.argsort(key, kind="stable"), np.argsort(params["z"], kind="stable"))
    assert key.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_bigram_corpus_is_possible(bank, seed):
    """A word occurs at least as often as every bigram that ends with it."""
    params, _ = draw_variant(question(bank, "sentence-bigram-prob"), seed)
    assert params["n_i"] >= params["n_s_i"] and params["n_like"] >= params["n_i_like"]
    assert params["n_tea"] >= params["n_like_tea"]


# worked on paper
HAND_WORKED = [
    ("bigram-add-one", {"V": 14, "c_the": 16, "c_the_cat": 7}, 8 / 30),
    ("bigram-add-one", {"V": 30, "c_the": 51, "c_the_cat": 0}, 1 / 81),
    ("sentence-bigram-prob", {"n_s": 14, "n_s_i": 8, "n_i": 10, "n_i_like": 7, "n_like": 10, "n_like_tea": 4,
                              "n_tea": 10, "n_tea_end": 2}, 0.032),
    ("perplexity", {"p": [0.25, 0.25, 0.25, 0.25]}, 4.0),
    # rows with mean 1, std 1 and mean 0, std 2
    ("layernorm-forward", {"X": [[0, 2, 0, 2], [2, -2, 2, -2]], "gamma": [1, 2, 0.5, 1], "beta": [0, 1, -1, 0]},
     [[-1, 3, -1.5, 1], [1, -1, -0.5, -1]]),
    # v_c = 0: every score is 0 and every sigma 1/2
    ("skipgram-negative-sampling-grad", {"v_c": [0.0, 0.0, 0.0], "u_o": [1.0, 0.0, 0.4],
                                         "U_neg": [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]}, [-0.5, 0.5, 0.3]),
    # queries of zero: uniform over the visible positions
    ("causal-attention-weights", {"Q": [[0, 0, 0, 0]] * 3, "K": [[1, 2, 0, -1], [0, 1, 1, 1], [2, 0, 0, 1]]},
     [[1, 0, 0], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]]),
    # row 2: scores (0, 1) -> (1, e) / (1 + e)
    ("causal-attention-weights", {"Q": [[0, 0, 0, 0], [2, 0, 0, 0], [0, 0, 0, 0]],
                                  "K": [[0, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]},
     [[1, 0, 0], [1 / (1 + math.e), math.e / (1 + math.e), 0], [1 / 3, 1 / 3, 1 / 3]]),
    ("perplexity", {"p": [0.5, 0.5, 0.1, 0.1]}, math.sqrt(20)),
    ("cosine-similarity", {"a": [1, 2, -3, 2], "b": [0, 0, 1, -1]}, -5 / math.sqrt(18 * 2)),
    ("attention-weights", {"q": [1, 2, -1, 2], "K": [[0, 1, 1, 0], [2, -1, 0, 0], [1, 0, -1, -1]]},
     [math.exp(0.5) / (math.exp(0.5) + 2), 1 / (math.exp(0.5) + 2), 1 / (math.exp(0.5) + 2)]),
    ("attention.output", {"Q": [[0, 0, 0, 0], [2, 0, 0, 0]], "K": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]],
                          "V": [[3, 0, 0], [0, 3, 0], [0, 0, 3]], "G": [[1, 0, 0], [0, 0, 0]]},
     [[1, 1, 1], [3 * math.e / (math.e + 2), 3 / (math.e + 2), 3 / (math.e + 2)]]),
    # query 1 spreads evenly, query 2 gets no gradient: row j of dL/dV is 1/3 of G's first row
    ("attention.grad-v", {"Q": [[0, 0, 0, 0], [2, 0, 0, 0]], "K": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]],
                          "V": [[3, 0, 0], [0, 3, 0], [0, 0, 3]], "G": [[3, 0, -3], [0, 0, 0]]},
     [[1, 0, -1], [1, 0, -1], [1, 0, -1]]),
    # z / T = (1, 1, -1, 1): three equal weights e and one 1/e
    ("softmax-temperature", {"z": [2, 2, -2, 2], "T": 2.0},
     np.array([math.e, math.e, 1 / math.e, math.e]) / (3 * math.e + 1 / math.e)),
]


@pytest.mark.parametrize(("question_id", "params", "expected"), HAND_WORKED, ids=[row[0] for row in HAND_WORKED])
def test_hand_worked_variant(bank, question_id, params, expected):
    key = solve_with(question(bank, question_id), params)
    np.testing.assert_allclose(key, expected, rtol=1e-9, atol=1e-12)
