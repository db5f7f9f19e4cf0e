"""Week 7 bank (convolutional networks): recompute the keys by routes other than the bank's solution and check."""
from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from ._util import SEEDS, complex_step_gradient, draw_variant, load_week, question, solve_with

BANK_FILE = "week07-cnn.yaml"


@pytest.fixture(scope="module")
def bank():
    return load_week(BANK_FILE)[0]


def test_bank_loads_without_any_problem():
    bank, problems = load_week(BANK_FILE)
    assert [str(p) for p in problems] == []
    assert (bank.week, bank.title) == (7, "Convolutional networks")
    assert [q.id for q in bank.questions] == [
        "conv-output-size", "conv2d-by-hand", "maxpool-forward", "avgpool-overlap", "maxpool-backward",
        "conv-param-count", "conv-mult-adds", "receptive-field", "transposed-conv-size",
        "transposed-conv-scatter", "conv-kernel-gradient", "conv1d-grad-input", "conv-properties",
    ]



def test_gradient_questions_declare_a_gradient_check(bank):
    for question_id, wrt in (("maxpool-backward", "X"), ("conv-kernel-gradient", "K"), ("conv1d-grad-input", "x")):
        check = question(bank, question_id).check
        assert check is not None and check.gradient_of and check.wrt == wrt



def output_size_by_sliding(p):
    span = p["d"] * (p["k"] - 1) + 1
    padded = np.zeros(p["H"] + 2 * p["p"])
    return len(sliding_window_view(padded, span)[:: p["s"]])


def conv2d_by_windows(p):
    return np.einsum("ijab,ab->ij", sliding_window_view(p["X"], p["K"].shape), p["K"])


def maxpool_by_reshape(p):
    return p["X"].reshape(2, 2, 3, 2).max(axis=(1, 3))


def avgpool_by_windows(p):
    return sliding_window_view(p["X"], (2, 2)).mean(axis=(2, 3))


def maxpool_gradient_by_mask(p):
    pooled = p["X"].reshape(2, 2, 2, 2).max(axis=(1, 3))
    is_max = p["X"] == np.kron(pooled, np.ones((2, 2)))
    return np.kron(p["G"], np.ones((2, 2))) * is_max


def param_count_by_tensor_shapes(p):
    weight_shape = (p["C_out"], p["C_in"], p["k"], p["k"])
    return np.zeros(weight_shape).size + np.zeros(p["C_out"]).size


def mult_adds_by_sliding(p):
    padded = np.zeros(p["H"] + 2 * p["p"])
    side = len(sliding_window_view(padded, p["k"])[:: p["s"]])
    return side * side * p["C_out"] * p["k"] ** 2 * p["C_in"]


def receptive_field_by_tracing(p):
    """Follow the inputs of one layer-3 unit down to the image, index by index."""
    units = {0}
    for k, s in ((p["k3"], p["s3"]), (p["k2"], p["s2"]), (p["k1"], p["s1"])):
        units = {u * s + a for u in units for a in range(k)}
    return len(units)


def transposed_size_by_scatter(p):
    """Scatter-add a kernel of ones from each input position, then crop the padding."""
    out = np.zeros((p["H"] - 1) * p["s"] + p["k"])
    for i in range(p["H"]):
        out[i * p["s"]:i * p["s"] + p["k"]] += 1
    return len(out[p["p"]:len(out) - p["p"]])


def kernel_gradient_by_complex_step(p):
    windows = sliding_window_view(p["X"], (2, 3))

    def loss(kernel):
        return 0.5 * np.sum((np.einsum("ijab,ab->ij", windows, kernel) - p["T"]) ** 2)

    return complex_step_gradient(loss, p["K"])


def conv1d_matrix(kernel, n_in, stride):
    """The matrix C with conv(z) = C z for a kernel slid over n_in inputs with the given stride."""
    n_out = (n_in - len(kernel)) // stride + 1
    matrix = np.zeros((n_out, n_in))
    for i in range(n_out):
        matrix[i, i * stride:i * stride + len(kernel)] = kernel
    return matrix


def input_gradient_by_transposed_matrix(p):
    return conv1d_matrix(p["k"], 6, 1).T @ p["g"]


def transposed_conv_by_zero_insertion(p):
    # insert s - 1 = 1 zero between the inputs, then a full (flipping) convolution with the kernel
    upsampled = np.zeros(5)
    upsampled[::2] = p["x"]
    return np.convolve(upsampled, p["k"])


RECOMPUTED = [
    ("conv-output-size", output_size_by_sliding),
    ("conv1d-grad-input", input_gradient_by_transposed_matrix),
    ("transposed-conv-scatter", transposed_conv_by_zero_insertion),
    ("conv2d-by-hand", conv2d_by_windows),
    ("maxpool-forward", maxpool_by_reshape),
    ("avgpool-overlap", avgpool_by_windows),
    ("maxpool-backward", maxpool_gradient_by_mask),
    ("conv-param-count", param_count_by_tensor_shapes),
    ("conv-mult-adds", mult_adds_by_sliding),
    ("receptive-field", receptive_field_by_tracing),
    ("transposed-conv-size", transposed_size_by_scatter),
    ("conv-kernel-gradient", kernel_gradient_by_complex_step),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("question_id", "recompute"), RECOMPUTED, ids=[row[0] for row in RECOMPUTED])
def test_key_matches_an_independent_route(bank, question_id, recompute, seed):
    params, key = draw_variant(question(bank, question_id), seed)
    np.testing.assert_allclose(key, recompute(params), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_transposed_convolution_inverts_the_shape_of_the_convolution(bank, seed):
    params, key = draw_variant(question(bank, "transposed-conv-size"), seed)
    assert (key + 2 * params["p"] - params["k"]) // params["s"] + 1 == params["H"]


@pytest.mark.parametrize("seed", SEEDS)
def test_transposed_convolution_always_enlarges_the_map(bank, seed):
    params, key = draw_variant(question(bank, "transposed-conv-size"), seed)
    assert params["s"] in (2, 3) and key > params["H"]


@pytest.mark.parametrize("seed", SEEDS)
def test_input_gradient_differs_from_the_unflipped_kernel(bank, seed):
    """Sliding k itself instead of its mirror image (the classic slip) must give a wrong answer."""
    params, key = draw_variant(question(bank, "conv1d-grad-input"), seed)
    unflipped = np.convolve(params["g"], params["k"][::-1])
    assert not np.allclose(unflipped, key)


@pytest.mark.parametrize("seed", SEEDS)
def test_maxpool_backward_variant_has_one_maximum_per_window(bank, seed):
    params, _ = draw_variant(question(bank, "maxpool-backward"), seed)
    windows = params["X"].reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(4, 4)
    assert all(np.sum(w == w.max()) == 1 for w in windows)


# worked on paper: patches times kernel, window maxima, layer-by-layer receptive fields
HAND_WORKED = [
    ("conv-output-size", {"H": 30, "k": 7, "p": 0, "s": 3, "d": 1}, 8),
    ("conv-output-size", {"H": 32, "k": 3, "p": 1, "s": 2, "d": 2}, 15),
    ("conv2d-by-hand", {"X": [[2, 2, -2, 2], [0, 1, 1, -1], [3, -2, -1, 0]], "K": [[1, 0], [-1, -1]]},
     [[1, 0, -2], [-1, 4, 2]]),
    ("maxpool-forward", {"X": [[6, 8, 0, 8, 4, 5], [6, 2, 9, 0, 2, 3], [5, 4, 1, 0, 0, 0], [1, 9, 1, 6, 7, 2]]},
     [[8, 9, 5], [9, 6, 7]]),
    ("avgpool-overlap", {"X": [[6, 7, 0, 7], [4, 4, 5, 2], [8, 0, 2, 3]]}, [[5.25, 4, 3.5], [4, 2.75, 3]]),
    ("maxpool-backward",
     {"X": [[3, 6, -9, 6], [-1, 0, 2, -4], [9, -8, -4, -2], [1, -2, -7, -9]], "G": [[-3, -3], [-2, 3]]},
     [[0, -3, 0, -3], [0, 0, 0, 0], [-2, 0, 0, 3], [0, 0, 0, 0]]),
    ("conv-param-count", {"C_in": 3, "C_out": 64, "k": 3}, 1792),
    ("conv-mult-adds", {"H": 28, "C_in": 32, "C_out": 8, "k": 5, "s": 1, "p": 1}, 26 * 26 * 8 * 800),
    ("receptive-field", {"k1": 5, "k2": 5, "k3": 3, "s1": 2, "s2": 1, "s3": 2}, 17),
    ("receptive-field", {"k1": 3, "k2": 3, "k3": 3, "s1": 1, "s2": 1, "s3": 1}, 7),
    ("transposed-conv-size", {"H": 7, "k": 4, "s": 2, "p": 1}, 14),
    ("transposed-conv-size", {"H": 3, "k": 3, "s": 3, "p": 2}, 5),
    # positions 2 and 4 receive two copies
    ("transposed-conv-scatter", {"x": [1, 2, 3], "k": [1, 1, 1]}, [1, 1, 3, 2, 5, 3, 3]),
    ("transposed-conv-scatter", {"x": [1, -1, 2], "k": [2, 0, -1]}, [2, 0, -3, 0, 5, 0, -2]),
    # one upstream entry: the kernel itself lands at the inputs that output used
    ("conv1d-grad-input", {"x": [0, 0, 0, 0, 0, 0], "k": [1, 2, 3], "g": [1, 0, 0, 0]}, [1, 2, 3, 0, 0, 0]),
    ("conv1d-grad-input", {"x": [1, 2, 1, 2, 1, 2], "k": [1, 2, 3], "g": [1, 1, 0, 0]}, [1, 3, 5, 3, 0, 0]),
    ("conv-kernel-gradient",
     {"X": [[1, 2, -2, 2], [0, 0, 1, -1], [2, -2, -1, -1]], "K": [[0, 0, -1], [-1, -1, -1]], "T": [[-2, 2], [-2, 1]]},
     [[-5, 18, -16], [-4, -12, 1]]),
]


@pytest.mark.parametrize(("question_id", "params", "expected"), HAND_WORKED, ids=[row[0] for row in HAND_WORKED])
def test_hand_worked_variant(bank, question_id, params, expected):
    key = solve_with(question(bank, question_id), params)
    np.testing.assert_allclose(key, expected, rtol=1e-12, atol=0)
