"""`type: matrix`: a vector or a matrix, entry by entry within a tolerance; `partial: true` gives credit
for the share of entries right. The hint names this variant's own shape."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..grade import grade_matrix
from ..types import Tolerance
from .base import QuestionType, with_rule


def _describe(key: Any, tolerance: Tolerance) -> str:
    shape = np.shape(key)
    if len(shape) == 1:
        hint = f"a vector of {shape[0]} entries, e.g. [1, 2, 3]"
    elif len(shape) == 2:
        hint = f"a {shape[0]}×{shape[1]} matrix, e.g. [[1, 2], [3, 4]] or [1 2; 3 4]"
    else:
        hint = "a number"
    return with_rule(hint, tolerance)


MATRIX = QuestionType(
    name="matrix",
    grader=grade_matrix,
    describe=_describe,
    keys=("solution", "answer", "check", "tolerance", "partial", "expressions"),
    required={"solution": " (it computes a matrix answer)"},
    key_ndims=(1, 2),
    input="grid",
)
