"""Drawing randomized parameters: each kind, shapes, rounding, bounds and determinism."""
from __future__ import annotations

import math

import numpy as np
import pytest

from quizserver.bank.params import draw_params


def spec(name="p", kind="uniform", args=(0, 1), shape=None, round=None):
    return {"name": name, "kind": kind, "args": list(args), "shape": shape, "round": round}


def draw(one_spec, seed=0):
    return draw_params([one_spec], np.random.default_rng(seed))[one_spec["name"]]


@pytest.mark.parametrize(
    ("one_spec", "python_type", "low", "high"),
    [
        (spec(kind="uniform", args=(2, 3)), float, 2, 3),
        (spec(kind="normal", args=(0, 1e-9)), float, -1e-6, 1e-6),
        (spec(kind="randint", args=(-2, 2)), int, -2, 2),
        (spec(kind="choice", args=(1.5, 2.5, 3.5)), float, 1.5, 3.5),
    ],
)
def test_scalar_kinds_give_python_scalars_in_range(one_spec, python_type, low, high):
    for seed in range(50):
        value = draw(one_spec, seed)
        assert type(value) is python_type
        assert low <= value <= high


@pytest.mark.parametrize(
    ("one_spec", "shape", "dtype_kind"),
    [
        (spec(kind="uniform", args=(-1, 1), shape=[2, 3]), (2, 3), "f"),
        (spec(kind="normal", args=(0, 1), shape=[4]), (4,), "f"),
        (spec(kind="randint", args=(0, 9), shape=[3, 1]), (3, 1), "i"),
        (spec(kind="choice", args=(1, 2, 3), shape=[5]), (5,), "i"),
        (spec(kind="choice", args=(0.5, 1.5), shape=[2, 2]), (2, 2), "f"),
    ],
)
def test_shape_gives_arrays(one_spec, shape, dtype_kind):
    value = draw(one_spec)
    assert isinstance(value, np.ndarray)
    assert value.shape == shape
    assert value.dtype.kind == dtype_kind


def test_choice_picks_only_listed_values_and_all_of_them():
    picks = {draw(spec(kind="choice", args=("relu", "tanh", "sigmoid")), seed) for seed in range(60)}
    assert picks == {"relu", "tanh", "sigmoid"}


def test_choice_of_lists_gives_an_array():
    value = draw(spec(kind="choice", args=([[1, 0], [0, 1]],)))
    assert np.array_equal(value, np.eye(2))


def test_randint_includes_both_bounds():
    values = draw(spec(kind="randint", args=(-1, 1), shape=[2000]))
    assert set(values.tolist()) == {-1, 0, 1}


@pytest.mark.parametrize(
    ("one_spec", "decimals"),
    [
        (spec(kind="uniform", args=(-5, 5), round=1), 1),
        (spec(kind="normal", args=(0, 3), round=0), 0),
        (spec(kind="normal", args=(0, 1), shape=[50], round=2), 2),
    ],
)
def test_round_gives_values_with_that_many_decimals(one_spec, decimals):
    for seed in range(20):
        values = np.atleast_1d(draw(one_spec, seed))
        assert np.allclose(values, np.round(values, decimals), rtol=0, atol=1e-12)


def test_rounding_never_leaves_negative_zero():
    values = draw(spec(kind="normal", args=(0, 0.01), shape=[500], round=1))
    assert 0.0 in values  # the draw is small enough that many values round to zero
    assert not np.any(np.signbit(values[values == 0]))
    scalars = [draw(spec(kind="uniform", args=(-0.04, 0), round=1), seed) for seed in range(20)]
    assert all(value == 0.0 and not math.copysign(1, value) < 0 for value in scalars)


@pytest.mark.parametrize("kind", ["randint", "choice"])
def test_round_is_ignored_for_integer_kinds(kind):
    value = draw(spec(kind=kind, args=(1, 3), round=1))
    assert type(value) is int


def test_same_generator_state_gives_same_values_and_seeds_differ():
    specs = [
        spec("x", "normal", (0, 1), shape=[3], round=1),
        spec("W", "randint", (-2, 2), shape=[2, 3]),
        spec("lr", "uniform", (0.01, 0.1)),
        spec("act", "choice", ("relu", "tanh")),
    ]
    first = draw_params(specs, np.random.default_rng(42))
    again = draw_params(specs, np.random.default_rng(42))
    other = draw_params(specs, np.random.default_rng(43))
    assert list(first) == ["x", "W", "lr", "act"]
    assert all(np.array_equal(first[name], again[name]) for name in first)
    assert not all(np.array_equal(first[name], other[name]) for name in first)


@pytest.mark.parametrize(
    ("one_spec", "message"),
    [
        (spec(kind="uniform", args=(1,)), "uniform needs [low, high]"),
        (spec(kind="normal", args=(0, -1)), "must not be negative"),
        (spec(kind="randint", args=(3, 1)), "low <= high"),
        (spec(kind="randint", args=(0, 2.5)), "whole numbers"),
        (spec(kind="choice", args=()), "at least one value"),
        (spec(kind="poisson", args=(1,)), "unknown kind"),
    ],
)
def test_malformed_specs_raise_a_clear_value_error(one_spec, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        draw(one_spec)
