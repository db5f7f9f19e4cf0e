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
MISTAKE_LABELS = {
    "sign": "sign flipped",
    "transposed": "transposed",
    "factor": "off by a factor",
    "rounding": "rounding",
    "shape": "wrong shape",
    "precision": "not enough precision",  # close, but fewer significant figures or decimals than asked
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


# ---------------------------------------------------------------- likely wrong keys
#
# A wrong key leaves a trace that ordinary mistakes do not: the students who do well on the rest of the week
# compute the true answer, which the key marks wrong, so they agree on one wrong answer (within each variant,
# or as one known slip of the key across variants) more often than weaker students do. Ordinary slips run
# the other way: weaker students make them more often. So a wrong answer is evidence only when the strongest
# students share it more than they hit the key, and clearly more than the weakest do (a one-sided Fisher exact
# test on Kelley's upper and lower 27 %); or when one and the same slip of the key (its sign, its transpose,
# the same factor) is the first answer of over a third of the students and twice as common as the key itself:
# were the key right, it would be the most common first answer. A slip common only among later answers, or
# less common than the key, is an ordinary mistake.

WRONG_KEY_MIN_ATTEMPTING = 10  # fewer students than this tell nothing either way
EXTREME_GROUP = 0.27  # Kelley's upper and lower groups
STRONG_AGREE_SHARE = 0.4  # at least this share of the strong students give the same wrong answer...
STRONG_WEAK_GAP = 0.2  # ...this much more often than the weak students...
WRONG_KEY_P = 0.01  # ...and a difference this unlikely by chance (one-sided)
SLIP_MAJORITY = 0.35  # or: this share of the students' first answers is one and the same slip of the key...
SLIP_OVER_KEY = 2.0  # ...and at least twice as many as those whose first answer was the key
SLIP_REASONS = {
    "sign": "the key with its sign flipped",
    "transposed": "the key transposed",
    "factor": "the key times a constant factor",
}
AGREE_REASON = "the same wrong answer as others with the same numbers"


@dataclass(frozen=True)
class WrongAnswer:
    """One wrong attempt: who, on which variant (seed), what they answered, the grader's mistake label."""

    student: int
    seed: int
    value: Any
    mistake: str | None
    order: int = 0  # when it was given (the attempt's id): only a student's first answer is evidence
    counted: bool = True
    key: Any = None  # the variant's key, when known: tells a factor of 2 from one of -3


@dataclass(frozen=True)
class KeySuspicion:
    reason: str
    students: int  # students giving that answer
    strong: int = 0  # of the strong group, how many gave it
    strong_group: int = 0
    weak: int = 0
    weak_group: int = 0
    p_value: float | None = None
    seeds: tuple[int, ...] = ()  # variants where it was given, most students first: preview these

    @property
    def strong_share(self) -> float | None:
        return share(self.strong, self.strong_group)

    @property
    def weak_share(self) -> float | None:
        return share(self.weak, self.weak_group)


def fisher_greater(hits_a: int, size_a: int, hits_b: int, size_b: int) -> float:
    """One-sided Fisher exact p: the chance that group a has at least hits_a of the hits if the
    hits_a + hits_b hits fell on the size_a + size_b members at random (the hypergeometric tail)."""
    total, hits = size_a + size_b, hits_a + hits_b
    whole = math.comb(total, size_a)
    tail = sum(math.comb(hits, x) * math.comb(total - hits, size_a - x) for x in range(hits_a, min(hits, size_a) + 1))
    return min(1.0, tail / whole) if whole else 1.0


def extreme_groups(strength: dict[int, float], share_: float = EXTREME_GROUP) -> tuple[set[int], set[int]]:
    """The strongest and the weakest share_ of the students (at least 3 each), by strength, ties by id."""
    ranked = sorted(strength, key=lambda s: (strength[s], s))
    k = max(3, round(share_ * len(ranked)))
    k = min(k, len(ranked) // 2)
    return set(ranked[len(ranked) - k :]), set(ranked[:k])


def _as_array(value: Any) -> np.ndarray | None:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array if array.size and array.ndim <= 2 and np.all(np.isfinite(array)) else None


def _same(a: Any, b: Any, rtol: float, atol: float) -> bool:
    if isinstance(a, list) and all(isinstance(x, str) for x in a):
        return isinstance(b, list) and sorted(a) == sorted(b)
    x, y = _as_array(a), _as_array(b)
    if x is None or y is None or x.shape != y.shape:
        return False
    return bool(np.all(np.abs(x - y) <= atol + rtol * np.maximum(np.abs(x), np.abs(y))))


def variant_consensus(wrong: Sequence[WrongAnswer], rtol: float, atol: float) -> dict[int, set[int]]:
    """Per seed, the students in its largest cluster of equal wrong answers, when at least two share it."""
    by_seed: dict[int, list[WrongAnswer]] = {}
    for w in wrong:
        by_seed.setdefault(w.seed, []).append(w)
    found: dict[int, set[int]] = {}
    for seed, answers in by_seed.items():
        clusters: list[tuple[Any, set[int]]] = []
        for w in answers:
            for value, members in clusters:
                if _same(value, w.value, rtol, atol):
                    members.add(w.student)
                    break
            else:
                clusters.append((w.value, {w.student}))
        best = max((members for _, members in clusters), key=len, default=set())
        if len(best) >= 2:
            found[seed] = best
    return found


def first_answers(wrong: Sequence[WrongAnswer]) -> list[WrongAnswer]:
    """Each student's first wrong answer. Later ones say little: a student whom a wrong key keeps marking
    wrong tries everything, and so sooner or later also types whatever the others typed."""
    first: dict[int, WrongAnswer] = {}
    for w in wrong:
        if w.student not in first or w.order < first[w.student].order:
            first[w.student] = w
    return list(first.values())


def _slip_class(w: WrongAnswer) -> str:
    """'sign', 'transposed', or 'factor:2' (the factor to two digits when the key is known): every scalar
    answer is some factor of the key, so only one and the same factor is agreement."""
    if w.mistake != "factor":
        return str(w.mistake)
    answer, key = _as_array(w.value), _as_array(w.key)
    if answer is None or key is None or answer.shape != key.shape or not np.any(key):
        return "factor"
    ratio = float(np.vdot(answer, key) / np.vdot(key, key))
    return f"factor:{ratio:.2g}"


def _reason(name: str) -> str:
    if name.startswith("factor:"):
        return f"the key times {name.removeprefix('factor:')}"
    return SLIP_REASONS.get(name, AGREE_REASON)


def _classes(wrong: Sequence[WrongAnswer], rtol: float, atol: float) -> dict[str, dict[int, set[int]]]:
    """Answer class -> student -> the seeds on which they gave it: each known slip, and agreement."""
    classes: dict[str, dict[int, set[int]]] = {}
    for w in wrong:
        if w.mistake in SLIP_REASONS:
            classes.setdefault(_slip_class(w), {}).setdefault(w.student, set()).add(w.seed)
    for seed, members in variant_consensus(wrong, rtol, atol).items():
        for student in members:
            classes.setdefault("agree", {}).setdefault(student, set()).add(seed)
    return classes


def _top_seeds(members: dict[int, set[int]], among: set[int] | None = None, limit: int = 3) -> tuple[int, ...]:
    counts: dict[int, int] = {}
    for student, seeds in members.items():
        if among is None or student in among:
            for seed in seeds:
                counts[seed] = counts.get(seed, 0) + 1
    return tuple(sorted(counts, key=lambda seed: (-counts[seed], seed))[:limit])


def likely_wrong_key(
    wrong: Sequence[WrongAnswer],
    strength: dict[int, float],
    *,
    solved_first: set[int] | frozenset[int] = frozenset(),
    rtol: float = 1e-2,
    atol: float = 1e-6,
) -> KeySuspicion | None:
    """The strongest evidence that the key is wrong, or None.

    wrong: the question's wrong attempts (each student's first counted one is used);
    strength: student -> rest-of-week mark, for every student who
    attempted the question; solved_first: the students right at their first attempt.
    """
    attempting = len(strength)
    if attempting < WRONG_KEY_MIN_ATTEMPTING:
        return None
    classes = _classes(first_answers([w for w in wrong if w.student in strength and w.counted]), rtol, atol)
    strong, weak = extreme_groups(strength)
    strong_correct = len(solved_first & strong)
    first_correct = len(solved_first & set(strength))
    best: KeySuspicion | None = None
    for name, members in classes.items():
        reason = _reason(name)
        giving = set(members)
        hits_strong, hits_weak = len(giving & strong), len(giving & weak)
        p = fisher_greater(hits_strong, len(strong), hits_weak, len(weak))
        found = KeySuspicion(
            reason, len(giving), hits_strong, len(strong), hits_weak, len(weak), p, _top_seeds(members, strong)
        )
        differential = (
            hits_strong >= 3
            and hits_strong >= STRONG_AGREE_SHARE * len(strong)
            and hits_strong > strong_correct  # the strong students agree on it more than on the key
            and (hits_strong - hits_weak) >= STRONG_WEAK_GAP * len(strong)
            and p <= WRONG_KEY_P
        )
        slip_over_key = (
            name in SLIP_REASONS or name.startswith("factor:")
        ) and len(giving) >= max(SLIP_MAJORITY * attempting, SLIP_OVER_KEY * first_correct, 3)
        if not (differential or slip_over_key):
            continue
        if not differential:
            found = KeySuspicion(
                reason, len(giving), hits_strong, len(strong), hits_weak, len(weak), p, _top_seeds(members)
            )
        if best is None or (found.p_value or 1.0, -found.students) < (best.p_value or 1.0, -best.students):
            best = found
    return best
