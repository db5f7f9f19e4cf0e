"""Migrations are the only schema path: they build exactly the models' schema, and undo it."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from quizserver import create_app
from quizserver.databases import scratch_database
from quizserver.extensions import db

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """An empty SQLite file, or an empty PostgreSQL database of its own when QUIZ_TEST_DATABASE_URL is set."""
    with scratch_database(
        os.environ.get("QUIZ_TEST_DATABASE_URL"), tmp_path / "migrations.sqlite3", "quiz_migrate"
    ) as url:
        yield url


@pytest.fixture
def migrated_app(empty_database: str) -> Iterator[Flask]:
    app = create_app({"ENV": "testing", "DATABASE_URL": empty_database})
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_one_head_and_a_single_history() -> None:
    script = ScriptDirectory(str(MIGRATIONS))
    assert len(script.get_heads()) == 1, "several migration heads: merge them with `flask --app app db merge heads`"


def test_upgrade_builds_exactly_the_models_schema(migrated_app: Flask) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert not differences, (
        "quizserver/models.py and migrations/ disagree. Run `flask --app app db migrate -m \"what changed\"`, "
        f"review the new script in migrations/versions/, and commit it. Differences: {differences}"
    )


def test_downgrade_to_base_removes_every_table(migrated_app: Flask) -> None:
    assert {"users", "attempts"} <= set(inspect(db.engine).get_table_names())
    downgrade(revision="base")
    db.engine.dispose()  # a fresh inspector connection sees the dropped tables
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
