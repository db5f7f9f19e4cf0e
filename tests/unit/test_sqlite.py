"""SQLite shared by several workers: WAL, a busy timeout, foreign keys; writers wait for each other, lose nothing."""
from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from quizserver import sqlite


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "shared.sqlite3"
    with connect(path) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)")
    return path


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False)
    sqlite.set_pragmas(conn)
    return conn


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [("journal_mode", "wal"), ("busy_timeout", sqlite.BUSY_TIMEOUT_MS), ("foreign_keys", 1), ("synchronous", 1)],
)
def test_each_connection_gets_the_pragmas(database: Path, pragma: str, expected: object) -> None:
    assert connect(database).execute(f"PRAGMA {pragma}").fetchone()[0] == expected


def test_a_second_writer_waits_for_the_first_to_commit(database: Path) -> None:
    first, second = connect(database), connect(database)
    first.execute("INSERT INTO t (who) VALUES ('first')")  # holds SQLite's write lock from here
    finished = threading.Event()

    def write_second() -> None:
        second.execute("INSERT INTO t (who) VALUES ('second')")
        second.commit()
        finished.set()

    thread = threading.Thread(target=write_second)
    thread.start()
    assert not finished.wait(0.2)  # waiting in the busy handler, not failed
    first.commit()
    thread.join(timeout=5)
    assert finished.is_set()
    rows = connect(database).execute("SELECT who FROM t ORDER BY id").fetchall()
    assert rows == [("first",), ("second",)]


def test_reads_run_alongside_a_writer(database: Path) -> None:
    first, second = connect(database), connect(database)
    first.execute("INSERT INTO t (who) VALUES ('open')")
    started = time.monotonic()
    assert second.execute("SELECT count(*) FROM t").fetchone() == (0,)  # the last committed state, at once
    assert time.monotonic() - started < 1.0
    first.rollback()


def test_many_threads_writing_lose_nothing(database: Path) -> None:
    def work(n: int) -> None:
        conn = connect(database)
        for i in range(25):
            conn.execute("INSERT INTO t (who) VALUES (?)", (f"{n}-{i}",))
            conn.commit()
        conn.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert connect(database).execute("SELECT count(DISTINCT who) FROM t").fetchone() == (200,)


def test_the_app_sets_the_pragmas_on_its_sqlite_file(tmp_path: Path) -> None:
    from quizserver import create_app
    from quizserver.extensions import db

    app = create_app({"ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}"})
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            assert raw.driver_connection.execute("PRAGMA busy_timeout").fetchone()[0] == sqlite.BUSY_TIMEOUT_MS
        finally:
            raw.close()
        db.engine.dispose()
