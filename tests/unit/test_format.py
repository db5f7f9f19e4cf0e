"""Showing numbers and keys as text, and reading that text back."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from quizserver.grading import format_answer, format_number, parse_array


@pytest.mark.parametrize(
    ("x", "sig", "expected"),
    [
        (3, 4, "3"),
        (3.0, 4, "3"),
        (-12.0, 4, "-12"),
        (0.0, 4, "0"),
        (-0.0, 4, "0"),
        (123456789.0, 4, "123456789"),  # integers are shown in full
        (np.float64(7.0), 4, "7"),
        (np.int64(-5), 4, "-5"),
        (0.123456, 4, "0.1235"),
        (-2.5, 4, "-2.5"),
        (2.50001, 4, "2.5"),  # no trailing zeros
        (0.1, 4, "0.1"),
        (1 / 3, 4, "0.3333"),
        (2 / 3, 2, "0.67"),
        (12345.678, 4, "12350"),  # plain below 1e6, rounded to 4 digits
        (999.96, 4, "1000"),
        (0.001, 4, "0.001"),  # 1e-3 itself is still plain
        (0.0012345, 3, "0.00123"),
        (1.23456e-5, 4, "1.235e-05"),
        (-1.23456e-5, 4, "-1.235e-05"),
        (0.00099996, 4, "1e-03"),
        (1234567.5, 4, "1.235e+06"),
        (1e20, 4, "1e+20"),
        (-3.14159e300, 3, "-3.14e+300"),
        (1.7976931348623157e308, 4, "1.797e+308"),  # rounded down so it reads back as a finite number
        (5e-324, 4, "4.941e-324"),
        (float("nan"), 4, "nan"),
        (float("inf"), 4, "inf"),
    ],
)
def test_format_number(x: float, sig: int, expected: str) -> None:
    assert format_number(x, sig) == expected


def test_format_number_rejects_zero_significant_digits() -> None:
    with pytest.raises(ValueError, match="sig"):
        format_number(1.5, 0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2.5, "2.5"),
        (np.float64(-0.125), "-0.125"),
        (np.array(4.0), "4"),
        ([1, 2, 3], "[1, 2, 3]"),
        (np.array([0.5, -1.25e-6]), "[0.5, -1.25e-06]"),
        ([[1, 2], [3, 4]], "[[1, 2], [3, 4]]"),
        (np.array([[0.1234567], [-0.0]]), "[[0.1235], [0]]"),
        (["a", "c"], "a, c"),
        (("b",), "b"),
    ],
)
def test_format_answer(value: object, expected: str) -> None:
    assert format_answer(value) == expected


def test_format_answer_rejects_three_dimensions() -> None:
    with pytest.raises(ValueError, match="at most 2 dimensions"):
        format_answer(np.zeros((2, 2, 2)))


@pytest.mark.parametrize(
    "key",
    [
        3.0,
        -0.1234567,
        1e-9,
        [1.0, -2.5, 3.75],
        [[1 / 3, 2 / 3], [-1e7, 5e-324]],
        [[0.0], [1.7976931348623157e308]],
    ],
)
def test_formatted_key_reads_back(key: object) -> None:
    read_back = parse_array(format_answer(key))
    np.testing.assert_allclose(read_back, np.asarray(key), rtol=1e-3, atol=0)


_finite = st.floats(allow_nan=False, allow_infinity=False)


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4), elements=_finite))
def test_formatted_key_reads_back_for_any_finite_key(key: np.ndarray) -> None:
    read_back = parse_array(format_answer(key))
    assert read_back.shape == key.shape
    np.testing.assert_allclose(read_back, key, rtol=1e-3, atol=0)


@given(_finite, st.integers(min_value=1, max_value=17))
def test_formatted_number_reads_back_and_is_never_negative_zero(x: float, sig: int) -> None:
    text = format_number(x, sig)
    assert text != "-0"
    assert float(text) == pytest.approx(x, rel=10.0 ** (1 - sig), abs=0)
