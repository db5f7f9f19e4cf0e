"""The course's time zone: every time a person reads or exports is shown in it.

The database stores aware UTC times (models.utcnow); only presentation converts. The zone is named by
QUIZ_TIMEZONE (an IANA name such as Europe/Berlin) and defaults to UTC rather than the server's own zone:
app servers, containers and CI machines often disagree about their local zone (most run UTC anyway), while a
configured name gives every server, export and test the same answer. Times carry the zone's abbreviation
(CET, CEST, UTC) so nobody has to guess. Flask-free, so presenters, exports and tests call it directly.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "UTC"
DATETIME_FORMAT = "%Y-%m-%d %H:%M"


class UnknownTimezone(ValueError):
    """QUIZ_TIMEZONE names no zone the system's time zone database knows."""


@lru_cache(maxsize=32)
def timezone_named(name: str) -> ZoneInfo:
    """The zone for an IANA name; a clear error (not a KeyError deep in a page) for a typo."""
    cleaned = (name or "").strip() or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimezone(
            f"QUIZ_TIMEZONE={name!r} is not a time zone name; use an IANA name such as Europe/Berlin or UTC"
        ) from exc


def course_timezone(config: Mapping[str, Any]) -> ZoneInfo:
    """The course zone from the settings mapping (app.config["QUIZ"]) or a flat one with TIMEZONE."""
    quiz = config.get("QUIZ", config)
    name = quiz.get("TIMEZONE", DEFAULT_TIMEZONE) if isinstance(quiz, Mapping) else DEFAULT_TIMEZONE
    return timezone_named(str(name or DEFAULT_TIMEZONE))


def as_utc(dt: datetime) -> datetime:
    """An aware UTC time; a naive one is taken to be UTC (SQLite hands back naive values)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def to_course_time(dt: datetime, tz: tzinfo) -> datetime:
    """The same instant on the course's wall clock."""
    return as_utc(dt).astimezone(tz)


def course_date(dt: datetime, tz: tzinfo) -> date:
    """The calendar day the instant falls on in the course zone (what 'attempts per day' counts)."""
    return to_course_time(dt, tz).date()


def format_datetime(dt: datetime | None, tz: tzinfo, *, zone: bool = True, fmt: str = DATETIME_FORMAT) -> str:
    """'2026-11-03 23:59 CET'; empty for None, so templates and CSV cells need no special case."""
    if dt is None:
        return ""
    local = to_course_time(dt, tz)
    text = local.strftime(fmt)
    return f"{text} {local.tzname()}" if zone and local.tzname() else text


def format_date(dt: datetime | None, tz: tzinfo) -> str:
    """'2026-11-03' in the course zone; empty for None."""
    return "" if dt is None else course_date(dt, tz).isoformat()


def iso_datetime(dt: datetime | None, tz: tzinfo) -> str:
    """ISO 8601 with the offset ('2026-11-03T23:59:00+01:00') for machine-read exports and <time datetime>."""
    return "" if dt is None else to_course_time(dt, tz).isoformat(timespec="seconds")


def relative_to(dt: datetime, now: datetime) -> str:
    """'in 2 days', '3 hours ago': a hint beside an absolute time, never instead of it."""
    delta = as_utc(dt) - as_utc(now)
    future = delta >= timedelta(0)
    seconds = abs(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            text = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {text}" if future else f"{text} ago"
    return "in less than a minute" if future else "just now"


def install_filters(app: Any) -> None:
    """Jinja filters bound to the app's course zone (fixed once create_app has read the settings).

    ``{{ dt|localtime }}`` -> '2026-11-03 23:59 CET'; ``{{ dt|localtime(zone=False) }}`` without the zone;
    ``{{ dt|localdate }}`` -> '2026-11-03'; ``{{ dt|isotime }}`` for ``<time datetime=...>``;
    ``{{ dt|fromnow }}`` -> 'in 2 days'. ``course_timezone`` (the zone name) is a template global.
    """
    tz = course_timezone(app.config)

    def localtime_filter(dt: datetime | None, zone: bool = True, fmt: str = DATETIME_FORMAT) -> str:
        return format_datetime(dt, tz, zone=zone, fmt=fmt)

    def fromnow_filter(dt: datetime | None) -> str:
        return "" if dt is None else relative_to(dt, datetime.now(UTC))

    app.jinja_env.filters["localtime"] = localtime_filter
    app.jinja_env.filters["localdate"] = lambda dt: format_date(dt, tz)
    app.jinja_env.filters["isotime"] = lambda dt: iso_datetime(dt, tz)
    app.jinja_env.filters["fromnow"] = fromnow_filter
    app.jinja_env.globals["course_timezone"] = tz.key
