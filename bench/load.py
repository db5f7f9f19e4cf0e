"""Deadline load as browsers send it: wrk drives gunicorn (2 workers from gunicorn.conf.py, 32 connections).

    python bench/load.py                     # SQLite in a temporary directory
    QUIZ_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres python bench/load.py
    python bench/load.py --profile           # where the time of a page and a JSON answer goes (pyinstrument)
    python bench/load.py --floor             # the same load on bench/floor.py: what is paid before the quiz's work

A fresh database is created (and dropped afterwards for PostgreSQL), migrated with `flask db upgrade`, given
the test bank and two cohorts of students with their variants: one whose students have 4 earlier answers
(`light`) and one whose students have 300 (`heavy`). wrk (Debian's package; bench/load.lua) then drives,
in one run and in alternating rounds so that a machine whose speed drifts weighs on every phase alike (the
heavy cohort goes first in every other round, so a database that grows during the run weighs on both alike):

* GET /ping: no database, no template, the ceiling the other phases are compared with;
* GET of the week page, with each student's session cookie;
* the answer POST exactly as static/quiz.js sends it: `Accept: application/json`, the form's fields
  URL-encoded (URLSearchParams of its FormData): the page's CSRF token, a fresh form token each time and
  a mix of correct, incorrect and invalid answers;

the page and the answer once for each cohort. wrk runs one thread per connection, so each acknowledged
answer (HTTP 200) is known by its form token; afterwards every one of them must be in the attempts table
exactly once. Traffic goes only to 127.0.0.1.
Each phase's line gives rps, p50 and p99 (the worst round's), the ratio to /ping, and the server's CPU per
request (gunicorn workers, and on PostgreSQL the backends of the bench's database): on a machine shared with
other work the CPU ratio is the steadier figure.
Last line: ping_rps page_rps page_ratio answer_rps answer_ratio page_p99_ms answer_p50_ms answer_p99_ms
heavy_page heavy_answer (the 300-answer cohort's rps over the 4-answer one's) page_cpu_ratio answer_cpu_ratio
heavy_page_cpu heavy_answer_cpu (the 300-answer cohort's CPU per request over the 4-answer one's) page_cpu_ms
answer_cpu_ms ping_cpu_ms (the 4-answer cohort's server CPU per request) lost dup errors, as key=value pairs;
with --floor, which stores no answer, `floor=1 errors` instead of `lost dup errors`.
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import secrets
import shutil
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
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.csrf import csrf_in, csrf_token  # noqa: E402 - the tests' CSRF helper

BANKS = ROOT / "tests" / "fixtures" / "banks"
WEEK = 1
PASSWORD = "bench-password-not-secret"
MAX_REQUESTS_PER_CLIENT = 50_000  # a hard stop on top of the time limit
# A bench student answers far faster than a person: lift the per-student answer limit (ANSWER_LIMIT).
UNLIMITED_ANSWERS = "1000000 per minute"
KINDS = ("correct", "incorrect", "invalid")
KIND_WEIGHTS = (4, 4, 2)
LIGHT, HEAVY = 4, 300  # earlier answers of a student in each cohort
LUA = Path(__file__).with_name("load.lua")


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
    history: int = 0  # earlier answers in the week


def prepare(database_url: str, students: int, history: int = 0, *, migrate: bool = True) -> list[Student]:
    """Migrate the empty database (once), sync the test bank, create the students, their variants and
    `history` earlier answers each, spread over the week's questions as if made in the weeks before."""
    if migrate:
        env = {**os.environ, "QUIZ_DATABASE_URL": database_url}
        subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
            [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade", "heads"],
            cwd=ROOT, env=env, check=True, capture_output=True,
        )
    from sqlalchemy import insert
    from werkzeug.security import generate_password_hash

    from quizserver import create_app
    from quizserver.banksync import sync_banks
    from quizserver.catalog import served_bank
    from quizserver.extensions import db
    from quizserver.models import Attempt, User, utcnow
    from quizserver.variants import ensure_states

    app = create_app({"ENV": "testing", "DATABASE_URL": database_url})
    made = []
    with app.app_context():
        assert sync_banks([BANKS], variants=1).ok
        served = served_bank(WEEK)
        assert served is not None
        # One hash for everybody: scrypt per student would only slow the set-up down.
        password_hash = generate_password_hash(PASSWORD, method="scrypt")
        taken = db.session.scalar(select_count_users())
        for i in range(taken, taken + students):
            user = User(email=f"bench{i:04d}@uni.example", name=f"Student {i}", password_hash=password_hash)
            db.session.add(user)
            db.session.flush()
            states = ensure_states(user, served).states
            made.append(Student(user.email, {qid: _typed_key(s.variant) for qid, s in states.items()}, history))
            earlier = utcnow() - timedelta(days=7)
            rows = [
                {
                    "user_id": user.id, "week": WEEK, "question_id": state.question_id, "variant_id": state.variant_id,
                    "bank_hash": served.version.content_hash, "seed": state.variant.seed, "raw_answer": str(n),
                    "status": "incorrect", "score": 0.0, "credit": 0.0, "counted": False, "message": "Not correct.",
                    "parsed": n, "created_at": earlier + timedelta(seconds=n),
                }
                for n, state in zip(range(history), itertools.cycle(states.values()), strict=False)
            ]  # fmt: skip
            if rows:  # practice answers: they leave the states' counted attempts as they are
                db.session.execute(insert(Attempt), rows)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return made


def select_count_users() -> Any:
    from sqlalchemy import func, select

    from quizserver.models import User

    return select(func.count()).select_from(User)


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


def database_cpu_seconds(database: str | None) -> float:
    """CPU time used so far by the PostgreSQL backends serving `database` (their process titles name it):
    not the other databases' on a shared host. 0 for SQLite, which runs in the workers."""
    if not database:
        return 0.0
    total = 0.0
    for proc in Path("/proc").glob("[0-9]*"):
        with suppress(OSError):
            title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if title.startswith("postgres:") and f" {database} " in title:
                total += process_cpu_seconds((proc / "stat").read_text())
    return total


@contextmanager
def gunicorn(database_url: str, workdir: Path, workers: int = 2, wsgi_app: str = "app:app") -> Iterator[Server]:
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
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", wsgi_app],
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
        self, method: str, path: str, form: list[tuple[str, str]] | None = None, *, keep_cookie: bool = True,
        accept: str = "text/html",
    ) -> tuple[int, str]:
        headers = {"Accept": accept}
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
            [("email", self.student.email), ("password", PASSWORD), ("csrf_token", csrf_in(page, "/login"))],
        )
        if status != 302:
            raise RuntimeError(f"log-in failed for {self.student.email}: HTTP {status}")
        status, page = self.request("GET", f"/weeks/{WEEK}")
        if status != 200:
            raise RuntimeError(f"week page failed: HTTP {status}")
        self.csrf = csrf_in(page, "the week page")


def answer_fields(question_id: str, key: Any, kind: str, rng: random.Random | None = None) -> list[tuple[str, str]]:
    """The answer's form fields, as the page's form has them: typed text, or the ticked places of a choice."""
    import numpy as np

    from quizserver.grading import format_answer

    if isinstance(key, dict):  # a choice question: positions in the student's order
        chosen = {"correct": key["correct"], "incorrect": key["incorrect"], "invalid": ["9"]}[kind]
        return [("choice", c) for c in chosen]
    typed = {
        "correct": lambda: format_answer(key),
        "incorrect": lambda: format_answer((np.asarray(key) + 1).tolist()),
        "invalid": lambda: (rng or random).choice(["abc", "[1, 2", "1/0", "2 +"]),
    }[kind]()
    return [("answer", typed)]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    acknowledged: list[str] = field(default_factory=list)  # idempotency tokens answered with a redirect
    requests: int = 0


def submit_once(browser: Browser, rng: random.Random, tally: Tally, *, retry: bool) -> None:
    """POST one answer as quiz.js does (JSON reply); on a dropped connection send the very same form again
    once, as a browser reload would."""
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
            status, _ = browser.request("POST", path, form, keep_cookie=False, accept="application/json")
        except (OSError, http.client.HTTPException):
            tally.errors += 1
            continue
        tally.requests += 1
        if status == 200:
            tally.latencies.append(time.perf_counter() - started)
            tally.acknowledged.append(token)
        else:
            tally.errors += 1
        return


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
    """Log every student in, 8 at a time (each log-in checks a scrypt hash: a slow request by design)."""
    from concurrent.futures import ThreadPoolExecutor

    browsers = [Browser(port, s) for s in students]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda b: b.log_in(), browsers))  # a failed log-in raises here, with its reason
    return browsers


# ---------------------------------------------------------------- wrk


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string of ASCII is a valid Lua string literal


def write_lua_data(path: Path, browsers: list[Browser]) -> None:
    """Each student's cookie, CSRF token and answer forms (without the form token), for load.lua."""
    entries = []
    for browser in browsers:
        answers = []
        for question_id, key in sorted(browser.student.keys.items()):
            for kind, weight in zip(KINDS, KIND_WEIGHTS, strict=True):
                fields = ", ".join(
                    f"{{{lua_string(name)}, {lua_string(value)}}}"
                    for name, value in answer_fields(question_id, key, kind, random.Random(weight))
                )
                form = f"{{path = {lua_string(f'/weeks/{WEEK}/{question_id}/answer')}, fields = {{{fields}}}}}"
                answers += [form] * weight
        entries.append(
            f"{{week = {WEEK}, cookie = {lua_string(browser.cookie)}, csrf = {lua_string(browser.csrf)}, "
            f"answers = {{{', '.join(answers)}}}}}"
        )
    path.write_text("return {\n" + ",\n".join(entries) + "\n}\n")


@dataclass(frozen=True)
class Phase:
    name: str  # ping, page, answer
    cohort: str  # light, heavy ("" for ping)

    @property
    def label(self) -> str:
        return f"{self.name}/{self.cohort}" if self.cohort else self.name


@dataclass
class Measured:
    requests: int = 0
    seconds: float = 0.0
    not_ok: int = 0  # a reply other than 200, or a socket error or timeout
    p50: list[float] = field(default_factory=list)  # per round, ms
    p99: list[float] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    cpu: float = 0.0  # CPU seconds of the gunicorn workers and of a PostgreSQL on this host during the phase
    database_cpu: float = 0.0  # the PostgreSQL backends' part of `cpu`

    def _ms_per_request(self, seconds: float) -> float:
        return 1000 * seconds / self.requests if self.requests else float("nan")

    @property
    def cpu_ms(self) -> float:
        """Server CPU per request: what the phase costs, however busy the machine was with other work."""
        return self._ms_per_request(self.cpu)

    @property
    def database_cpu_ms(self) -> float:
        return self._ms_per_request(self.database_cpu)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(port: int, phase: Phase, data: Path, seconds: float, connections: int, workdir: Path) -> Measured:
    acked = workdir / "acked.txt"
    env = {
        **os.environ, "BENCH_MODE": phase.name, "BENCH_DATA": str(data), "BENCH_ACKED": str(acked),
        "BENCH_THREADS": str(connections),
    }  # fmt: skip
    command = [
        "wrk", "-t", str(connections), "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "10s",
        "-s", str(LUA), f"http://127.0.0.1:{port}",
    ]  # fmt: skip
    run = subprocess.run(command, env=env, capture_output=True, text=True, check=True)  # noqa: S603
    line = next(x for x in run.stdout.splitlines() if x.startswith("RESULT "))
    values = dict(item.split("=", 1) for item in line.split()[1:])
    errors = sum(int(values[k]) for k in ("not_ok", "connect", "read", "write", "timeout"))
    return Measured(
        requests=int(values["requests"]), seconds=float(values["seconds"]), not_ok=errors,
        p50=[float(values["p50_ms"])], p99=[float(values["p99_ms"])],
        acknowledged=acked.read_text().split() if phase.name == "answer" else [],
    )  # fmt: skip


PHASES = [Phase("ping", "")] + [Phase(n, c) for c in ("light", "heavy") for n in ("page", "answer")]


def round_order(phases: list[Phase], round_number: int) -> list[Phase]:
    """The phases of one round: /ping first, then the cohorts in turn, the heavy cohort first in every other
    round, so that the database's growth during the run (every answer adds a row) weighs on both alike."""
    ping, *cohorts = phases
    if round_number % 2:
        half = len(cohorts) // 2
        cohorts = cohorts[half:] + cohorts[:half]
    return [ping, *cohorts]


def run_load(args: argparse.Namespace) -> int:
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="quiz-load-") as tmp, fresh_database(Path(tmp)) as url:
        work = Path(tmp)
        backend = url.split(":", 1)[0]
        database = make_url(url).database if backend.startswith("postgresql") else None
        print(
            ("FLOOR (bench/floor.py: the page and the answer stop before the quiz's own work); " if args.floor else "")
            + f"database: {backend}; {args.workers} gunicorn workers; {args.connections} connections; "
            f"{args.seconds:g} s per phase in {args.rounds} rounds; {args.students} students per cohort "
            f"with {LIGHT} and {HEAVY} earlier answers; load average before {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        cohorts = {
            "light": prepare(url, args.students, LIGHT),
            "heavy": prepare(url, args.students, HEAVY, migrate=False),
        }
        results = {phase.label: Measured() for phase in PHASES}
        wsgi_app = "bench.floor:create_floor_app()" if args.floor else "app:app"
        with gunicorn(url, work, workers=args.workers, wsgi_app=wsgi_app) as server:
            data = {}
            for cohort, students in cohorts.items():
                data[cohort] = work / f"{cohort}.lua"
                write_lua_data(data[cohort], log_in_all(server.port, students))
            run_wrk(server.port, Phase("ping", ""), data["light"], 2, args.connections, work)  # warm-up
            run_wrk(server.port, Phase("page", "light"), data["light"], 2, args.connections, work)
            cpu_before = server.cpu_seconds()
            for round_number in range(args.rounds):
                for phase in round_order(PHASES, round_number):
                    workers_before, database_before = server.cpu_seconds(), database_cpu_seconds(database)
                    got = run_wrk(
                        server.port, phase, data[phase.cohort or "light"], args.seconds / args.rounds,
                        args.connections, work,
                    )  # fmt: skip
                    total = results[phase.label]
                    database_used = database_cpu_seconds(database) - database_before
                    total.cpu += server.cpu_seconds() - workers_before + database_used
                    total.database_cpu += database_used
                    total.requests += got.requests
                    total.seconds += got.seconds
                    total.not_ok += got.not_ok
                    total.p50 += got.p50
                    total.p99 += got.p99
                    total.acknowledged += got.acknowledged
            worker_cpu = server.cpu_seconds() - cpu_before
        acknowledged = [t for m in results.values() for t in m.acknowledged]
        check = None if args.floor else compare(url, acknowledged)
    ping = results["ping"]
    for label, m in results.items():
        print(
            f"{label:13} {m.rps:7.0f} rps  {m.rps / ping.rps:5.3f}x /ping  p50 {max(m.p50):6.1f} ms  "
            f"p99 {max(m.p99):6.1f} ms  server CPU {m.cpu_ms:5.2f} ms/request ({ping.cpu_ms / m.cpu_ms:5.3f}x /ping)"
            + (f", of which database {m.database_cpu_ms:4.2f} ms" if database else "")
            + f"  ({m.requests} requests, {m.not_ok} not 200)"
        )
    not_ok = sum(m.not_ok for m in results.values())
    if check is None:
        print(f"answers: {len(acknowledged)} acknowledged, none stored (the floor stops before the quiz's work); "
              f"worker CPU {worker_cpu:.1f} s; load average after {os.getloadavg()[0]:.1f}")  # fmt: skip
        errors = not_ok
        outcome = f"floor=1 errors={errors}"
    else:
        print(
            f"answers: {len(acknowledged)} acknowledged; stored but not acknowledged {check.unacknowledged_stored} "
            f"(wrk stops with answers in flight); states over max_attempts {check.over_max}; states whose attempts "
            f"differ from their counted rows {check.state_mismatch}; worker CPU {worker_cpu:.1f} s; "
            f"load average after {os.getloadavg()[0]:.1f}"
        )
        errors = not_ok + check.over_max + check.state_mismatch
        outcome = f"lost={check.lost} dup={check.dup} errors={errors}"
    page, answer = results["page/light"], results["answer/light"]
    print(
        f"ping_rps={ping.rps:.0f} page_rps={page.rps:.0f} page_ratio={page.rps / ping.rps:.3f} "
        f"answer_rps={answer.rps:.0f} answer_ratio={answer.rps / ping.rps:.3f} "
        f"page_p99_ms={max(page.p99):.1f} answer_p50_ms={max(answer.p50):.1f} answer_p99_ms={max(answer.p99):.1f} "
        f"heavy_page={results['page/heavy'].rps / page.rps:.2f} "
        f"heavy_answer={results['answer/heavy'].rps / answer.rps:.2f} "
        f"page_cpu_ratio={ping.cpu_ms / page.cpu_ms:.3f} answer_cpu_ratio={ping.cpu_ms / answer.cpu_ms:.3f} "
        f"heavy_page_cpu={results['page/heavy'].cpu_ms / page.cpu_ms:.2f} "
        f"heavy_answer_cpu={results['answer/heavy'].cpu_ms / answer.cpu_ms:.2f} "
        f"page_cpu_ms={page.cpu_ms:.2f} answer_cpu_ms={answer.cpu_ms:.2f} ping_cpu_ms={ping.cpu_ms:.2f} {outcome}"
    )
    lost_or_dup = check is not None and (check.lost > 0 or check.dup > 0)
    return 1 if errors > 0 or lost_or_dup else 0


def run_profile(args: argparse.Namespace) -> int:
    """The week page and the JSON answer in-process, under pyinstrument: the application's share of the time."""
    from pyinstrument import Profiler

    from quizserver import create_app
    from quizserver.extensions import db

    with tempfile.TemporaryDirectory(prefix="quiz-profile-") as tmp, fresh_database(Path(tmp)) as url:
        (student,) = prepare(url, 1, args.profile_history)
        app = create_app({"ENV": "testing", "DATABASE_URL": url, "ANSWER_LIMIT": UNLIMITED_ANSWERS})
        client = app.test_client()
        client.post("/login", data={"email": student.email, "password": PASSWORD, "csrf_token": csrf_token(client)})
        csrf = csrf_token(client, f"/weeks/{WEEK}")
        rng = random.Random(0)

        def answer() -> None:
            qid = rng.choice(sorted(student.keys))
            form = [
                ("csrf_token", csrf),
                ("token", secrets.token_urlsafe(16)),
                *answer_fields(qid, student.keys[qid], rng.choices(KINDS, KIND_WEIGHTS)[0], rng),
            ]
            data: dict[str, Any] = {}
            for name, value in form:
                data.setdefault(name, []).append(value)
            reply = client.post(f"/weeks/{WEEK}/{qid}/answer", data=data, headers={"Accept": "application/json"})
            assert reply.status_code == 200, reply.status_code

        def week_page() -> None:
            assert client.get(f"/weeks/{WEEK}").status_code == 200

        for name, action in (("week page", week_page), ("JSON answer", answer)):
            for _ in range(50):
                action()
            cpu = time.process_time()
            for _ in range(args.profile_requests):
                action()
            print(f"{name}: {1000 * (time.process_time() - cpu) / args.profile_requests:.2f} ms CPU each, in-process")
            if args.no_profiler:
                continue
            profiler = Profiler(interval=0.0002)
            started = time.perf_counter()
            with profiler:
                for _ in range(args.profile_requests):
                    action()
            elapsed = time.perf_counter() - started
            print(profiler.output_text(unicode=False, color=False, show_all=False))
            print(
                f"{args.profile_requests} x {name} in-process: "
                f"{1000 * elapsed / args.profile_requests:.2f} ms each (with the profiler on)"
            )
        with app.app_context():
            db.engine.dispose()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time of each phase, in all rounds")
    parser.add_argument("--rounds", type=int, default=2, help="the phases alternate this many times")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--students", type=int, default=64, help="students in each cohort")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--floor", action="store_true",
        help="serve bench/floor.py: the page and the answer stop before the quiz's own work (nothing is stored)",
    )  # fmt: skip
    parser.add_argument("--profile", action="store_true", help="profile the page and the JSON answer instead")
    parser.add_argument("--profile-requests", type=int, default=500)
    parser.add_argument("--no-profiler", action="store_true", help="with --profile: only the CPU time per request")
    parser.add_argument("--profile-history", type=int, default=LIGHT, help="the profiled student's earlier answers")
    args = parser.parse_args()
    return run_profile(args) if args.profile else run_load(args)


if __name__ == "__main__":
    sys.exit(main())
