"""Instructions per request, counted by callgrind: GET /ping, the week page and a JSON answer, in-process.

    python bench/instructions.py                     # SQLite in a temporary directory
    QUIZ_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres python bench/instructions.py
    python bench/instructions.py --history 300   # a student with 300 earlier answers (default: none)

Time on a shared machine drifts by tens of percent between runs; an instruction count repeats to a
fraction of a percent, so a change of a few percent in the app's own work shows (docs/deploy.md). The
requests go straight to the WSGI app, as bench/load.py's wrk script sends them (the week page; answers
posted as quiz.js posts them: URL-encoded, Accept: application/json, a fresh form token each, the same mix
of correct, incorrect and invalid answers), with no gunicorn and no network. Counted: this process's
user-space instructions, the driver's included; not the kernel's, not the database server's.
Needs valgrind (Debian's package).
Last line: ping_kinstr=<n> page_kinstr=<n> answer_kinstr=<n> page_over_ping=<n> answer_over_ping=<n> history=<n>
"""
from __future__ import annotations

import argparse
import io
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402 - bench/load.py: the same database, student and answers as the load test

INNER = "QUIZ_INSTRUCTIONS_INNER"
PHASES = ("ping", "page", "answer")
WARM_UP = 60


def measure(requests: int, history: int) -> None:
    """Under callgrind: set up, warm up uncounted, then count each phase into its own dump."""

    def callgrind(*arguments: str) -> None:
        subprocess.run(["callgrind_control", *arguments, str(os.getpid())], check=True, capture_output=True)  # noqa: S603, S607

    with tempfile.TemporaryDirectory(prefix="quiz-instructions-") as tmp, load.fresh_database(Path(tmp)) as url:
        (student,) = load.prepare(url, 1, history)
        from werkzeug.test import EnvironBuilder

        from quizserver import create_app
        from quizserver.extensions import db

        app = create_app({"ENV": "testing", "DATABASE_URL": url, "ANSWER_LIMIT": load.UNLIMITED_ANSWERS})
        client = app.test_client()
        client.post(
            "/login", data={"email": student.email, "password": load.PASSWORD, "csrf_token": load.csrf_token(client)}
        )
        csrf = load.csrf_token(client, f"/weeks/{load.WEEK}")
        cookie = client.get_cookie("session")
        headers = {"Cookie": f"session={cookie.value}", "Host": "127.0.0.1"}

        def environ(
            method: str, path: str, accept: str, form: list[tuple[str, str]] | None = None
        ) -> tuple[dict[str, Any], bytes]:
            data: dict[str, list[str]] = {}
            for name, value in form or []:
                data.setdefault(name, []).append(value)
            builder = EnvironBuilder(
                method=method, path=path, headers={**headers, "Accept": accept}, environ_base=client.environ_base,
                data=data or None,
            )  # fmt: skip
            built = builder.get_environ()
            return built, built["wsgi.input"].read()

        rng = random.Random(0)
        answers = []
        for _ in range(WARM_UP + requests):
            question_id = rng.choice(sorted(student.keys))
            kind = rng.choices(load.KINDS, load.KIND_WEIGHTS)[0]
            form = [
                ("csrf_token", csrf),
                ("token", secrets.token_urlsafe(16)),
                *load.answer_fields(question_id, student.keys[question_id], kind),
            ]
            answers.append(environ("POST", f"/weeks/{load.WEEK}/{question_id}/answer", "application/json", form))
        ping = environ("GET", "/ping", "*/*")
        page = environ("GET", f"/weeks/{load.WEEK}", "text/html")
        status: list[str] = []

        def call(request: tuple[dict[str, Any], bytes]) -> None:
            env, body = request
            response = app({**env, "wsgi.input": io.BytesIO(body)}, lambda code, *_: status.append(code))
            for _ in response:
                pass
            response.close()

        for request in answers[:WARM_UP]:
            call(request)
        for _ in range(WARM_UP):
            call(ping)
            call(page)
        callgrind("--zero")
        callgrind("--instr=on")
        for _ in range(requests):
            call(ping)
        callgrind("--dump=ping")
        callgrind("--zero")
        for _ in range(requests):
            call(page)
        callgrind("--dump=page")
        callgrind("--zero")
        for request in answers[WARM_UP:]:
            call(request)
        callgrind("--dump=answer")
        callgrind("--instr=off")
        wrong = [code for code in status if not code.startswith("200")]
        if wrong:
            raise SystemExit(f"{len(wrong)} requests failed, e.g. {wrong[0]}")
        with app.app_context():
            db.engine.dispose()


def counted(dump: Path) -> tuple[str, int]:
    """The phase a callgrind dump was made for and its instruction total."""
    text = dump.read_text()
    phase = re.search(r"^desc: Trigger: .*?(\w+)\)?$", text, re.MULTILINE)
    total = re.search(r"^(?:summary|totals): (\d+)", text, re.MULTILINE)
    if phase is None or total is None:
        raise ValueError(f"{dump}: not a callgrind dump")
    return phase.group(1), int(total.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="counted requests of each kind")
    parser.add_argument("--history", type=int, default=0, help="the student's earlier answers (load.py: 4 and 300)")
    args = parser.parse_args()
    if os.environ.get(INNER):
        measure(args.requests, args.history)
        return 0
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind is not installed: apt-get install valgrind", file=sys.stderr)
        return 2
    print(
        f"database: {os.environ.get('QUIZ_DATABASE_URL', 'sqlite').split(':', 1)[0]}; "
        f"{args.requests} requests of each kind under callgrind; a student with {args.history} earlier answers",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="quiz-callgrind-") as out:
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}/callgrind.%p",
            sys.executable, __file__, "--requests", str(args.requests), "--history", str(args.history),
        ]  # fmt: skip
        run = subprocess.run(command, env={**os.environ, INNER: "1"}, capture_output=True, text=True, check=False)  # noqa: S603
        if run.returncode != 0:
            print(run.stdout[-2000:], run.stderr[-4000:], sep="\n", file=sys.stderr)
            return run.returncode
        totals = dict(counted(dump) for dump in Path(out).glob("callgrind.*.*"))
    if set(totals) != set(PHASES):
        print(f"expected dumps for {PHASES}, found {sorted(totals)}", file=sys.stderr)
        return 1
    ping, page, answer = (totals[phase] / args.requests / 1000 for phase in PHASES)
    print(
        f"ping_kinstr={ping:.0f} page_kinstr={page:.0f} answer_kinstr={answer:.0f} "
        f"page_over_ping={page / ping:.2f} answer_over_ping={answer / ping:.2f} history={args.history}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
