"""Staff dashboards on a 1,000-student cohort: medians over several runs, through the test client.

Run: python bench/dashboard.py [--students 1000] [--seed 0] [--runs 7]
SQLite in a temporary file by default; with QUIZ_DATABASE_URL=postgresql+psycopg://... a fresh database is
created on that server for the run and dropped afterwards (the database named in the URL is not touched).
Last line: gradebook_ms=<n> csv_ms=<n> items_ms=<n> student_ms=<n> attempts=<n>
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from quizserver import create_app  # noqa: E402
from quizserver.accounts import create_user  # noqa: E402
from quizserver.databases import scratch_database  # noqa: E402
from quizserver.demo import analyze, create_demo_cohort, ensure_banks  # noqa: E402
from quizserver.extensions import db  # noqa: E402
from quizserver.models import Attempt, Role, User  # noqa: E402
from tests.csrf import csrf_token  # noqa: E402

PASSWORD = "bench password 1234"


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        with scratch_database(os.environ.get("QUIZ_DATABASE_URL"), Path(folder) / "bench.sqlite3", "quiz_bench") as url:
            yield url


def median_ms(client, path: str, runs: int) -> int:
    client.get(path)  # warm caches (parsed banks, templates) before timing
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        body = response.get_data()
        timings.append((time.perf_counter() - started) * 1e3)
        assert response.status_code == 200, (path, response.status_code, body[:300])
    return round(statistics.median(timings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--week", type=int, default=1, help="the week whose item analysis is timed")
    args = parser.parse_args()

    with fresh_database() as url:
        app = create_app({"ENV": "testing", "DATABASE_URL": url, "RATELIMIT_ENABLED": False})
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            ensure_banks(app.config["QUIZ"]["QUESTIONS_DIR"], variants=2)
            report = create_demo_cohort(args.students, args.seed)
            db.session.commit()
            analyze()
            db.session.commit()
            print(f"demo data: {report.attempts} attempts in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            create_user("bench-staff@example.org", PASSWORD, role=Role.STAFF.value, name="Bench")
            db.session.commit()
            attempts = db.session.scalar(select(func.count(Attempt.id)))
            student_id = db.session.scalar(
                select(Attempt.user_id).group_by(Attempt.user_id).order_by(func.count().desc()).limit(1)
            ) or db.session.scalar(select(User.id).where(User.role == Role.STUDENT.value))
        client = app.test_client()
        token = csrf_token(client, "/login")
        login = client.post(
            "/login", data={"email": "bench-staff@example.org", "password": PASSWORD, "csrf_token": token}
        )
        assert login.status_code == 302, login.status_code

        figures = {
            "gradebook_ms": median_ms(client, "/staff/", args.runs),
            "csv_ms": median_ms(client, "/staff/gradebook.csv", args.runs),
            "items_ms": median_ms(client, f"/staff/weeks/{args.week}/items", args.runs),
            "student_ms": median_ms(client, f"/staff/students/{student_id}", args.runs),
        }
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    print(" ".join(f"{k}={v}" for k, v in figures.items()) + f" attempts={attempts}")


if __name__ == "__main__":
    main()
