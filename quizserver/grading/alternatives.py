"""Answer keys with alternatives: `{"any_of": [key, key, ...]}`, any one of which is right.

An eigenvector is right up to its sign, an arg-max may be tied: the author lists every acceptable key and
the answer is graded against the closest one, so its feedback (sign flipped, transposed, ...) is about
that one. The alternatives may differ in shape. Pure: no Flask, no SQLAlchemy.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .format import format_answer
from .types import Grade, Status, Tolerance

ANY_OF = "any_of"
_RANK = {Status.CORRECT: 0, Status.PARTIAL: 1, Status.INCORRECT: 2, Status.INVALID: 3}


def is_any_of(key: Any) -> bool:
    return isinstance(key, dict) and set(key) == {ANY_OF}


def any_of(keys: list[Any]) -> dict[str, list[Any]]:
    return {ANY_OF: list(keys)}


def alternatives(key: Any) -> list[Any]:
    """Every acceptable key: the listed ones, or the key itself. Raises ValueError for an empty list."""
    if not is_any_of(key):
        return [key]
    keys = key[ANY_OF]
    if not isinstance(keys, list) or not keys:
        raise ValueError("an any_of answer key must list at least one key")
    return keys


def first_key(key: Any) -> Any:
    """The key whose shape the input hint describes: the first alternative."""
    return alternatives(key)[0]


def _distance(value: Any, key: Any, tolerance: Tolerance) -> float:
    """How many tolerances the answer is from the key on average; inf when the shapes differ."""
    try:
        answer = np.asarray(value, dtype=np.float64)
        expected = np.asarray(key, dtype=np.float64)
    except (TypeError, ValueError):
        return math.inf
    if answer.size != expected.size:
        return math.inf
    scale = tolerance.atol + tolerance.rtol * np.abs(expected) + 1e-300
    with np.errstate(all="ignore"):
        distance = float(np.mean(np.abs(answer.reshape(expected.shape) - expected) / scale))
    return distance if math.isfinite(distance) else math.inf


def closest(grades: list[Grade], keys: list[Any], tolerance: Tolerance) -> Grade:
    """The grade against the best-matching key: right before partly right before wrong, then the highest
    score, then the key the answer is nearest to; the first listed wins a tie."""
    def rank(index: int) -> tuple[int, float, float, int]:
        found = grades[index]
        shape_miss = 1 if found.mistake == "shape" else 0
        distance = _distance(found.value, keys[index], tolerance) if found.status is Status.INCORRECT else 0.0
        return _RANK[found.status], -found.score, shape_miss + distance, index

    return grades[min(range(len(grades)), key=rank)]


def shown_digits(key: Any, tolerance: Tolerance) -> int:
    """The significant digits a key is shown with: 4, or as many as its tolerance's rule asks for."""
    if tolerance.sigfig is not None:
        return max(4, tolerance.sigfig)
    if tolerance.decdig is not None:
        try:
            biggest = float(np.max(np.abs(np.asarray(key, dtype=np.float64))))
        except (TypeError, ValueError):
            return 4
        lead = math.floor(math.log10(biggest)) + 1 if biggest > 0 and math.isfinite(biggest) else 1
        return max(4, lead + tolerance.decdig)
    return 4


def key_text(key: Any, tolerance: Tolerance) -> str:
    """A key as students are shown it once they may see it: each acceptable key, joined by "or"."""
    return " or ".join(format_answer(k, shown_digits(k, tolerance)) for k in alternatives(key))
