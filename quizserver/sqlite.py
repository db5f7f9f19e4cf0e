"""SQLite for several gunicorn workers on one machine: WAL and a busy timeout.

WAL lets readers run alongside the one writer SQLite allows at a time; a writer that finds the database
locked waits in SQLite's busy handler, up to BUSY_TIMEOUT_MS, and then goes on. Writes queue on SQLite's
own lock: a lock file polled more often (an earlier version of this module) measured no better under
bench/load.py (docs/deploy.md), so there is nothing more here.
"""
from __future__ import annotations

import sqlite3

BUSY_TIMEOUT_MS = 10_000


def set_pragmas(dbapi_connection: sqlite3.Connection) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
