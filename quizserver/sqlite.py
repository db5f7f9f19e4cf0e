"""SQLite for several gunicorn workers on one machine: WAL, a busy timeout, and writers that queue.

SQLite lets one writer in at a time. A writer that finds the database locked sleeps in SQLite's busy
handler for 1, 2, 5, 10, … ms before it looks again, even when the other writer is done after a
tenth of a millisecond. At a deadline, with every worker writing, those sleeps are most of the wait.
So writers first queue on an `flock` of a file next to the database (`<database>-writers`), held from
the first write to commit or rollback, and a queued writer looks again every 0.1 ms. The lock only
orders writers; SQLite's own locking still guarantees correctness, and the busy timeout stays as a
safety net (a writer that waited that long goes on without the lock and leaves it to SQLite).
"""
from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from typing import Any

from sqlalchemy.engine import make_url

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
BUSY_TIMEOUT_MS = 10_000
# How often a queued writer looks again when the lock is taken; well below SQLite's first 1 ms sleep.
POLL_SECONDS = 0.0001


def is_file_database(url: str) -> bool:
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")


def engine_options(url: str) -> dict[str, Any]:
    """Engine options for a SQLite file: its connections queue their writes."""
    return {"connect_args": {"factory": QueuedWritesConnection}} if is_file_database(url) else {}


def set_pragmas(dbapi_connection: sqlite3.Connection) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class QueuedWritesCursor(sqlite3.Cursor):
    def _queue_if_write(self, sql: str) -> None:
        connection = self.connection
        if isinstance(connection, QueuedWritesConnection) and sql.lstrip()[:7].upper().startswith(WRITES):
            connection.queue_for_write()

    def execute(self, sql: str, parameters: Any = (), /) -> QueuedWritesCursor:
        self._queue_if_write(sql)
        return super().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> QueuedWritesCursor:
        self._queue_if_write(sql)
        return super().executemany(sql, seq_of_parameters)


class QueuedWritesConnection(sqlite3.Connection):
    """A sqlite3 connection that holds the writers' lock from its first write to commit or rollback."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._lock_path = os.fspath(database) + "-writers"
        self._lock_fd: int | None = None

    def cursor(self, factory: Any = QueuedWritesCursor) -> Any:
        return super().cursor(factory)

    # The shortcuts would make their cursor in C, past `cursor` above.
    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Any:
        return self.cursor().executemany(sql, seq_of_parameters)

    def queue_for_write(self) -> None:
        if self._lock_fd is not None:
            return
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:  # leave it to SQLite's busy handler to decide
                    os.close(fd)
                    return
                time.sleep(POLL_SECONDS)
        self._lock_fd = fd

    def _release(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the lock

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()
