"""Deadline load: 32 students submitting at once to gunicorn (2 workers), then every acknowledged answer checked.

    python bench/load.py                     # SQLite in a temporary directory
    QUIZ_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres python bench/load.py
    python bench/load.py --profile           # where the time of one submit goes (pyinstrument, no gunicorn)

A fresh database is created (and dropped afterwards for PostgreSQL), migrated with `flask db upgrade`,
given the test bank and one student per client, each with their variants. The same clients then drive
GET /ping (the ceiling: no database, no template) and POST answer forms (a mix of correct, incorrect and
invalid answers, each with its own idempotency token) for a fixed time, the two alternating in a few
rounds so that a machine whose speed drifts weighs on both alike. Every acknowledged submission is
then looked up in the attempts table. Traffic goes only to 127.0.0.1 and stops at a time and count limit.
Last line: submit_rps=<n> hello_rps=<n> ratio=<n> p50_ms=<n> p99_ms=<n> lost=<n> dup=<n> errors=<n>
"""
from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BANKS = ROOT / "tests" / "fixtures" / "banks"
WEEK = 1
PASSWORD = "bench-password-not-secret"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MAX_REQUESTS_PER_CLIENT = 50_000  # a hard stop on top of the time limit
# A bench student answers far faster than a person: lift the per-student answer limit (ANSWER_LIMIT).
UNLIMITED_ANSWERS = "1000000 per minute"
KINDS = ("correct", "incorrect", "invalid")
KIND_WEIGHTS = (4, 4, 2)


# ---------------------------------------------------------------- database and server


@contextmanager
def fresh_database(workdir: Path) -> Iterator[str]:
    """A SQLite file in workdir, or a new PostgreSQL database next to QUIZ_DATABASE_URL's (dropped afterwards)."""
    from quizserver.databases import scratch_database

    with scratch_database(os.environ.get("QUIZ_DATABASE_URL"), workdir / "bench.sqlite3", "quiz_bench") as url:
        yield url


@dataclass(frozen=True)
class Student:
    email: str
    keys: dict[str, Any]  # question id -> the student's answer key


def prepare(database_url: str, students: int) -> list[Student]:
    """Migrate the empty database, sync the test bank, create the students and their variants."""
    env = {**os.environ, "QUIZ_DATABASE_URL": database_url}
    subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )
    from werkzeug.security import generate_password_hash

    from quizserver import create_app
    from quizserver.catalog import served_bank
    from quizserver.extensions import db
    from quizserver.models import User
    from quizserver.services import ensure_states, sync_banks

    app = create_app({"ENV": "testing", "DATABASE_URL": database_url})
    made = []
    with app.app_context():
        assert sync_banks([BANKS], variants=1).ok
        served = served_bank(WEEK)
        # One hash for everybody: scrypt per student would only slow the set-up down.
        password_hash = generate_password_hash(PASSWORD, method="scrypt")
        for i in range(students):
            user = User(email=f"bench{i:03d}@uni.example", name=f"Student {i}", password_hash=password_hash)
            db.session.add(user)
            db.session.flush()
            view = ensure_states(user, served)
            made.append(Student(user.email, {qid: _typed_key(s.variant) for qid, s in view.states.items()}))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return made


def _typed_key(variant: Any) -> Any:
    """What the form needs: the key itself, or for a choice question the 1-based positions the page shows."""
    if not variant.choice_order:
        return variant.answer
    positions = {cid: str(i) for i, cid in enumerate(variant.choice_order, start=1)}
    return {
        "correct": [positions[c] for c in variant.answer],
        "incorrect": [p for c, p in positions.items() if c not in variant.answer][:1],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_cpu_seconds(stat: str) -> float:
    """User plus system CPU time from the text of /proc/<pid>/stat (the fields after the command's ")")."""
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path
    seen: dict[int, float] = field(default_factory=dict)  # worker pid -> its CPU seconds when last looked at

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def cpu_seconds(self) -> float:
        """CPU time the workers have used so far: the server's cost per request, whatever else runs.
        A worker that gunicorn replaced (max_requests) keeps the time it was last seen with."""
        for pid in self.worker_pids():
            with suppress(OSError):
                self.seen[pid] = process_cpu_seconds(Path(f"/proc/{pid}/stat").read_text())
        return sum(self.seen.values())


def database_cpu_seconds() -> float:
    """CPU time used so far by the PostgreSQL server processes on this host (0 for SQLite, which runs in the
    workers)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            text = stat.read_text()
            if "(postgres)" in text.split(")", 1)[0] + ")":
                total += process_cpu_seconds(text)
    return total


@contextmanager
def gunicorn(database_url: str, workdir: Path, workers: int = 2) -> Iterator[Server]:
    port = free_port()
    log = workdir / "gunicorn.log"
    env = {
        **os.environ,
        "QUIZ_DATABASE_URL": database_url,
        "QUIZ_SECRET_KEY": secrets.token_hex(32),
        "QUIZ_ENV": "production",
        "QUIZ_BIND": f"127.0.0.1:{port}",
        "QUIZ_WORKERS": str(workers),
        # several workers in production must share their limiter counts, as a deployment does
        "QUIZ_RATELIMIT_STORAGE_URI": os.environ.get("QUIZ_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379"),
        "QUIZ_LOGIN_LIMIT": "100000 per minute",  # every bench student logs in from 127.0.0.1
        "QUIZ_ANSWER_LIMIT": UNLIMITED_ANSWERS,
    }
    with open(log, "wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    server = Server(port, process, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {log}\n{log.read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/ping")
                if conn.getresponse().status == 200 and len(server.worker_pids()) == workers:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer within 60 s")
            time.sleep(0.2)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---------------------------------------------------------------- clients


class Browser:
    """One student's browser: a keep-alive connection and the session cookie."""

    def __init__(self, port: int, student: Student) -> None:
        self.port = port
        self.student = student
        self.cookie = ""
        self.csrf = ""
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(
        self, method: str, path: str, form: list[tuple[str, str]] | None = None, *, keep_cookie: bool = True
    ) -> tuple[int, str]:
        headers = {"Accept": "text/html"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.conn.close()  # the next request opens a new connection
            raise
        cookie = response.getheader("Set-Cookie")
        if keep_cookie and cookie and cookie.startswith("session="):
            self.cookie = cookie.split(";", 1)[0]
        return response.status, text

    def log_in(self) -> None:
        _, page = self.request("GET", "/login")
        status, _ = self.request(
            "POST",
            "/login",
            [("email", self.student.email), ("password", PASSWORD), ("csrf_token", CSRF.search(page).group(1))],
        )
        if status != 302:
            raise RuntimeError(f"log-in failed for {self.student.email}: HTTP {status}")
        status, page = self.request("GET", f"/weeks/{WEEK}")
        if status != 200:
            raise RuntimeError(f"week page failed: HTTP {status}")
        self.csrf = CSRF.search(page).group(1)


def answer_fields(question_id: str, key: Any, kind: str) -> list[tuple[str, str]]:
    import numpy as np

    from quizserver.grading import format_answer

    if isinstance(key, dict):  # a choice question: positions in the student's order
        chosen = {"correct": key["correct"], "incorrect": key["incorrect"], "invalid": ["9"]}[kind]
        return [("choice", c) for c in chosen]
    typed = {
        "correct": lambda: format_answer(key),
        "incorrect": lambda: format_answer((np.asarray(key) + 1).tolist()),
        "invalid": lambda: random.choice(["abc", "[1, 2", "1/0", ""]),
    }[kind]()
    return [("answer", typed)]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    acknowledged: list[str] = field(default_factory=list)  # idempotency tokens answered with a redirect
    requests: int = 0


def submit_once(browser: Browser, rng: random.Random, tally: Tally, *, retry: bool) -> None:
    """POST one answer form; on a dropped connection send the very same form again once (like a reload)."""
    question_id = rng.choice(sorted(browser.student.keys))
    kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
    token = secrets.token_urlsafe(16)
    form = [
        ("csrf_token", browser.csrf),
        ("token", token),
        *answer_fields(question_id, browser.student.keys[question_id], kind),
    ]
    path = f"/weeks/{WEEK}/{question_id}/answer"
    for _attempt in range(2 if retry else 1):
        started = time.perf_counter()
        try:
            # An answer post sets no cookie; ignoring Set-Cookie keeps every client on its logged-in session.
            status, _ = browser.request("POST", path, form, keep_cookie=False)
        except (OSError, http.client.HTTPException):
            tally.errors += 1
            continue
        tally.requests += 1
        if status == 302:
            tally.latencies.append(time.perf_counter() - started)
            tally.acknowledged.append(token)
        else:
            tally.errors += 1
        return


def ping_once(browser: Browser, rng: random.Random, tally: Tally, *, retry: bool) -> None:
    started = time.perf_counter()
    try:
        status, _ = browser.request("GET", "/ping", keep_cookie=False)
    except (OSError, http.client.HTTPException):
        tally.errors += 1
        return
    tally.requests += 1
    if status == 200:
        tally.latencies.append(time.perf_counter() - started)
    else:
        tally.errors += 1


def drive(
    browsers: list[Browser], action: Callable[..., None], seconds: float, *, retry: bool = False, seed: int = 0
) -> tuple[list[Tally], float]:
    """Every browser repeats `action` back to back until the time (or the request cap) is up."""
    tallies = [Tally() for _ in browsers]
    start = threading.Barrier(len(browsers) + 1)
    stop_at: list[float] = []

    def loop(i: int) -> None:
        rng = random.Random(seed * 10_000 + i)
        start.wait()
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            if time.monotonic() >= stop_at[0]:
                break
            action(browsers[i], rng, tallies[i], retry=retry)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(len(browsers))]
    for t in threads:
        t.start()
    began = time.monotonic()
    stop_at.append(began + seconds)
    start.wait()
    for t in threads:
        t.join()
    return tallies, time.monotonic() - began


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# ---------------------------------------------------------------- checking


@dataclass(frozen=True)
class Check:
    lost: int
    dup: int
    unacknowledged_stored: int
    over_max: int
    state_mismatch: int


def compare(database_url: str, acknowledged: list[str]) -> Check:
    """Every acknowledged token is one row; counted attempts match each state and respect max_attempts."""
    from sqlalchemy import and_, create_engine, func, select

    from quizserver.models import Attempt, QuestionState

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            stored = dict(
                conn.execute(select(Attempt.idempotency_key, func.count()).group_by(Attempt.idempotency_key)).all()
            )
            counted = func.count(Attempt.id).filter(Attempt.counted.is_(True))
            rows = conn.execute(
                select(QuestionState.question_id, QuestionState.attempts, counted)
                .join(
                    Attempt,
                    and_(
                        Attempt.user_id == QuestionState.user_id,
                        Attempt.week == QuestionState.week,
                        Attempt.question_id == QuestionState.question_id,
                    ),
                    isouter=True,
                )
                .group_by(QuestionState.id, QuestionState.question_id, QuestionState.attempts)
            ).all()
    finally:
        engine.dispose()
    acked = set(acknowledged)
    return Check(
        lost=sum(1 for t in acked if t not in stored),
        dup=sum(n - 1 for t, n in stored.items() if t is not None and n > 1) + (len(acknowledged) - len(acked)),
        unacknowledged_stored=sum(1 for t in stored if t is not None and t not in acked),
        over_max=sum(1 for qid, attempts, _ in rows if qid == "count" and attempts > 2),
        state_mismatch=sum(1 for _, attempts, n in rows if attempts != n),
    )


# ---------------------------------------------------------------- main


def log_in_all(port: int, students: list[Student]) -> list[Browser]:
    browsers = [Browser(port, s) for s in students]
    threads = [threading.Thread(target=b.log_in) for b in browsers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if any(not b.csrf for b in browsers):
        raise RuntimeError("some students could not log in: see the gunicorn log")
    return browsers


def run_load(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="quiz-load-") as tmp, fresh_database(Path(tmp)) as url:
        backend = url.split(":", 1)[0]
        print(f"database: {backend}; {args.clients} clients; {args.seconds:g} s per phase", flush=True)
        students = prepare(url, args.clients)
        with gunicorn(url, Path(tmp), workers=args.workers) as server:
            browsers = log_in_all(server.port, students)
            drive(browsers, ping_once, 1.0)  # warm-up: connections open, code paths imported
            # The phases alternate in short rounds, so a machine that speeds up or slows down
            # during the run (other tenants, clock changes) weighs on both sides of the ratio alike.
            hello: list[Tally] = []
            submit: list[Tally] = []
            hello_time = submit_time = hello_cpu = submit_cpu = hello_own = submit_own = submit_db = 0.0
            for round_number in range(args.rounds):
                cpu, own = server.cpu_seconds(), time.process_time()
                tallies, elapsed = drive(browsers, ping_once, args.seconds / args.rounds)
                hello += tallies
                hello_time += elapsed
                hello_cpu += server.cpu_seconds() - cpu
                hello_own += time.process_time() - own
                cpu, own, dbcpu = server.cpu_seconds(), time.process_time(), database_cpu_seconds()
                tallies, elapsed = drive(browsers, submit_once, args.seconds / args.rounds, seed=round_number)
                submit += tallies
                submit_time += elapsed
                submit_cpu += server.cpu_seconds() - cpu
                submit_db += database_cpu_seconds() - dbcpu
                submit_own += time.process_time() - own
        acknowledged = [t for tally in submit for t in tally.acknowledged]
        check = compare(url, acknowledged)
    latencies = [x for tally in submit for x in tally.latencies]
    by_client: dict[int, list[float]] = {}
    for i, tally in enumerate(submit):
        by_client.setdefault(i % args.clients, []).extend(tally.latencies)
    per_client = sorted(1000 * sum(v) / len(v) for v in by_client.values() if v)
    if per_client:
        print(
            f"mean submit latency per client: fastest {per_client[0]:.1f} ms, "
            f"median {per_client[len(per_client) // 2]:.1f} ms, slowest {per_client[-1]:.1f} ms"
        )
        print(
            "submit latency: "
            + ", ".join(f"p{q * 100:g} {percentile(latencies, q) * 1000:.1f} ms" for q in (0.9, 0.95, 0.99, 0.999))
            + f", max {max(latencies) * 1000:.1f} ms"
        )
    hello_rps = sum(len(t.latencies) for t in hello) / hello_time
    submit_rps = len(latencies) / submit_time
    errors = sum(t.errors for t in hello) + sum(t.errors for t in submit)
    hello_count = sum(len(t.latencies) for t in hello)
    print(
        f"hello: {hello_count} requests, "
        f"p99 {percentile([x for t in hello for x in t.latencies], 0.99) * 1000:.1f} ms; "
        f"worker CPU per request: hello {1000 * hello_cpu / max(hello_count, 1):.2f} ms, "
        f"submit {1000 * submit_cpu / max(len(latencies), 1):.2f} ms; database server CPU per submit "
        f"{1000 * submit_db / max(len(latencies), 1):.2f} ms (a PostgreSQL on this host); "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"client CPU per request: hello {1000 * hello_own / max(hello_count, 1):.2f} ms, "
        f"submit {1000 * submit_own / max(len(latencies), 1):.2f} ms (the clients share one process)"
    )
    print(
        f"submit: {len(latencies)} acknowledged; stored but not acknowledged {check.unacknowledged_stored}; "
        f"states over max_attempts {check.over_max}; "
        f"states whose attempts differ from their counted rows {check.state_mismatch}"
    )
    print(
        f"submit_rps={submit_rps:.0f} hello_rps={hello_rps:.0f} ratio={submit_rps / hello_rps:.2f} "
        f"p50_ms={percentile(latencies, 0.5) * 1000:.1f} p99_ms={percentile(latencies, 0.99) * 1000:.1f} "
        f"lost={check.lost} dup={check.dup} errors={errors + check.over_max + check.state_mismatch}"
    )
    return 0 if check.lost == check.dup == errors == check.over_max == check.state_mismatch == 0 else 1


def run_profile(args: argparse.Namespace) -> int:
    """The submit view in-process, under pyinstrument: the application's share of the time."""
    from pyinstrument import Profiler

    from quizserver import create_app

    with tempfile.TemporaryDirectory(prefix="quiz-profile-") as tmp, fresh_database(Path(tmp)) as url:
        (student,) = prepare(url, 1)
        app = create_app({"ENV": "testing", "DATABASE_URL": url, "ANSWER_LIMIT": UNLIMITED_ANSWERS})
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        client.post(
            "/login", data={"email": student.email, "password": PASSWORD, "csrf_token": CSRF.search(page).group(1)}
        )
        csrf = CSRF.search(client.get(f"/weeks/{WEEK}").get_data(as_text=True)).group(1)
        rng = random.Random(0)
        logged_in = client.get_cookie("session")

        def post() -> None:
            # Like the load clients: the flash note is not carried into the next request.
            client.set_cookie(logged_in.key, logged_in.value, domain=logged_in.domain)
            qid = rng.choice(sorted(student.keys))
            form = [
                ("csrf_token", csrf),
                ("token", secrets.token_urlsafe(16)),
                *answer_fields(qid, student.keys[qid], rng.choices(KINDS, KIND_WEIGHTS)[0]),
            ]
            assert (
                client.post(
                    f"/weeks/{WEEK}/{qid}/answer",
                    data=urlencode(form),
                    content_type="application/x-www-form-urlencoded",
                ).status_code
                == 302
            )

        for _ in range(50):
            post()
        profiler = Profiler(interval=0.0002)
        started = time.perf_counter()
        with profiler:
            for _ in range(args.profile_requests):
                post()
        elapsed = time.perf_counter() - started
        print(profiler.output_text(unicode=False, color=False, show_all=False))
        print(
            f"{args.profile_requests} submits in-process: "
            f"{1000 * elapsed / args.profile_requests:.2f} ms each (with the profiler on)"
        )
        from quizserver.extensions import db

        with app.app_context():
            db.engine.dispose()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured time of each phase, in all rounds")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=4, help="the phases alternate this many times")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="profile the submit view instead")
    parser.add_argument("--profile-requests", type=int, default=1000)
    args = parser.parse_args()
    return run_profile(args) if args.profile else run_load(args)


if __name__ == "__main__":
    sys.exit(main())
