"""Item statistics from arrays in, plain values out. Imports no Flask, no SQLAlchemy.

Conventions: a score is a fraction of the question's marks (0..1); NaN in an array means "no value"
(the student did not attempt that question), never zero.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# Moodle flags questions whose discrimination index is below this (as a correlation, not a percentage).
LOW_DISCRIMINATION = 0.1
# A wrong answer given by at least this share of the students attempting a question suggests a wrong key.
WRONG_KEY_SHARE = 0.2
WRONG_KEY_MIN_STUDENTS = 3
# Mistake classes that relate a wrong answer to the key the same way in every variant.
KEY_RELATED_MISTAKES = ("sign", "transposed", "factor")
MISTAKE_LABELS = {
    "sign": "sign flipped",
    "transposed": "transposed",
    "factor": "off by a factor",
    "rounding": "rounding",
    "shape": "wrong shape",
}


def _finite(values: Any) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64).ravel()
    return array[np.isfinite(array)]


def mean_or_none(values: Any) -> float | None:
    """The mean of the finite entries; None when there are none."""
    array = _finite(values)
    return float(array.mean()) if array.size else None


def facility(first_scores: Any, max_score: float = 1.0) -> float | None:
    """Mean first-attempt score over the maximum score (0..1); None when nobody attempted."""
    mean = mean_or_none(first_scores)
    if mean is None or max_score <= 0:
        return None
    return mean / max_score


def mean_attempts_to_correct(attempts_to_correct: Any) -> float | None:
    """Mean attempts the students who solved the question needed (NaN: not solved)."""
    return mean_or_none(attempts_to_correct)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def pearson(x: Any, y: Any) -> float | None:
    """Pearson's r; None with fewer than two pairs or when either side does not vary."""
    a = np.asarray(x, dtype=np.float64).ravel()
    b = np.asarray(y, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"pearson needs equally long arrays, got {a.size} and {b.size}")
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    if a.size < 2:
        return None
    da, db = a - a.mean(), b - b.mean()
    denominator = math.sqrt(float(np.dot(da, da)) * float(np.dot(db, db)))
    # a spread this small is rounding noise in a constant column
    if denominator <= 1e-12:
        return None
    return max(-1.0, min(1.0, float(np.dot(da, db)) / denominator))


def discrimination(first_scores: Any, points: Sequence[float]) -> list[float | None]:
    """Moodle's discrimination index per question, as a correlation in [-1, 1].

    first_scores is students x questions (fractions, NaN where not attempted). For question j the
    students who attempted it are correlated: their score on j against their rest-of-week mark, the
    points-weighted sum of their first-attempt scores on every other question (0 where not attempted).
    """
    scores = np.asarray(first_scores, dtype=np.float64)
    if scores.ndim != 2 or scores.shape[1] != len(points):
        raise ValueError(f"first_scores must be students x {len(points)}, got shape {scores.shape}")
    marks = np.nan_to_num(scores, nan=0.0) * np.asarray(points, dtype=np.float64)
    total = marks.sum(axis=1)
    result: list[float | None] = []
    for j in range(scores.shape[1]):
        attempted = np.isfinite(scores[:, j])
        result.append(pearson(scores[attempted, j], total[attempted] - marks[attempted, j]))
    return result


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int

    @property
    def label(self) -> str:
        return f"{self.low:g}–{self.high:g}"


def histogram(values: Any, bins: int = 10, low: float = 0.0, high: float = 100.0) -> list[Bin]:
    """Equal-width bins over [low, high]; the last bin includes high, values outside are clamped in."""
    if bins < 1 or not high > low:
        raise ValueError("histogram needs bins >= 1 and high > low")
    array = np.clip(_finite(values), low, high)
    counts, edges = np.histogram(array, bins=bins, range=(low, high))
    return [Bin(float(edges[i]), float(edges[i + 1]), int(counts[i])) for i in range(bins)]


# ---------------------------------------------------------------- wrong answers


@dataclass(frozen=True)
class AnswerGroup:
    """Wrong answers within tolerance of each other, merged."""

    value: Any  # the most frequent exact answer in the group
    attempts: int
    students: int
    mistake: str | None  # the most frequent mistake class among its attempts

    @property
    def mistake_label(self) -> str:
        return MISTAKE_LABELS.get(self.mistake or "", self.mistake or "")


def _chain_labels(values: np.ndarray, labels: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Split each group where consecutive sorted values are further apart than the tolerance."""
    order = np.lexsort((values, labels))
    v, g = values[order], labels[order]
    gap = np.abs(np.diff(v))
    allowed = atol + rtol * np.maximum(np.abs(v[1:]), np.abs(v[:-1]))
    breaks = np.concatenate(([True], (g[1:] != g[:-1]) | ~(gap <= allowed)))
    new = np.empty_like(labels)
    new[order] = np.cumsum(breaks) - 1
    return new


def _exact_key(value: Any) -> tuple[str, Any] | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ("choice", tuple(sorted(value)))
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if array.ndim > 2 or array.size == 0 or not np.all(np.isfinite(array)):
        return None
    return ("array", array.shape)


def group_answers(
    values: Sequence[Any],
    students: Sequence[int],
    mistakes: Sequence[str | None],
    rtol: float = 1e-2,
    atol: float = 1e-6,
    *,
    counts: Sequence[int] | None = None,
    keys: Sequence[Any] | None = None,
    limit: int | None = None,
) -> list[AnswerGroup]:
    """Group wrong answers, largest group (by students) first; only the first `limit` groups when given.

    Entry i is answer values[i], given counts[i] times (default 1) by students[i], labelled mistakes[i].
    keys[i], when given, is a hashable stand-in for values[i] (e.g. its JSON text), equal exactly when
    the values are, so each distinct answer is examined once.
    Numbers and arrays of one shape merge when, entry by entry, they chain within the tolerance
    (|a - b| <= atol + rtol * max(|a|, |b|)); choice answers merge when they select the same choices.
    Answers that are not numbers, arrays or choices are left out.
    """
    n = len(values)
    if not n == len(students) == len(mistakes) or (counts is not None and len(counts) != n) or (
        keys is not None and len(keys) != n
    ):
        raise ValueError("values, students, mistakes, counts and keys must be equally long")
    weights = counts if counts is not None else [1] * n
    # distinct answers first: the numeric work below is per distinct answer, not per attempt
    distinct: dict[Any, int] = {}
    entry_of: list[int] = []
    first_value: list[Any] = []
    for i in range(n):
        key = keys[i] if keys is not None else _hashable(values[i])
        d = distinct.get(key)
        if d is None:
            d = distinct[key] = len(first_value)
            first_value.append(values[i])
        entry_of.append(d)

    by_kind: dict[tuple[str, Any], list[int]] = {}
    for d, value in enumerate(first_value):
        group_key = _exact_key(value)
        if group_key is not None:
            by_kind.setdefault(group_key, []).append(d)
    label = [-1] * len(first_value)
    next_label = 0
    for (kind, _shape), ds in by_kind.items():
        if kind == "choice":
            for d in ds:  # distinct choice answers are distinct selections already
                label[d] = next_label
                next_label += 1
            continue
        matrix = np.asarray([np.asarray(first_value[d], dtype=np.float64).ravel() for d in ds]).reshape(len(ds), -1)
        labels = np.zeros(len(ds), dtype=np.int64)
        for column in range(matrix.shape[1]):
            labels = _chain_labels(matrix[:, column], labels, rtol, atol)
        for d, found in zip(ds, labels.tolist(), strict=True):
            label[d] = next_label + found
        next_label += int(labels.max()) + 1 if len(ds) else 0

    # per-entry bookkeeping in numpy: a cohort gives tens of thousands of wrong attempts
    group_of = np.asarray(label, dtype=np.int64)[np.asarray(entry_of, dtype=np.int64)] if n else np.zeros(0, np.int64)
    keep = np.flatnonzero(group_of >= 0)
    if keep.size == 0:
        return []
    group_of = group_of[keep]
    weight = np.asarray(weights, dtype=np.int64)[keep]
    entry = np.asarray(entry_of, dtype=np.int64)[keep]
    student = np.asarray(students, dtype=np.int64)[keep]
    mistake_names = sorted({m for m in mistakes if m})
    mistake_code = {m: k for k, m in enumerate(mistake_names)}
    mistake = np.asarray(
        [mistake_code.get(mistakes[i] or "", -1) for i in keep.tolist()], dtype=np.int64  # "" names no mistake
    )

    groups_found = np.unique(group_of)
    attempts = np.bincount(np.searchsorted(groups_found, group_of), weights=weight, minlength=groups_found.size)
    pairs = np.unique(np.stack([group_of, student]), axis=1)
    students_per = np.bincount(np.searchsorted(groups_found, pairs[0]), minlength=groups_found.size)
    first_seen = np.full(groups_found.size, n, dtype=np.int64)
    np.minimum.at(first_seen, np.searchsorted(groups_found, group_of), keep)

    order = np.lexsort((first_seen, -attempts, -students_per))  # most students, then attempts, then first given
    result = []
    for g_index in order[:limit].tolist():
        mine = group_of == groups_found[g_index]
        # the most given exact answer; ties go to the one given first
        tally = np.bincount(entry[mine], weights=weight[mine])
        labelled = mine & (mistake >= 0)
        top_mistake = None
        if labelled.any():
            top_mistake = mistake_names[int(np.argmax(np.bincount(mistake[labelled], weights=weight[labelled])))]
        result.append(
            AnswerGroup(
                value=first_value[int(np.argmax(tally))],
                attempts=int(attempts[g_index]),
                students=int(students_per[g_index]),
                mistake=top_mistake,
            )
        )
    return result


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(item) for item in value)
    return value


def mistake_students(students: Sequence[int], mistakes: Sequence[str | None]) -> dict[str, int]:
    """How many distinct students made each labelled mistake, most common first."""
    seen: dict[str, set[int]] = {}
    for student, mistake in zip(students, mistakes, strict=True):
        if mistake:
            seen.setdefault(mistake, set()).add(student)
    return dict(sorted(((m, len(s)) for m, s in seen.items()), key=lambda item: (-item[1], item[0])))


@dataclass(frozen=True)
class KeySuspicion:
    reason: str
    students: int


def likely_wrong_key(
    groups: Sequence[AnswerGroup], mistakes: dict[str, int], attempting: int
) -> KeySuspicion | None:
    """Many students agreeing on one wrong answer, or on one key-related mistake, hints at a wrong key."""
    if attempting <= 0:
        return None
    threshold = max(WRONG_KEY_MIN_STUDENTS, WRONG_KEY_SHARE * attempting)
    candidates = []
    if groups:
        top = max(groups, key=lambda g: g.students)
        candidates.append((top.students, "the same wrong answer"))
    for mistake in KEY_RELATED_MISTAKES:
        if mistakes.get(mistake):
            candidates.append((mistakes[mistake], f"a wrong answer that is the key {MISTAKE_LABELS[mistake]}"))
    best = max(candidates, default=None, key=lambda c: c[0])
    if best is None or best[0] < threshold:
        return None
    return KeySuspicion(best[1], best[0])
