"""Item statistics against values worked out by hand on a 4-student, 3-question cohort."""
from __future__ import annotations

import math

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


@pytest.mark.parametrize(
    ("group_students", "mistakes", "attempting", "expected"),
    [
        (5, {}, 10, ("the same wrong answer", 5)),
        (1, {}, 10, None),
        (1, {"sign": 4}, 10, ("a wrong answer that is the key sign flipped", 4)),
        (2, {"rounding": 9}, 10, None),  # a rounding slip is no sign of a wrong key
        (2, {}, 4, None),  # 2 of 4 agree, but fewer than 3 students are never enough
        (0, {}, 0, None),
    ],
)
def test_likely_wrong_key(group_students, mistakes, attempting, expected) -> None:
    groups = [stats.AnswerGroup(7.0, group_students, group_students, None)] if group_students else []
    found = stats.likely_wrong_key(groups, mistakes, attempting)
    assert (found.reason, found.students) == expected if expected else found is None
