"""A course of the shipped banks with deadlines and a 300-student demo cohort, in the course time zone
Europe/Berlin: what the staff browser tests and scripts/staff_screenshots.py look at.

The shipped banks carry no dates; copies get a week each (opening on Monday 08:00, closing the next Sunday but
one at 23:59, Berlin time) so the week overview has a deadline to mark.
"""
from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask

from quizserver.config import PROJECT_ROOT
from quizserver.demo import create_demo_cohort
from quizserver.extensions import db
from tests.e2e.live import add_user, make_live_app

STUDENTS = 300
ZONE = ZoneInfo("Europe/Berlin")
STAFF = "tutor@uni.example"
INSTRUCTOR = "lecturer@uni.example"


def dated_banks(folder: Path, now: datetime, weeks_ago: int = 13) -> list[Path]:
    """Copies of questions/*.yaml, week n opening n - 1 weeks after a Monday `weeks_ago` weeks back."""
    folder.mkdir(parents=True, exist_ok=True)
    local = now.astimezone(ZONE)
    monday = (local - timedelta(days=local.weekday(), weeks=weeks_ago)).replace(hour=8, minute=0, second=0,
                                                                               microsecond=0)  # fmt: skip
    for extra in (PROJECT_ROOT / "questions").iterdir():  # figures and anything else the banks refer to
        if extra.is_dir():
            shutil.copytree(extra, folder / extra.name, dirs_exist_ok=True)
    paths = []
    for source in sorted((PROJECT_ROOT / "questions").glob("week*.yaml")):
        text = source.read_text(encoding="utf-8")
        week = int(re.search(r"^week:\s*(\d+)", text, re.M).group(1))  # type: ignore[union-attr]
        opens = monday + timedelta(weeks=week - 1)
        closes = (opens + timedelta(days=13)).replace(hour=23, minute=59)
        dated = re.sub(r"^(title:.*)$", rf"\1\nopens: {opens.isoformat()}\ncloses: {closes.isoformat()}", text,
                       count=1, flags=re.M)  # fmt: skip
        target = folder / source.name
        target.write_text(dated, encoding="utf-8")
        paths.append(target)
    return paths


def make_cohort_app(folder: Path, students: int = STUDENTS, now: datetime | None = None) -> Flask:
    now = now or datetime.now(ZONE)
    banks = dated_banks(folder / "questions", now)
    app = make_live_app(folder / "cohort.sqlite3", [folder / "questions"], TIMEZONE="Europe/Berlin",
                        COURSE_TITLE="Introduction to Deep Learning")  # fmt: skip
    assert banks
    with app.app_context():
        create_demo_cohort(students, seed=0, variants=3)
        db.session.commit()
    add_user(app, STAFF, "staff", "Tara Tutor")
    add_user(app, INSTRUCTOR, "instructor", "Lena Lecturer")
    return app
