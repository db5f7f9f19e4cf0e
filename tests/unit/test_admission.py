"""Exam admission ("must not fail weekly assignments more than N times") on hand-worked cases."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from quizserver.admission import (
    AdmissionRule,
    AdmissionStatus,
    WeekResult,
    evaluate,
    parse_weeks,
    passed,
    rule_from,
    status_for,
)

RULE = AdmissionRule(threshold=50.0, allowed_fails=2, weeks=None)
FRIDAY = datetime(2026, 12, 11, 22, 59, tzinfo=UTC)


def closed(week: int, percent: float) -> WeekResult:
    return WeekResult(week, percent, True)


def still_open(week: int, percent: float = 0.0, closes: datetime | None = None) -> WeekResult:
    return WeekResult(week, percent, False, closes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("all", None),
        ("", None),
        (" ALL ", None),
        ("none", frozenset()),
        ("3", frozenset({3})),
        ("1-4", frozenset({1, 2, 3, 4})),
        ("1-3, 5, 7 - 8", frozenset({1, 2, 3, 5, 7, 8})),
    ],
)
def test_which_weeks_count(text: str, expected: frozenset[int] | None) -> None:
    assert parse_weeks(text) == expected


@pytest.mark.parametrize("text", ["weeks 1-3", "4-2", "1,,x", "1-"])
def test_unreadable_weeks_are_refused_with_the_part(text: str) -> None:
    with pytest.raises(ValueError, match="QUIZ_ADMISSION_WEEKS"):
        parse_weeks(text)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"PASS_THRESHOLD": 150.0}, "QUIZ_PASS_THRESHOLD"),
        ({"PASS_THRESHOLD": -1.0}, "QUIZ_PASS_THRESHOLD"),
        ({"ALLOWED_FAILS": -1}, "QUIZ_ALLOWED_FAILS"),
        ({"ADMISSION_WEEKS": "first half"}, "QUIZ_ADMISSION_WEEKS"),
    ],
)
def test_a_misread_rule_is_refused(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rule_from(settings)


def test_the_default_rule_and_turning_it_off() -> None:
    assert rule_from({}) == AdmissionRule(50.0, 2, None)
    assert not rule_from({"ADMISSION_WEEKS": "none"}).enabled


@pytest.mark.parametrize(
    ("percent", "threshold", "expected"),
    [
        (50.0, 50.0, True),
        (100 * 1.5 / 3, 50.0, True),
        (100 * (0.1 + 0.2 + 0.2) / 1.0, 50.0, True),  # 0.1 + 0.2 + 0.2 = 0.5000000000000001
        (100 * (1 - 0.3 - 0.2) / 1.0, 50.0, True),  # 1 - 0.3 - 0.2 = 0.49999999999999994: still half the points
        (49.99, 50.0, False),
        (0.0, 0.0, True),
    ],
)
def test_a_week_is_passed_from_the_threshold_on(percent: float, threshold: float, expected: bool) -> None:
    assert passed(percent, threshold) is expected


@pytest.mark.parametrize(
    ("fails", "allowed", "remaining", "expected"),
    [
        (0, 2, 0, AdmissionStatus.ADMITTED),
        (2, 2, 0, AdmissionStatus.ADMITTED),
        (3, 2, 0, AdmissionStatus.NOT_ADMITTED),
        (3, 2, 5, AdmissionStatus.NOT_ADMITTED),  # lost: no later week can bring it back
        (0, 2, 5, AdmissionStatus.ON_TRACK),
        (1, 2, 5, AdmissionStatus.ON_TRACK),
        (2, 2, 5, AdmissionStatus.AT_RISK),  # one more fail and it is lost
        (1, 2, 1, AdmissionStatus.ADMITTED),  # failing the last week too still leaves 2 of 2
        (0, 0, 3, AdmissionStatus.AT_RISK),  # a course that allows no fail
        (0, 0, 0, AdmissionStatus.ADMITTED),
    ],
)
def test_the_rule(fails: int, allowed: int, remaining: int, expected: AdmissionStatus) -> None:
    assert status_for(fails, allowed, remaining) is expected


def test_only_closed_weeks_are_judged() -> None:
    """Week 5 is open at 10 %: it is not a fail yet, it is a week to come."""
    results = [closed(1, 80), closed(2, 40), closed(3, 55), closed(4, 20), still_open(5, 10, FRIDAY), still_open(6)]
    admission = evaluate(RULE, results)
    assert admission.failed_weeks == (2, 4)
    assert admission.fails == 2
    assert admission.judged == (1, 2, 3, 4)
    assert [r.week for r in admission.remaining] == [5, 6]
    assert admission.status is AdmissionStatus.AT_RISK
    assert admission.next_closing == still_open(5, 10, FRIDAY)  # "week 5 closes Friday"


def test_three_fails_of_two_allowed_is_not_admitted() -> None:
    admission = evaluate(RULE, [closed(1, 10), closed(2, 49.9), closed(3, 50), closed(4, 0), still_open(5)])
    assert admission.failed_weeks == (1, 2, 4)
    assert admission.status is AdmissionStatus.NOT_ADMITTED


def test_weeks_the_rule_does_not_count_are_ignored() -> None:
    rule = AdmissionRule(50.0, 1, frozenset({2, 3, 4}))
    results = [closed(1, 0), closed(2, 90), closed(3, 10), closed(4, 60), closed(5, 0)]
    admission = evaluate(rule, results)
    assert admission.failed_weeks == (3,)
    assert admission.judged == (2, 3, 4)
    assert admission.status is AdmissionStatus.ADMITTED


def test_a_regraded_week_changes_the_status() -> None:
    """Week 3 was 40 % against a wrong key; the regrade gives the right answers their credit: 70 %."""
    before = evaluate(RULE, [closed(1, 30), closed(2, 45), closed(3, 40)])
    after = evaluate(RULE, [closed(1, 30), closed(2, 45), closed(3, 70)])
    assert before.status is AdmissionStatus.NOT_ADMITTED
    assert after.status is AdmissionStatus.ADMITTED
    assert after.failed_weeks == (1, 2)
