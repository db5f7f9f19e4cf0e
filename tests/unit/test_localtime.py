"""The course time zone: conversions, formatting and the settings it is read from."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from quizserver.localtime import (
    UnknownTimezone,
    course_date,
    course_timezone,
    format_datetime,
    iso_datetime,
    relative_to,
    timezone_named,
)

BERLIN = timezone_named("Europe/Berlin")


@pytest.mark.parametrize(
    ("instant", "shown"),
    [
        (datetime(2026, 1, 15, 22, 59, tzinfo=UTC), "2026-01-15 23:59 CET"),
        (datetime(2026, 7, 15, 21, 59, tzinfo=UTC), "2026-07-15 23:59 CEST"),  # summer time
        (datetime(2026, 7, 15, 21, 59), "2026-07-15 23:59 CEST"),  # naive values from SQLite are UTC
        (None, ""),
    ],
)
def test_format_datetime_in_berlin(instant: datetime | None, shown: str) -> None:
    assert format_datetime(instant, BERLIN) == shown


def test_a_late_evening_attempt_counts_on_the_course_day() -> None:
    """23:30 in Berlin is the next UTC day in summer minus two hours: the day is the course's."""
    instant = datetime(2026, 7, 15, 22, 30, tzinfo=UTC)
    assert course_date(instant, BERLIN).isoformat() == "2026-07-16"
    assert course_date(instant, timezone_named("UTC")).isoformat() == "2026-07-15"


def test_iso_carries_the_offset() -> None:
    assert iso_datetime(datetime(2026, 1, 15, 12, 0, tzinfo=UTC), BERLIN) == "2026-01-15T13:00:00+01:00"


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({}, "UTC"),
        ({"QUIZ": {"TIMEZONE": "Europe/Berlin"}}, "Europe/Berlin"),
        ({"TIMEZONE": "America/New_York"}, "America/New_York"),
        ({"QUIZ": {"TIMEZONE": " "}}, "UTC"),
    ],
)
def test_course_timezone_from_settings(config: dict[str, object], key: str) -> None:
    assert course_timezone(config).key == key


@pytest.mark.parametrize("name", ["Europe/Berln", "not a zone", "../etc/passwd"])
def test_unknown_zone_is_a_clear_error(name: str) -> None:
    with pytest.raises(UnknownTimezone, match="QUIZ_TIMEZONE"):
        timezone_named(name)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(2 * 86400 + 5, "in 2 days"), (-3 * 3600, "3 hours ago"), (61, "in 1 minute"), (-10, "just now")],
)
def test_relative_hint(seconds: int, text: str) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert relative_to(now + timedelta(seconds=seconds), now) == text
