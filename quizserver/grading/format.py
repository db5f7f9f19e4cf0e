"""Showing numbers and answer keys as text a student could type back."""
from __future__ import annotations

import math
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Context, Decimal
from typing import Any

import numpy as np

# Integers up to here are shown digit for digit; beyond it a float no longer holds every digit.
_LARGEST_EXACT_INTEGER = 1e15
_SMALLEST_PLAIN = 1e-3
_LARGEST_PLAIN = 1e6


def _round_significant(x: float, sig: int) -> Decimal:
    rounded = Context(prec=sig, rounding=ROUND_HALF_EVEN).create_decimal_from_float(x)
    if math.isinf(float(rounded)):
        # Rounding up near the largest float would overflow when read back.
        rounded = Context(prec=sig, rounding=ROUND_DOWN).create_decimal_from_float(x)
    return rounded.normalize()


def format_number(x: float, sig: int = 4) -> str:
    """`3`, `-12`, `0.1235`, `-2.5`, `1.235e-05`: integers in full, others to `sig` significant digits."""
    if sig < 1:
        raise ValueError(f"sig must be at least 1, got {sig}")
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"  # also turns -0.0 into 0
    if x.is_integer() and abs(x) < _LARGEST_EXACT_INTEGER:
        return str(int(x))
    rounded = _round_significant(x, sig)
    if _SMALLEST_PLAIN <= abs(x) < _LARGEST_PLAIN:
        return f"{rounded:f}"
    sign, digits, _ = rounded.as_tuple()
    mantissa = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
    return f"{'-' if sign else ''}{mantissa}e{rounded.adjusted():+03d}"


def format_answer(value: Any, sig: int = 4) -> str:
    """A key as plain text: `2.5`, `[1, 2, 3]`, `[[1, 2], [3, 4]]`, or choice ids `a, c`."""
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return ", ".join(value)
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return format_number(float(array), sig)
    if array.ndim == 1:
        return "[" + ", ".join(format_number(x, sig) for x in array.tolist()) + "]"
    if array.ndim == 2:
        return "[" + ", ".join(format_answer(row, sig) for row in array) + "]"
    raise ValueError(f"an answer has at most 2 dimensions, got shape {array.shape}")
