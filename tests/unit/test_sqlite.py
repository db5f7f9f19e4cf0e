"""SQLite writers queue on a lock file instead of sleeping in SQLite's busy handler."""
from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from quizserver import sqlite


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "queued.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)")
    return path


def connect(path: Path) -> sqlite.QueuedWritesConnection:
    conn = sqlite3.connect(path, factory=sqlite.QueuedWritesConnection, check_same_thread=False)
    sqlite.set_pragmas(conn)
    assert isinstance(conn, sqlite.QueuedWritesConnection)
    return conn


@pytest.mark.parametrize(
    ("url", "queued"),
    [
        ("sqlite:////srv/quiz/quizserver.sqlite3", True),
        ("sqlite:///relative.sqlite3", True),
        ("sqlite://", False),
        ("sqlite:///:memory:", False),
        ("postgresql+psycopg://postgres@127.0.0.1:5432/quiz", False),
    ],
)
def test_only_a_sqlite_file_gets_queued_writers(url, queued):
    assert is_queued(sqlite.engine_options(url)) is queued


def is_queued(options: dict) -> bool:
    return options.get("connect_args", {}).get("factory") is sqlite.QueuedWritesConnection


def test_a_second_writer_waits_for_the_first_to_commit(database):
    first, second = connect(database), connect(database)
    first.execute("INSERT INTO t (who) VALUES ('first')")  # holds the writers' lock from here
    assert Path(f"{database}-writers").exists()
    finished = threading.Event()

    def write_second() -> None:
        second.cursor().execute("INSERT INTO t (who) VALUES ('second')")
        second.commit()
        finished.set()

    thread = threading.Thread(target=write_second)
    thread.start()
    time.sleep(0.2)
    assert not finished.is_set()  # queued behind the first writer, not failed
    first.commit()
    thread.join(timeout=5)
    assert finished.is_set()
    rows = sqlite3.connect(database).execute("SELECT who FROM t ORDER BY id").fetchall()
    assert rows == [("first",), ("second",)]


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_the_lock_is_released_however_the_transaction_ends(database, end):
    first, second = connect(database), connect(database)
    first.cursor().execute("UPDATE t SET who = 'x'")
    getattr(first, end)()
    started = time.monotonic()
    second.cursor().execute("INSERT INTO t (who) VALUES ('next')")
    second.commit()
    assert time.monotonic() - started < 1.0


def test_reads_never_queue(database):
    first, second = connect(database), connect(database)
    first.cursor().execute("INSERT INTO t (who) VALUES ('open')")
    assert second.cursor().execute("SELECT count(*) FROM t").fetchone() == (0,)
    first.rollback()


def test_many_threads_writing_lose_nothing(database):
    def work(n: int) -> None:
        conn = connect(database)
        for i in range(25):
            conn.cursor().execute("INSERT INTO t (who) VALUES (?)", (f"{n}-{i}",))
            conn.commit()
        conn.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sqlite3.connect(database).execute("SELECT count(DISTINCT who) FROM t").fetchone() == (200,)


def test_the_app_uses_queued_writers_for_its_sqlite_file(tmp_path):
    from quizserver import create_app
    from quizserver.extensions import db

    app = create_app({"ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}"})
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            assert isinstance(raw.driver_connection, sqlite.QueuedWritesConnection)
        finally:
            raw.close()
        db.engine.dispose()
