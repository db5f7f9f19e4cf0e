"""Solving a question the way a careful student does: from the values as the page shows them (4 significant
digits), writing down every step rounded to 4 significant digits.

Pure numpy and ast: the worker imports it before it locks itself down. `careful_code` turns solution code
that passed the policy check into code whose every assignment (and `return`) passes its value through
`ROUND_NAME`, a name author code can never spell (the policy refuses names starting with `__`).
"""
from __future__ import annotations

import ast
import math
from collections.abc import Callable
from types import CodeType
from typing import Any, cast

import numpy as np

SIGNIFICANT = 4
ROUND_NAME = "__rounded_step__"
# format_number shows whole numbers below this digit for digit, so a student copies them exactly
_LARGEST_EXACT_INTEGER = 1e15
_SMALLEST_ROUNDED = 1e-280  # below it, 10 ** (digits - exponent) would overflow
_SMALL_ARRAY = 64  # up to this many entries, one by one in Python beats numpy's per-call overhead


def _round_floats(values: np.ndarray) -> np.ndarray:
    """4 significant digits entry by entry; whole numbers, 0, tiny numbers, inf and nan as they are."""
    exact = ~np.isfinite(values) | (np.abs(values) < _SMALLEST_ROUNDED)
    exact |= (values == np.round(values)) & (np.abs(values) < _LARGEST_EXACT_INTEGER)
    magnitude = np.floor(np.log10(np.abs(np.where(exact, 1.0, values))))
    scale = 10.0 ** (SIGNIFICANT - 1 - magnitude)
    return np.where(exact, values, np.round(values * scale) / scale)


def _half_unit(values: np.ndarray) -> np.ndarray:
    """Half a unit in the last shown digit: the largest error 4-digit rounding makes."""
    safe = np.where(np.isfinite(values) & (values != 0), np.abs(values), 1.0)
    return 0.5 * 10.0 ** (np.floor(np.log10(safe)) - (SIGNIFICANT - 1))


class Rounder:
    """Rounds a value the way a student writes it down. With `rng`, an entry that 4 digits cannot hold
    exactly is moved by a random error of up to half a unit instead, as another order of the same steps
    would round it; an entry 4 digits hold exactly (an integer, 0.25) is kept."""

    def __init__(self, rng: np.random.Generator | None = None) -> None:
        self.rng = rng

    def __call__(self, value: Any) -> Any:
        if isinstance(value, (bool, np.bool_, int, np.integer)):
            return value
        if isinstance(value, (float, np.floating)):
            return type(value)(self._scalar(float(value)))
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            if value.size <= _SMALL_ARRAY:
                entries = value.ravel().tolist()
                rounded_entries = [self._scalar(entry) for entry in entries]
                if rounded_entries == entries:
                    return value
                return np.array(rounded_entries, dtype=value.dtype).reshape(value.shape)
            rounded = self._floats(value.astype(np.float64)).astype(value.dtype)
            return value if np.array_equal(rounded, value, equal_nan=True) else rounded
        if isinstance(value, (list, tuple)):
            items = [self(item) for item in value]
            if all(new is old for new, old in zip(items, value, strict=True)):
                return value
            return items if isinstance(value, list) else tuple(items)
        return value

    def _scalar(self, value: float) -> float:
        # plain floats are most of a solution's steps: math is ten times faster than numpy here
        if not math.isfinite(value) or abs(value) < _SMALLEST_ROUNDED:
            return value
        if value.is_integer() and abs(value) < _LARGEST_EXACT_INTEGER:
            return value
        exponent = math.floor(math.log10(abs(value)))
        scale = 10.0 ** (SIGNIFICANT - 1 - exponent)
        rounded = round(value * scale) / scale
        if self.rng is None or rounded == value:
            return rounded
        return value + float(self.rng.uniform(-1.0, 1.0)) * 0.5 / scale

    def _floats(self, values: np.ndarray) -> np.ndarray:
        rounded = _round_floats(values)
        if self.rng is None:
            return rounded
        inexact = rounded != values
        error = self.rng.uniform(-1.0, 1.0, size=values.shape) * _half_unit(values)
        return np.where(inexact, values + error, values)


def round_to_shown(values: Any) -> np.ndarray:
    """A number or an array to the 4 significant digits the page shows (whole numbers in full)."""
    return _round_floats(np.asarray(values, dtype=np.float64))


def shown_params(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters as the page shows them."""
    return {name: Rounder()(value) for name, value in params.items()}


class _RoundSteps(ast.NodeTransformer):
    def _round(self, value: ast.expr) -> ast.expr:
        return ast.Call(func=ast.Name(id=ROUND_NAME, ctx=ast.Load()), args=[value], keywords=[])

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        self.generic_visit(node)
        node.value = self._round(node.value)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        self.generic_visit(node)
        if node.value is not None:
            node.value = self._round(node.value)
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.target, ast.Name):
            # x += y becomes x = round(x + y), so the running value is the one written down
            current = ast.Name(id=node.target.id, ctx=ast.Load())
            return ast.Assign(targets=[node.target], value=self._round(ast.BinOp(current, node.op, node.value)))
        node.value = self._round(node.value)
        return node

    def visit_NamedExpr(self, node: ast.NamedExpr) -> ast.AST:
        self.generic_visit(node)
        node.value = self._round(node.value)
        return node

    def visit_Return(self, node: ast.Return) -> ast.AST:
        self.generic_visit(node)
        if node.value is not None:
            node.value = self._round(node.value)
        return node


def careful_code(source: str) -> CodeType:
    """Solution code (already accepted by policy.check_code) with every step rounded by `ROUND_NAME`."""
    tree = _RoundSteps().visit(ast.parse(source, filename="<solution>", mode="exec"))
    return compile(cast(ast.Module, ast.fix_missing_locations(tree)), "<solution>", "exec")


def rounders(seed: int, trials: int) -> list[Callable[[Any], Any]]:
    """The plain 4-digit rounding, then `trials` random roundings, reproducible from the variant's seed."""
    return [Rounder(), *(Rounder(np.random.default_rng([seed, trial])) for trial in range(trials))]
