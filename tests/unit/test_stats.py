"""Item statistics against values worked out by hand on a 4-student, 3-question cohort."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from quizserver import stats

NAN = float("nan")
# first-attempt scores (fractions), students x questions; points 1, 2, 1; student 2 never tried question 3
FIRST = np.array(
    [
        [1, 1, 1],
        [1, 0, NAN],
        [0, 1, 0],
        [0, 0, 0],
    ],
    dtype=float,
)
POINTS = [1, 2, 1]


@pytest.mark.parametrize(
    ("column", "expected"),
    [(0, 0.5), (1, 0.5), (2, 1 / 3)],
)
def test_facility_is_the_mean_first_attempt_score(column: int, expected: float) -> None:
    assert stats.facility(FIRST[:, column]) == pytest.approx(expected)


def test_facility_scales_by_the_maximum_and_is_none_without_attempts() -> None:
    assert stats.facility([2, 1], max_score=2) == pytest.approx(0.75)
    assert stats.facility([NAN, NAN]) is None
    assert stats.facility([]) is None


def test_discrimination_matches_the_hand_computation() -> None:
    # q1: x = [1,1,0,0], rest = 2*q2 + q3 = [3,0,2,0]: r = 0.5 / sqrt(1 * 6.75) = 1/sqrt(27)
    # q2: x = [1,0,1,0], rest = q1 + q3 = [2,1,0,0]:   r = 0.5 / sqrt(1 * 2.75)
    # q3: students 1, 3, 4: x = [1,0,0], rest = [3,2,0]: r = (4/3) / sqrt(2/3 * 14/3) = 4/sqrt(28)
    result = stats.discrimination(FIRST, POINTS)
    assert result == pytest.approx([1 / math.sqrt(27), 0.5 / math.sqrt(2.75), 4 / math.sqrt(28)])


@pytest.mark.parametrize(
    ("scores", "reason"),
    [
        (np.array([[1.0, 1.0], [1.0, 0.0]]), "everyone has the same score on question 1"),
        (np.array([[1.0, 0.0], [NAN, 1.0], [NAN, 0.0]]), "one student attempted question 1"),
    ],
)
def test_discrimination_is_none_when_undefined(scores: np.ndarray, reason: str) -> None:
    assert stats.discrimination(scores, [1, 1])[0] is None, reason


def test_discrimination_rejects_a_mismatched_points_list() -> None:
    with pytest.raises(ValueError):
        stats.discrimination(FIRST, [1, 2])


def test_pearson_of_perfectly_related_and_opposed_arrays() -> None:
    assert stats.pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert stats.pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert stats.pearson([1, 2, NAN], [1, 2, 5]) == pytest.approx(1.0)  # NaN pairs are left out


def test_mean_attempts_to_correct_ignores_unsolved() -> None:
    assert stats.mean_attempts_to_correct([1, 3, NAN, 2]) == pytest.approx(2.0)
    assert stats.mean_attempts_to_correct([NAN]) is None


def test_share() -> None:
    assert stats.share(1, 4) == 0.25
    assert stats.share(0, 0) is None


def test_histogram_bins_with_the_top_edge_included() -> None:
    bins = stats.histogram([0, 5, 10, 55, 100, 100, NAN], bins=10)
    assert [b.count for b in bins] == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    assert (bins[0].low, bins[0].high, bins[-1].high) == (0, 10, 100)
    assert bins[1].label == "10–20"


def test_histogram_clamps_values_outside_the_range() -> None:
    assert [b.count for b in stats.histogram([-5, 150], bins=2)] == [1, 1]
    with pytest.raises(ValueError):
        stats.histogram([1], bins=0)


def test_wrong_answers_within_tolerance_merge() -> None:
    values = [1.0, 1.005, 2.0, -3.0, 1.001, [[1, 2], [3, 4]], [[1.001, 2], [3, 4]], ["b"], ["b"], ["a", "b"], "text"]
    students = [1, 2, 3, 4, 1, 5, 6, 7, 8, 9, 10]
    mistakes = [None, "rounding", "factor", "sign", None, "transposed", "transposed", None, None, None, None]
    groups = stats.group_answers(values, students, mistakes, rtol=0.01, atol=1e-6)
    summary = [(g.value, g.attempts, g.students, g.mistake) for g in groups]
    assert summary == [
        (1.0, 3, 2, "rounding"),
        ([[1, 2], [3, 4]], 2, 2, "transposed"),
        (["b"], 2, 2, None),
        (2.0, 1, 1, "factor"),
        (-3.0, 1, 1, "sign"),
        (["a", "b"], 1, 1, None),
    ]
    assert groups[1].mistake_label == "transposed"
    assert groups[3].mistake_label == "off by a factor"


def test_wrong_answers_further_apart_than_the_tolerance_stay_apart() -> None:
    groups = stats.group_answers([1.0, 1.05, 1.1], [1, 2, 3], [None] * 3, rtol=0.01, atol=0)
    assert [g.attempts for g in groups] == [1, 1, 1]


def test_vectors_merge_only_when_every_entry_is_close() -> None:
    groups = stats.group_answers([[1, 2], [1, 2.001], [1, 5]], [1, 2, 3], [None] * 3, rtol=0.01, atol=0)
    assert sorted(g.attempts for g in groups) == [1, 2]


def test_mistake_students_counts_distinct_students() -> None:
    counted = stats.mistake_students([1, 1, 2, 3, 4], ["sign", "sign", "sign", "transposed", None])
    assert counted == {"sign": 2, "transposed": 1}


# A cohort of 40: student i has strength i (rest-of-week mark), so 0-10 are the weak 27 % and 29-39 the strong.
COHORT = 40
STRONG = range(29, 40)
WEAK = range(0, 11)


def answers(students: Any, mistake: str | None, value: Any = 7.0, seed: Any = 0, key: Any = None) -> list[Any]:
    seeds = seed if callable(seed) else (lambda s: seed)
    return [stats.WrongAnswer(s, seeds(s), value, mistake, order=s, key=key) for s in students]


@pytest.mark.parametrize(
    ("wrong", "solved_first", "expected"),
    [
        # a wrong key: the strong students compute the truth (the key's sign flipped), the weak ones do not
        (answers(STRONG, "sign") + answers(WEAK[:2], "sign"), set(WEAK[2:]), "the key with its sign flipped"),
        # an ordinary slip: the weak students make it, the strong get the key
        (answers(WEAK, "sign") + answers(STRONG[:2], "sign"), set(STRONG[2:]), None),
        # the same slip equally often among strong and weak, while most strong students hit the key: no evidence
        (answers(range(0, 40, 3), "sign"), set(STRONG), None),
        # an unrelated wrong formula: the strong students agree within each variant (seed = student % 3)
        (answers(STRONG, None, seed=lambda s: s % 3)
         + [stats.WrongAnswer(s, s % 3, 100.0 + s, None, order=s) for s in WEAK],  # each their own number
         set(), "the same wrong answer as others with the same numbers"),
        # a factor: only one and the same factor is agreement
        (answers(STRONG, "factor", value=[2.0, 4.0], key=[1.0, 2.0]), set(), "the key times 2"),
        # one slip as the first answer of most students, far more than hit the key: a wrong key even if the
        # strong and weak give it alike
        (answers(range(0, 40, 2), "transposed") + answers(range(1, 40, 4), "transposed"), {3, 7}, "the key transposed"),
        # a rounding slip is no sign of a wrong key however common
        (answers(range(COHORT), "rounding"), set(), None),
        ([], set(), None),
    ],
)
def test_likely_wrong_key(wrong: list[Any], solved_first: set[int], expected: str | None) -> None:
    strength = {s: float(s) for s in range(COHORT)}
    found = stats.likely_wrong_key(wrong, strength, solved_first=solved_first)
    assert (found.reason if found else None) == expected


def test_only_a_students_first_wrong_answer_counts() -> None:
    """A wrong key keeps marking a weak student wrong, who then tries everything, the truth included."""
    strength = {s: float(s) for s in range(COHORT)}
    later = [stats.WrongAnswer(s, 0, 7.0, "sign", order=1000 + s) for s in range(COHORT)]
    first = [stats.WrongAnswer(s, 0, float(s), None, order=s) for s in range(COHORT)]
    assert stats.likely_wrong_key(first + later, strength) is None


def test_too_few_students_never_flag() -> None:
    strength = {s: float(s) for s in range(stats.WRONG_KEY_MIN_ATTEMPTING - 1)}
    assert stats.likely_wrong_key(answers(strength, "sign"), strength) is None


def test_a_flag_names_the_seeds_to_preview_most_students_first() -> None:
    strength = {s: float(s) for s in range(COHORT)}
    wrong = answers(STRONG, "sign", seed=lambda s: 5 if s < 36 else 9)
    found = stats.likely_wrong_key(wrong, strength)
    assert found is not None and found.seeds == (5, 9)
    assert (found.strong, found.strong_group, found.weak, found.weak_group) == (11, 11, 0, 11)
    assert found.p_value is not None and found.p_value < 1e-4


@pytest.mark.parametrize(
    ("hits_a", "size_a", "hits_b", "size_b", "expected"),
    [
        (3, 3, 0, 3, 1 / 20),  # all three hits in group a: 1 of C(6, 3) ways
        (0, 3, 3, 3, 1.0),
        (2, 4, 2, 4, 53 / 70),
    ],
)
def test_fisher_greater_is_the_hypergeometric_tail(hits_a, size_a, hits_b, size_b, expected) -> None:
    assert stats.fisher_greater(hits_a, size_a, hits_b, size_b) == pytest.approx(expected)
