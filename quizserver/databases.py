"""Throw-away databases for benchmarks and tests: a SQLite file, or a new PostgreSQL database."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def scratch_database(base_url: str | None, sqlite_path: Path, prefix: str = "quiz_scratch") -> Iterator[str]:
    """SQLite at sqlite_path unless base_url names a PostgreSQL server; there a fresh database is
    created beside base_url's (which is never touched) and dropped afterwards."""
    if not base_url or base_url.startswith("sqlite"):
        yield f"sqlite:///{sqlite_path}"
        return
    url = make_url(base_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
