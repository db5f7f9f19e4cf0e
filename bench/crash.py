"""A gunicorn worker killed with SIGKILL in the middle of the deadline load: nothing acknowledged is lost.

    python bench/crash.py                    # SQLite in a temporary directory
    QUIZ_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres python bench/crash.py

The set-up and server are bench/load.py's; its Python clients post answers as quiz.js does (JSON reply, HTTP
200 acknowledges), since a dropped request must be re-sent with its token. While 32 clients answer, one worker is killed
every few seconds (the first after a third of the run); gunicorn starts a replacement. A client whose
connection drops sends the same form (same idempotency token) once more, as a browser reload would.
Afterwards every acknowledged submission must be in the attempts table exactly once.
Last line: killed=<n> lost=<n> dup=<n>
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import compare, drive, fresh_database, gunicorn, log_in_all, prepare, submit_once  # noqa: E402


def kill_workers(server, kills: int, first_after: float, every: float, stop: threading.Event) -> list[int]:
    """SIGKILL one worker at a time, each only after gunicorn has replaced the previous one."""
    killed: list[int] = []
    if stop.wait(first_after):
        return killed
    while len(killed) < kills and not stop.is_set():
        workers = [pid for pid in server.worker_pids() if pid not in killed]
        if len(workers) >= 2:
            victim = workers[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
            print(f"killed worker {victim} at {time.strftime('%H:%M:%S')}", flush=True)
            if stop.wait(every):
                break
        elif stop.wait(0.1):
            break
    return killed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--kills", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="quiz-crash-") as tmp, fresh_database(Path(tmp)) as url:
        print(
            f"database: {url.split(':', 1)[0]}; {args.clients} clients; {args.seconds:g} s; {args.kills} kills",
            flush=True,
        )
        students = prepare(url, args.clients)
        with gunicorn(url, Path(tmp), workers=2) as server:
            browsers = log_in_all(server.port, students)
            stop = threading.Event()
            killed: list[int] = []
            killer = threading.Thread(
                target=lambda: killed.extend(
                    kill_workers(server, args.kills, args.seconds / 3, args.seconds / (args.kills + 2), stop)
                )
            )
            killer.start()
            tallies, _ = drive(browsers, submit_once, args.seconds, retry=True)
            stop.set()
            killer.join()
            replaced = len(server.worker_pids()) == 2 and not set(server.worker_pids()) & set(killed)
        acknowledged = [t for tally in tallies for t in tally.acknowledged]
        check = compare(url, acknowledged)
    dropped = sum(t.errors for t in tallies)
    print(
        f"{len(acknowledged)} acknowledged; {dropped} requests dropped or refused while a worker died "
        f"(re-sent once with the same token); workers replaced: {replaced}; "
        f"stored but not acknowledged {check.unacknowledged_stored}; "
        f"states whose attempts differ from their rows {check.state_mismatch}"
    )
    print(f"killed={len(killed)} lost={check.lost} dup={check.dup}")
    return 0 if killed and replaced and check.lost == check.dup == check.state_mismatch == check.over_max == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
