"""gunicorn settings: `gunicorn app:app` (or `gunicorn -c gunicorn.conf.py app:app`) reads this file.

Environment: QUIZ_BIND (default 127.0.0.1:8000, the nginx upstream), QUIZ_WORKERS, QUIZ_THREADS
(default 1 on SQLite, 2 on PostgreSQL). In production, more than one worker needs a shared
QUIZ_RATELIMIT_STORAGE_URI (redis://...): the server refuses to start with memory://.
"""
import gc
import multiprocessing
import os
from typing import Any

bind = os.environ.get("QUIZ_BIND", "127.0.0.1:8000")

# Grading is CPU work: one process per core (2n+1 covers time spent waiting on the database), capped
# so a big machine does not open more database connections than PostgreSQL's max_connections allows.
workers = int(os.environ.get("QUIZ_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 12)))
# Threads per worker: on SQLite a request is CPU work from start to end (the database runs inside the
# worker), so a second thread would only wait for the GIL. On PostgreSQL a request waits for the
# database's answers (three round trips for an answer), and a second thread uses those waits.
worker_class = "gthread"
_on_postgresql = os.environ.get("QUIZ_DATABASE_URL", "").startswith("postgresql")
threads = int(os.environ.get("QUIZ_THREADS", 2 if _on_postgresql else 1))
# A worker takes a connection only when a thread is free to serve it. Waiting requests stay in the
# kernel's accept queue, which every worker shares, so the first free worker takes the oldest: at a
# deadline nobody waits behind a busy worker while another is idle. That rules out keep-alive (an idle
# kept-alive connection would hold the worker's only slot); nginx in front keeps the browsers' alive.
worker_connections = threads
keepalive = 0

# A request that takes longer than this is a stuck worker: kill and replace it.
timeout = 30
graceful_timeout = 20
# Restart workers now and then, so a slow leak in a library cannot grow forever (author code runs in the
# sandbox process, not here). A restart costs about a second in which the worker's share of requests
# waits for the others (a new worker imports the app): at a deadline's rate of a few hundred answers a
# second per worker, every 100000 requests is every few minutes.
max_requests = 100000
max_requests_jitter = 10000

# Every worker imports the app itself, so each has its own database pool and its own sandbox process.
preload_app = False


def on_starting(server: Any) -> None:
    """Refuse to start production workers that would each count failed log-ins alone (memory://)."""
    from quizserver.config import from_environment, shared_limiter_problem

    problem = shared_limiter_problem(from_environment(), server.cfg.workers)
    if problem:
        server.log.error(problem)
        raise SystemExit(problem)


def post_worker_init(worker: object) -> None:
    """Once the worker has imported the app: move what it built (about 140,000 objects: the app,
    SQLAlchemy, numpy) out of the garbage collector's sight. They live as long as the worker, and
    otherwise every full collection walks them all: 70 ms during which the worker answers nobody,
    once every few thousand requests (bench/load.py's p99). Objects made later are collected as usual."""
    gc.collect()
    gc.freeze()


accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("QUIZ_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# Behind nginx on the same host: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("QUIZ_FORWARDED_ALLOW_IPS", "127.0.0.1")
