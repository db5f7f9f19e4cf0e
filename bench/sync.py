"""`quiz sync` of every shipped bank from an empty database: wall time and the pools' size on disk.

Run: python bench/sync.py [--variants 200] [--week-page]
SQLite in a temporary file by default; with QUIZ_DATABASE_URL=postgresql+psycopg://... a fresh database is
created on that server for the run and dropped afterwards (the database named in the URL is not touched).
Every variant is computed in the sandbox (the jail where bubblewrap is installed), verified and rendered.
--week-page also times a student's week page in-process (median over 200 views of every week).
Last line: sync_s=<n> variants=<n> ran=<n> failed=<n> not_run=<n> pool_mb=<n> [week_page_ms=<n>]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text  # noqa: E402

from quizserver import create_app  # noqa: E402
from quizserver.accounts import create_user  # noqa: E402
from quizserver.banksync import sync_banks  # noqa: E402
from quizserver.config import PROJECT_ROOT  # noqa: E402
from quizserver.databases import scratch_database  # noqa: E402
from quizserver.extensions import db  # noqa: E402
from quizserver.models import PoolVariant  # noqa: E402
from tests.csrf import csrf_token  # noqa: E402

PASSWORD = "bench password 1234"


def pool_bytes(dialect: str, sqlite_file: Path) -> int:
    """The pool table's size on disk: PostgreSQL's own count (with indexes and TOAST); on SQLite the pages
    the table and its indexes use (dbstat), else the stored values' lengths."""
    if dialect == "postgresql":
        return int(db.session.scalar(text("SELECT pg_total_relation_size('pool_variants')")))
    try:
        return int(db.session.scalar(text(
            "SELECT sum(pgsize) FROM dbstat WHERE name = 'pool_variants' OR name LIKE '%pool_variants%'"
        )))  # fmt: skip
    except Exception:  # SQLite built without dbstat
        columns = ("params", "names", "answer", "choice_order", "text_html", "explanation_html", "choices_html")
        total = " + ".join(f"coalesce(length({c}), 0)" for c in columns)
        return int(db.session.scalar(text(f"SELECT sum({total}) FROM pool_variants")) or 0)


def week_page_ms(app, views: int) -> float:
    with app.app_context():
        create_user("bench.student@uni.example", PASSWORD, role="student")
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "bench.student@uni.example", "password": PASSWORD,
                                "csrf_token": csrf_token(client, "/login")})  # fmt: skip
    weeks = list(range(1, 13))
    for week in weeks:  # the first view assigns the variants
        assert client.get(f"/weeks/{week}").status_code == 200
    timings = []
    for i in range(views):
        started = time.perf_counter()
        response = client.get(f"/weeks/{weeks[i % len(weeks)]}")
        response.get_data()
        timings.append((time.perf_counter() - started) * 1e3)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=200, help="verified variants per question")
    parser.add_argument("--week-page", action="store_true", help="also time a student's week page")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        sqlite_file = Path(folder) / "bench.sqlite3"
        with scratch_database(os.environ.get("QUIZ_DATABASE_URL"), sqlite_file, "quiz_bench") as url:
            app = create_app({"ENV": "testing", "DATABASE_URL": url, "RATELIMIT_ENABLED": False})
            with app.app_context():
                db.create_all()
                dialect = db.engine.dialect.name
                started = time.perf_counter()
                report = sync_banks([PROJECT_ROOT / "questions"], variants=args.variants)
                db.session.commit()
                seconds = time.perf_counter() - started
                refused = [f.path for f in report.refused]
                stored = db.session.scalar(select(func.count()).select_from(PoolVariant))
                size = pool_bytes(dialect, sqlite_file)
            counts = report.counts
            print(f"database: {dialect}; cores: {os.cpu_count()}")
            print(f"sync of {len(report.files)} banks, {counts.questions} questions: {seconds:.1f} s"
                  + (f" (refused: {', '.join(refused)})" if refused else ""))  # fmt: skip
            print(counts.summary())
            print(
                f"pool: {stored} rows, {size / 2**20:.1f} MB on disk ({size / max(stored, 1) / 1024:.1f} KB a variant)"
            )
            line = (f"sync_s={seconds:.1f} variants={counts.variants} ran={counts.ran} failed={counts.failed} "
                    f"not_run={counts.not_run} pool_mb={size / 2**20:.1f}")  # fmt: skip
            if args.week_page:
                median = week_page_ms(app, 200)
                print(f"week page, in-process median over 200 views: {median:.2f} ms")
                line += f" week_page_ms={median:.2f}"
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            print(line)


if __name__ == "__main__":
    main()
