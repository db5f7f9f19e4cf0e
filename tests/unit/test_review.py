"""The Leitner schedule of the Review page, on hand-worked dates (no database, no clock)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from quizserver.review import (
    Placement,
    ReviewReason,
    Schedule,
    entry_placement,
    is_due,
    is_mastered,
    local_day,
    next_placement,
    parse_intervals,
    review_reason,
    review_streak,
    schedule_from,
)

SCHEDULE = Schedule((1, 3, 7, 14, 30), after_tries=3)
MONDAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,3,7,14,30", (1, 3, 7, 14, 30)),
        (" 2 , 5 ", (2, 5)),
        ("1", (1,)),
    ],
)
def test_intervals_are_read_from_the_setting(text: str, expected: tuple[int, ...]) -> None:
    assert parse_intervals(text) == expected


@pytest.mark.parametrize("text", ["", " , ", "1,0,3", "1,-2", "one,two", "1.5"])
def test_broken_intervals_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_intervals(text)


def test_a_broken_setting_falls_back_to_the_default_schedule() -> None:
    assert schedule_from({"REVIEW_INTERVALS": "soon", "REVIEW_AFTER_TRIES": 3}) == Schedule()
    assert schedule_from({"REVIEW_INTERVALS": "2,4", "REVIEW_AFTER_TRIES": 4}) == Schedule((2, 4), 4)


@pytest.mark.parametrize(
    ("solved", "revealed", "attempts_to_correct", "expected"),
    [
        (False, False, None, ReviewReason.MISSED),  # never solved (or never answered)
        (False, True, None, ReviewReason.REVEALED),  # looked at the solution instead
        (True, True, 1, None),  # solved first, then read the solution: nothing missed
        (True, False, 1, None),
        (True, False, 2, None),
        (True, False, 3, ReviewReason.TRIES),  # solved only on the third counted attempt
        (True, False, 7, ReviewReason.TRIES),
    ],
)
def test_which_questions_come_into_review(
    solved: bool, revealed: bool, attempts_to_correct: int | None, expected: ReviewReason | None
) -> None:
    assert review_reason(solved, revealed, attempts_to_correct, SCHEDULE.after_tries) == expected


@pytest.mark.parametrize(
    ("box", "right", "expected"),
    [
        (0, True, Placement(1, date(2026, 12, 8))),  # +1 day
        (1, True, Placement(2, date(2026, 12, 10))),  # +3 days
        (2, True, Placement(3, date(2026, 12, 14))),  # +7 days
        (3, True, Placement(4, date(2026, 12, 21))),  # +14 days
        (4, True, Placement(5, date(2027, 1, 6))),  # +30 days: the top box, mastered
        (5, True, Placement(5, date(2027, 1, 6))),  # stays on top, back in 30 days
        (0, False, Placement(0, date(2026, 12, 8))),  # wrong: box 0, back tomorrow
        (3, False, Placement(0, date(2026, 12, 8))),
        (5, False, Placement(0, date(2026, 12, 8))),  # even a mastered question drops back
    ],
)
def test_right_moves_a_box_up_and_wrong_starts_again(box: int, right: bool, expected: Placement) -> None:
    assert next_placement(box, right, MONDAY, SCHEDULE) == expected


def test_a_missed_question_comes_back_the_day_its_week_closed_and_after_a_wrong_answer() -> None:
    closed_on = date(2026, 11, 27)
    placed = entry_placement(closed_on)
    assert placed == Placement(0, closed_on)
    assert not is_due(placed.due_on, closed_on - timedelta(days=1))
    assert is_due(placed.due_on, closed_on)
    assert is_due(placed.due_on, MONDAY)  # still due ten days later: nothing is lost by not coming
    wrong = next_placement(placed.box, False, MONDAY, SCHEDULE)
    assert not is_due(wrong.due_on, MONDAY)
    assert is_due(wrong.due_on, MONDAY + timedelta(days=1))


def test_a_mastered_question_stays_away_for_its_whole_interval() -> None:
    """Right every time it is due: Dec 7 -> 8 -> 11 -> 18 -> Jan 1 -> mastered, back on Jan 31 and not before."""
    day, box = MONDAY, 0
    seen = []
    for _ in range(SCHEDULE.top_box):
        placed = next_placement(box, True, day, SCHEDULE)
        day, box = placed.due_on, placed.box
        seen.append(day)
    assert seen == [date(2026, 12, 8), date(2026, 12, 11), date(2026, 12, 18), date(2027, 1, 1), date(2027, 1, 31)]
    assert is_mastered(box, SCHEDULE)
    mastered_on = date(2027, 1, 1)
    for offset in range(30):
        assert not is_due(day, mastered_on + timedelta(days=offset)), offset
    assert is_due(day, mastered_on + timedelta(days=30))


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ([], 0),
        ([MONDAY], 1),
        ([MONDAY, MONDAY - timedelta(days=1), MONDAY - timedelta(days=2)], 3),
        # nothing yet today: yesterday's streak still stands until today is over
        ([MONDAY - timedelta(days=1), MONDAY - timedelta(days=2)], 2),
        # a day without review two days ago ends it
        ([MONDAY - timedelta(days=2), MONDAY - timedelta(days=3)], 0),
        ([MONDAY, MONDAY - timedelta(days=2)], 1),
    ],
)
def test_review_streak_counts_days_in_a_row(days: list[date], expected: int) -> None:
    assert review_streak(days, MONDAY) == expected


@pytest.mark.parametrize(
    ("moment", "zone", "expected"),
    [
        (datetime(2026, 12, 7, 23, 30, tzinfo=UTC), "UTC", date(2026, 12, 7)),
        (datetime(2026, 12, 7, 23, 30, tzinfo=UTC), "Europe/Berlin", date(2026, 12, 8)),  # 00:30 in Berlin
        (datetime(2026, 12, 7, 23, 30), "Europe/Berlin", date(2026, 12, 8)),  # SQLite's naive UTC
        (datetime(2026, 12, 8, 3, 0, tzinfo=UTC), "America/New_York", date(2026, 12, 7)),
    ],
)
def test_review_days_are_days_in_the_course_zone(moment: datetime, zone: str, expected: date) -> None:
    assert local_day(moment, ZoneInfo(zone)) == expected
