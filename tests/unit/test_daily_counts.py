"""Attempts per day for the week overview: every day counted in the course zone, empty days as 0."""
from __future__ import annotations

from datetime import UTC, date, datetime

from quizserver.localtime import timezone_named
from quizserver.staff.queries import daily_counts

UTC_ZONE = timezone_named("UTC")
BERLIN = timezone_named("Europe/Berlin")


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_days_without_attempts_are_zero_not_skipped() -> None:
    counts = daily_counts([at(2), at(2), at(9)], UTC_ZONE)
    assert [n for _, n in counts] == [2, 0, 0, 0, 0, 0, 0, 1]
    assert counts[0][0] == date(2026, 3, 2) and counts[-1][0] == date(2026, 3, 9)


def test_the_range_runs_from_opening_to_deadline() -> None:
    counts = daily_counts([at(4)], UTC_ZONE, opens=at(2, 8), closes=at(6, 22))
    assert [d.day for d, _ in counts] == [2, 3, 4, 5, 6]


def test_a_running_week_ends_today() -> None:
    counts = daily_counts([at(4)], UTC_ZONE, opens=at(2), closes=at(20), today=date(2026, 3, 5))
    assert [d.day for d, _ in counts] == [2, 3, 4, 5]


def test_days_are_the_course_zones() -> None:
    # 23:30 UTC on March 2 is 00:30 on March 3 in Berlin
    late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    assert daily_counts([late], UTC_ZONE) == [(date(2026, 3, 2), 1)]
    assert daily_counts([late], BERLIN) == [(date(2026, 3, 3), 1)]


def test_nothing_yet() -> None:
    assert daily_counts([], UTC_ZONE) == []
    assert daily_counts([], UTC_ZONE, opens=at(2), closes=at(4), today=date(2026, 3, 1)) == []
