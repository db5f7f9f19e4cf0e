"""gunicorn.conf.py: threads per worker follow the database, and a worker takes a connection only when free."""
from __future__ import annotations

import runpy
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict:
    for name in ("QUIZ_DATABASE_URL", "QUIZ_THREADS", "QUIZ_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


@pytest.mark.parametrize(
    ("env", "threads"),
    [
        ({}, 1),  # SQLite in instance/: a request is CPU work from start to end
        ({"QUIZ_DATABASE_URL": "sqlite:////srv/quiz.sqlite3"}, 1),
        ({"QUIZ_DATABASE_URL": "postgresql+psycopg://quiz@db.internal/quiz"}, 2),  # waits on round trips
        ({"QUIZ_DATABASE_URL": "postgresql+psycopg://quiz@db.internal/quiz", "QUIZ_THREADS": "4"}, 4),
        ({"QUIZ_THREADS": "3"}, 3),
    ],
)
def test_threads_per_worker_follow_the_database(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], threads: int
) -> None:
    conf = settings(monkeypatch, **env)
    assert conf["threads"] == threads
    # Waiting requests stay in the shared accept queue: no kept-alive connection holds a free slot.
    assert conf["worker_connections"] == threads and conf["keepalive"] == 0
    assert conf["worker_class"] == "gthread"


def test_workers_follow_the_cores_but_stay_under_a_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    assert 3 <= settings(monkeypatch)["workers"] <= 12
    assert settings(monkeypatch, QUIZ_WORKERS="2")["workers"] == 2


def test_a_worker_freezes_what_it_loaded_so_full_collections_skip_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    conf = settings(monkeypatch)
    loaded = [[index] for index in range(1000)]  # stands for the app a worker has just imported
    try:
        conf["post_worker_init"](object())
        assert gc.get_freeze_count() >= len(loaded)
        collected = {id(obj) for obj in gc.get_objects()}  # the permanent generation is not among them
        assert not any(id(item) in collected for item in loaded)
    finally:
        gc.unfreeze()
