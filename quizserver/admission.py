"""Exam admission, as the course pages define it: "must not fail weekly assignments more than N times".

A counted week is passed with at least QUIZ_PASS_THRESHOLD percent of its points. Only closed weeks
are judged, so an open week never shows as failed. The scores are the gradebook's own
(`staff.queries.week_cells`, from the current question states), so the Admission page always agrees
with the gradebook and a regrade changes both at once: nothing is cached.

Pure rule evaluation first (`evaluate`: week results in, a status out), then the queries.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from .catalog import ServedBank

# credit sums in floating point: 1.5 of 3 points may add up to 1.4999999999999998, which is 50 %
PERCENT_SLACK = 1e-9
_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


class AdmissionStatus(StrEnum):
    ADMITTED = "admitted"  # the rule is met whatever the remaining weeks bring
    ON_TRACK = "on track"  # fewer fails than allowed so far, weeks still to come
    AT_RISK = "at risk"  # every allowed fail used, weeks still to come: one more and admission is lost
    NOT_ADMITTED = "not admitted"  # more fails than allowed


# worst first: the order the Admission page lists students in
STATUS_ORDER = (AdmissionStatus.NOT_ADMITTED, AdmissionStatus.AT_RISK, AdmissionStatus.ON_TRACK,
                AdmissionStatus.ADMITTED)  # fmt: skip


@dataclass(frozen=True)
class AdmissionRule:
    threshold: float  # percent of a week's points needed to pass it
    allowed_fails: int
    weeks: frozenset[int] | None  # the weeks that count; None: every published week

    @property
    def enabled(self) -> bool:
        return self.weeks is None or bool(self.weeks)

    def counts(self, week: int) -> bool:
        return self.weeks is None or week in self.weeks


def parse_weeks(text: str) -> frozenset[int] | None:
    """"all" -> None (every published week), "none" -> no week (admission off), "1-10, 12" -> {1..10, 12}.

    Raises ValueError naming the part it cannot read."""
    cleaned = str(text).strip().lower()
    if cleaned in ("", "all"):
        return None
    if cleaned == "none":
        return frozenset()
    weeks: set[int] = set()
    for part in cleaned.split(","):
        match = _RANGE.match(part)
        if match is None:
            raise ValueError(f"QUIZ_ADMISSION_WEEKS: cannot read {part.strip()!r}: write e.g. all, none or 1-10,12")
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if high < low:
            raise ValueError(f"QUIZ_ADMISSION_WEEKS: {part.strip()!r} runs backwards")
        weeks.update(range(low, high + 1))
    return frozenset(weeks)


def rule_from(settings: Mapping[str, Any]) -> AdmissionRule:
    """The course's rule from its settings (app.config["QUIZ"]); create_app checks them at start."""
    threshold = float(settings.get("PASS_THRESHOLD", 50.0))
    allowed = int(settings.get("ALLOWED_FAILS", 2))
    if not 0.0 <= threshold <= 100.0:
        raise ValueError(f"QUIZ_PASS_THRESHOLD is a percentage from 0 to 100, not {threshold}")
    if allowed < 0:
        raise ValueError(f"QUIZ_ALLOWED_FAILS cannot be negative ({allowed})")
    return AdmissionRule(threshold, allowed, parse_weeks(settings.get("ADMISSION_WEEKS", "all")))


def passed(percent: float, threshold: float) -> bool:
    return percent >= threshold - PERCENT_SLACK


@dataclass(frozen=True)
class WeekResult:
    """One counted week of one student: its score, and whether it is closed (only then is it judged)."""

    week: int
    percent: float
    closed: bool
    closes: datetime | None = None


@dataclass(frozen=True)
class Admission:
    status: AdmissionStatus
    allowed: int
    failed: tuple[WeekResult, ...]  # closed counted weeks below the threshold, in week order
    judged: tuple[int, ...]  # closed counted weeks
    remaining: tuple[WeekResult, ...]  # counted weeks not closed yet, in week order

    @property
    def fails(self) -> int:
        return len(self.failed)

    @property
    def failed_weeks(self) -> tuple[int, ...]:
        return tuple(result.week for result in self.failed)

    @property
    def next_closing(self) -> WeekResult | None:
        """The first counted week still to close that has a closing time."""
        dated = [result for result in self.remaining if result.closes is not None]
        return min(dated, key=lambda result: (result.closes, result.week)) if dated else None


def status_for(fails: int, allowed: int, remaining: int) -> AdmissionStatus:
    """The rule itself: more fails than allowed loses admission; it is certain once even failing every
    remaining week would not exceed the allowance."""
    if fails > allowed:
        return AdmissionStatus.NOT_ADMITTED
    if fails + remaining <= allowed:
        return AdmissionStatus.ADMITTED
    if fails == allowed:
        return AdmissionStatus.AT_RISK
    return AdmissionStatus.ON_TRACK


def evaluate(rule: AdmissionRule, results: Sequence[WeekResult]) -> Admission:
    """A student's admission from their counted weeks' results (weeks the rule does not count are ignored)."""
    counted = sorted((r for r in results if rule.counts(r.week)), key=lambda r: r.week)
    judged = [r for r in counted if r.closed]
    failed = tuple(r for r in judged if not passed(r.percent, rule.threshold))
    remaining = tuple(r for r in counted if not r.closed)
    status = status_for(len(failed), rule.allowed_fails, len(remaining))
    return Admission(status, rule.allowed_fails, failed, tuple(r.week for r in judged), remaining)


# ---------------------------------------------------------------- queries


def counted_weeks(rule: AdmissionRule, served: Sequence[ServedBank]) -> list[int]:
    """The weeks the rule counts. "all": every published week with a deadline (one without is practice only
    and would never close). A list: its weeks, published or not yet (those are still to come)."""
    if rule.weeks is None:
        return sorted(sb.week for sb in served if sb.bank.closes is not None)
    return sorted(rule.weeks)


def _results(
    rule: AdmissionRule, served: Sequence[ServedBank], percent_of: Mapping[int, float], now: datetime
) -> list[WeekResult]:
    by_week = {sb.week: sb for sb in served}
    results = []
    for week in counted_weeks(rule, served):
        sb = by_week.get(week)
        if sb is None:  # listed but not published: to come, date unknown
            results.append(WeekResult(week, 0.0, False))
        else:
            results.append(WeekResult(week, percent_of.get(week, 0.0), sb.is_closed(now), sb.bank.closes))
    return results


def student_admission(
    rule: AdmissionRule, served: Sequence[ServedBank], user_id: int, now: datetime
) -> Admission | None:
    """One student's admission from the gradebook's cells; None when the course has no admission rule."""
    from .staff.queries import week_cells  # the gradebook's query; imported here so the rule needs no blueprint

    if not rule.enabled:
        return None
    cells = week_cells(served, user_id=user_id)
    percent_of = {week: cell.percent for (_, week), cell in cells.items()}
    return evaluate(rule, _results(rule, served, percent_of, now))


@dataclass(frozen=True)
class AdmissionRow:
    user_id: int
    email: str
    name: str
    admission: Admission
    percents: dict[int, float]  # counted published weeks' scores, as in the gradebook


def admission_rows(rule: AdmissionRule, served: Sequence[ServedBank], now: datetime) -> list[AdmissionRow]:
    """Every student's admission, worst first then by name: the gradebook's two queries, nothing more."""
    from .staff.queries import gradebook  # the gradebook's own rows; imported here so the rule needs no blueprint

    rows = gradebook(served)
    weeks = [w for w in counted_weeks(rule, served) if any(sb.week == w for sb in served)]
    out = []
    for row in rows:
        percent_of = {week: row.percent(week) for week in weeks}
        admission = evaluate(rule, _results(rule, served, percent_of, now))
        out.append(AdmissionRow(row.user_id, row.email, row.name, admission, percent_of))
    rank = {status: i for i, status in enumerate(STATUS_ORDER)}
    out.sort(key=lambda r: (rank[r.admission.status], -r.admission.fails, (r.name or r.email).lower(), r.email))
    return out


def status_counts(rows: Sequence[AdmissionRow]) -> dict[AdmissionStatus, int]:
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for row in rows:
        counts[row.admission.status] += 1
    return counts


CSV_HEADER = ("email", "name", "status", "failed weeks", "fails", "allowed fails", "weeks judged", "weeks to come")


def csv_rows(rows: Sequence[AdmissionRow], served: Sequence[ServedBank], rule: AdmissionRule) -> list[list[Any]]:
    """The Admission page as CSV rows: the header, then one row per student with each counted week's percent."""
    weeks = [w for w in counted_weeks(rule, served) if any(sb.week == w for sb in served)]
    header = [*CSV_HEADER, *(f"week {w} (%)" for w in weeks)]
    body = [
        [
            row.email, row.name, row.admission.status.value,
            " ".join(str(w) for w in row.admission.failed_weeks), row.admission.fails, row.admission.allowed,
            " ".join(str(w) for w in row.admission.judged), " ".join(str(r.week) for r in row.admission.remaining),
            *(f"{row.percents.get(w, 0.0):.2f}" for w in weeks),
        ]
        for row in rows
    ]  # fmt: skip
    return [header, *body]
