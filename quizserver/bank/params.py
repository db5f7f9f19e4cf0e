"""Drawing a question's randomized parameters from a seeded numpy Generator.

Pure numpy: the sandbox worker imports this, so it must not import Flask, SQLAlchemy or YAML.
"""
from __future__ import annotations

from typing import Any

import numpy as np

ROUNDED_KINDS = ("uniform", "normal")


def draw_params(specs: list[dict], rng: np.random.Generator) -> dict[str, Any]:
    """Draw one value per spec (ParamSpec.as_dict() form), in order, from rng.

    Scalars come back as python float/int (or the chosen value for `choice`), arrays as ndarray.
    The same Generator state always gives the same values.
    """
    return {spec["name"]: draw_param(spec, rng) for spec in specs}


def draw_param(spec: dict, rng: np.random.Generator) -> Any:
    name = spec.get("name", "?")
    kind = spec.get("kind")
    args = list(spec.get("args") or [])
    shape = spec.get("shape")
    size = None if shape is None else tuple(int(n) for n in shape)
    if kind == "constant":
        # takes nothing from rng, so adding a constant never changes the other parameters' draws
        value = args[0] if args else None
        return np.array(value) if isinstance(value, (list, tuple)) else value
    if kind == "uniform":
        low, high = _two_numbers(name, kind, args, "[low, high]")
        return _rounded(rng.uniform(low, high, size=size), spec.get("round"))
    if kind == "normal":
        mean, std = _two_numbers(name, kind, args, "[mean, std]")
        if std < 0:
            raise ValueError(f"parameter {name}: normal std must not be negative, got {std}")
        return _rounded(rng.normal(mean, std, size=size), spec.get("round"))
    if kind == "randint":
        low, high = (_whole(name, value) for value in _two_numbers(name, kind, args, "[low, high]"))
        if low > high:
            raise ValueError(f"parameter {name}: randint needs low <= high, got [{low}, {high}]")
        drawn = rng.integers(low, high, size=size, endpoint=True)
        return int(drawn) if size is None else drawn.astype(np.int64)
    if kind == "choice":
        if not args:
            raise ValueError(f"parameter {name}: choice needs at least one value")
        picks = rng.integers(0, len(args), size=size)
        if size is None:
            value = args[int(picks)]
            return np.array(value) if isinstance(value, (list, tuple)) else value
        return np.asarray(args)[picks]
    raise ValueError(f"parameter {name}: unknown kind {kind!r}")


def _two_numbers(name: str, kind: str, args: list, form: str) -> tuple[float, float]:
    if len(args) != 2 or not all(_is_number(a) for a in args):
        raise ValueError(f"parameter {name}: {kind} needs {form}, got {args!r}")
    return args[0], args[1]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _whole(name: str, value: float) -> int:
    if float(value) != int(value):
        raise ValueError(f"parameter {name}: randint bounds must be whole numbers, got {value}")
    return int(value)


def _rounded(drawn: Any, decimals: int | None) -> Any:
    if decimals is not None:
        # adding 0.0 turns the -0.0 that rounding leaves behind into 0.0
        drawn = np.round(drawn, int(decimals)) + 0.0
    return float(drawn) if np.ndim(drawn) == 0 else drawn
