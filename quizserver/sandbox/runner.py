"""The parent side of the sandbox: a warm worker process, one JSON line per job, restarted when it dies.

The worker runs in the bubblewrap jail (quizserver.sandbox.jail) unless QUIZ_SANDBOX=unconfined.
The parent never unpickles anything from the worker and enforces a wall-clock limit on every job on top
of the worker's own CPU and memory limits.
"""
from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess  # nosec B404
import sys
import threading
import time
import weakref
from collections.abc import Sequence
from typing import Any

from quizserver.sandbox import jail
from quizserver.sandbox.limits import Limits
from quizserver.sandbox.policy import AuthorError

__all__ = ["Limits", "Runner", "get_runner", "run_unrestricted", "start_unrestricted", "worker_command",
           "worker_environment"]

STARTUP_SECONDS = 30.0
UNRESTRICTED_OPEN_FILES = 32
DEFAULT_LIMITS = Limits()
_PACKAGE_DIR = jail.PACKAGE_DIR
_NUMPY_SITE = str(jail.numpy_site())

# Bare stand-ins for the quizserver and quizserver.bank packages: their __init__ modules load Flask,
# SQLAlchemy and YAML, which the worker does not need (2 s of start-up) and should not hold. The jail
# runs the real interpreter rather than a virtualenv's link to it, so numpy's folder may be missing.
_PACKAGES_BOOTSTRAP = f"""\
import sys, types
for name, path in (("quizserver", {str(_PACKAGE_DIR)!r}), ("quizserver.bank", {str(_PACKAGE_DIR / "bank")!r})):
    package = types.ModuleType(name)
    package.__path__ = [path]
    sys.modules[name] = package
if {_NUMPY_SITE!r} not in sys.path:
    sys.path.append({_NUMPY_SITE!r})
"""
WORKER_BOOTSTRAP = _PACKAGES_BOOTSTRAP + """\
from quizserver.sandbox.worker import main
main(sys.argv[1:])
"""
# Tests only: the whole of Python, under the worker's jail and limits (see start_unrestricted).
UNRESTRICTED_BOOTSTRAP = _PACKAGES_BOOTSTRAP + """\
from quizserver.sandbox.limits import apply_limits
memory_mb, processes, open_files, cpu_seconds, code = sys.argv[1:]
apply_limits(int(memory_mb), int(processes), int(open_files), float(cpu_seconds))
exec(compile(code, "<unrestricted>", "exec"), {"__name__": "__main__"})
"""


def worker_environment() -> dict[str, str]:
    """The worker's whole environment: nothing inherited (it runs in isolated mode, -I)."""
    return {
        "LC_ALL": "C.UTF-8",
        # one BLAS thread keeps the address space (RLIMIT_AS) and CPU accounting predictable
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def worker_command(limits: Limits) -> list[str]:
    """-I: ignore PYTHON* variables, user site-packages and the working directory; -B: write no .pyc.

    Wrapped in the jail when it is in use; raises jail.JailUnavailable where the jail is required.
    """
    arguments = ["-I", "-B", "-c", WORKER_BOOTSTRAP,
                 "--memory-mb", str(limits.memory_mb), "--processes", str(limits.processes)]
    return _python_command(arguments)


def _python_command(arguments: Sequence[str]) -> list[str]:
    if jail.in_use():
        return jail.command([jail.python_executable(), *arguments], worker_environment())
    return [sys.executable, *arguments]


def _spawn(command: list[str]) -> subprocess.Popen:
    """Start a sandbox process as the leader of its own process group, with nothing inherited."""
    # a fixed argv (bwrap, this interpreter and our own bootstrap), no shell
    return subprocess.Popen(  # nosec B603
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,
        cwd="/",
        env=worker_environment(),
        close_fds=True,
        start_new_session=True,
    )


def _kill(proc: subprocess.Popen) -> None:
    """Kill the process group: bwrap and setpriv, whose deaths take the jail and the worker with them."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        if proc.poll() is None:
            proc.kill()


def start_unrestricted(code: str, limits: Limits = DEFAULT_LIMITS) -> subprocess.Popen:
    """Tests only: run `code` with the whole of Python (os, socket, open, subprocess) in the same jail,
    under the same limits, as the worker. Its stdin, stdout and stderr are pipes; stop it with stop_unrestricted."""
    arguments = ["-I", "-B", "-c", UNRESTRICTED_BOOTSTRAP, str(limits.memory_mb), str(limits.processes),
                 str(UNRESTRICTED_OPEN_FILES), str(limits.cpu_seconds), code]
    return _spawn(_python_command(arguments))


def stop_unrestricted(proc: subprocess.Popen) -> None:
    _kill(proc)
    proc.communicate()


def run_unrestricted(code: str, limits: Limits = DEFAULT_LIMITS) -> subprocess.CompletedProcess:
    """Tests only: start_unrestricted, wait at most limits.wall_seconds, and return what it printed."""
    proc = start_unrestricted(code, limits)
    try:
        stdout, stderr = proc.communicate(timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        _kill(proc)
        stdout, stderr = proc.communicate()
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout.decode("utf-8", "replace"),
                                       stderr.decode("utf-8", "replace"))


class _WorkerGone(Exception):
    """The worker exited or stopped answering; the job's AuthorError is built from this."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Runner:
    """Runs instructor code in a warm, restricted worker process. Thread-safe; jobs run one at a time."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._buffer = b""
        self._owner_pid = os.getpid()
        _all_runners.add(self)

    # -- public API ---------------------------------------------------------------------------------

    def generate(self, params: list[dict], require: str | None, solution: str | None, seed: int,
                 max_tries: int = 1000, *, answers: Sequence[str] = ("answer",),
                 alternatives: Sequence[str] = ()) -> dict:
        """One variant: {"seed", "params", "names", "tries"}; raises AuthorError."""
        result = self.generate_many(params, require, solution, [seed], max_tries, answers=answers,
                                    alternatives=alternatives)[0]
        if isinstance(result, AuthorError):
            raise result
        return result

    def generate_many(self, params: list[dict], require: str | None, solution: str | None,
                      seeds: list[int], max_tries: int = 1000, *, answers: Sequence[str] = ("answer",),
                      alternatives: Sequence[str] = ()) -> list[dict | AuthorError]:
        """Many variants in one round trip; each slot holds the variant or the AuthorError for that seed.

        The solution must assign every name in `answers`; a name in `alternatives` holds a list of keys."""
        seeds = [_checked_seed(seed) for seed in seeds]
        if not seeds:
            return []
        request = {"op": "generate", "params": list(params), "require": require, "solution": solution,
                   "seeds": seeds, "max_tries": int(max_tries), "answers": list(answers),
                   "alternatives": list(alternatives)}
        wall = self.limits.wall_seconds + self.limits.cpu_seconds * (len(seeds) - 1)
        try:
            reply = self._call(request, "solution", wall)
        except AuthorError as error:
            return [error] * len(seeds)
        return [AuthorError.from_dict(item["error"]) if "error" in item else item["value"]
                for item in reply["results"]]

    def careful_answers(self, solution: str, variants: list[tuple[int, dict]], trials: int, *,
                        answers: Sequence[str] | None = None,
                        alternatives: Sequence[str] = ()) -> list[list | AuthorError]:
        """For each (seed, params), the answers a careful student reaches: the solution re-run from the
        parameters as shown (4 significant digits) with every step rounded to 4 digits, then `trials`
        times with random roundings of the same size. One round trip; each slot holds the answers or
        the AuthorError for that variant."""
        if not variants:
            return []
        request: dict[str, Any] = {
            "op": "careful", "solution": solution, "trials": int(trials),
            "variants": [{"seed": _checked_seed(seed), "params": params} for seed, params in variants],
        }
        if answers is not None:  # each answer is then the dict of these names
            request |= {"answers": list(answers), "alternatives": list(alternatives)}
        wall = self.limits.wall_seconds + self.limits.cpu_seconds * ((trials + 1) * len(variants) - 1)
        try:
            reply = self._call(request, "solution", wall)
        except AuthorError as error:
            return [error] * len(variants)
        return [AuthorError.from_dict(item["error"]) if "error" in item else item["value"]
                for item in reply["results"]]

    def evaluate(self, expr: str, names: dict) -> Any:
        """The value of a Python expression over names (+ np, math), in JSON-able form."""
        return self._call({"op": "evaluate", "expr": expr, "names": names}, "expression",
                          self.limits.wall_seconds)["value"]

    def numerical_gradient(self, expr: str, names: dict, wrt: str, eps: float = 1e-6) -> Any:
        """Central finite differences of the scalar expr w.r.t. names[wrt], shaped like names[wrt]."""
        request = {"op": "gradient", "expr": expr, "names": names, "wrt": wrt, "eps": float(eps)}
        return self._call(request, "expression", self.limits.wall_seconds)["value"]

    def start(self) -> None:
        """Start the worker now rather than on the first job."""
        with self._lock:
            self._ensure_started()

    @property
    def worker_pid(self) -> int | None:
        """The worker's outermost process (bwrap when jailed): killing it stops the worker."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def close(self) -> None:
        with self._lock:
            self._stop()

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self._stop()
        except Exception:  # interpreter shutdown may have torn down what _stop uses
            pass

    # -- the worker process ---------------------------------------------------------------------------

    def _call(self, request: dict, label: str, wall_seconds: float) -> dict:
        request["cpu_seconds"] = self.limits.cpu_seconds
        line = json.dumps(request, default=_plain).encode("utf-8") + b"\n"
        with self._lock:
            self._ensure_started()
            try:
                try:
                    self._send(line)
                except _WorkerGone:
                    # it died between jobs (killed from outside); the job was never delivered, so retry once
                    self._stop()
                    self._ensure_started()
                    self._send(line)
                reply = json.loads(self._receive(wall_seconds))
            except _WorkerGone as gone:
                self._stop()
                raise self._lost_worker_error(gone.reason, label, wall_seconds) from None
        if not reply.get("ok"):
            raise AuthorError.from_dict(reply["error"])
        return reply

    def _lost_worker_error(self, reason: str, label: str, wall_seconds: float) -> AuthorError:
        if reason == "wall":
            return AuthorError(f"{label} did not finish within {wall_seconds:g} s and was stopped", "timeout")
        if reason == f"signal {signal.SIGXCPU.name}":
            return AuthorError(f"{label} exceeded its CPU time limit of {self.limits.cpu_seconds:g} s", "timeout")
        return AuthorError(f"{label} crashed the sandbox process ({reason}); it has been restarted", "crash")

    def _ensure_started(self) -> None:
        if self._owner_pid != os.getpid():
            self._abandon_after_fork()
        if self._proc is not None and self._proc.poll() is None:
            return
        self._stop()
        try:
            command = worker_command(self.limits)
        except jail.JailUnavailable as unavailable:
            raise AuthorError(f"the sandbox process could not start: {unavailable}", "crash") from None
        self._proc = _spawn(command)
        self._buffer = b""
        try:
            ready = json.loads(self._receive(STARTUP_SECONDS))
        except _WorkerGone as gone:
            detail = self._startup_output()
            self._stop()
            raise AuthorError(f"the sandbox process could not start ({gone.reason}){detail}", "crash") from None
        if not ready.get("ready"):
            self._stop()
            raise AuthorError("the sandbox process could not start (bad greeting)", "crash")
        # the worker sends nothing more to stderr once it is ready
        if self._proc.stderr is not None:
            self._proc.stderr.close()

    def _startup_output(self) -> str:
        proc = self._proc
        if proc is None or proc.stderr is None or proc.stderr.closed:
            return ""
        _kill(proc)
        proc.wait()
        text = proc.stderr.read().decode("utf-8", "replace").strip()
        return f": {text.splitlines()[-1]}" if text else ""

    def _send(self, line: bytes) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            raise _WorkerGone("exited")
        assert proc.stdin is not None  # started with stdin=PIPE
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(proc.stdin.fileno(), view):]
        except (BrokenPipeError, OSError):
            raise _WorkerGone("exited") from None

    def _receive(self, wall_seconds: float) -> bytes:
        proc = self._proc
        if proc is None or proc.stdout is None:
            raise _WorkerGone("exited")
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + wall_seconds
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _WorkerGone("wall")
            readable, _, _ = select.select([fd], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise _WorkerGone(self._exit_reason())
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _exit_reason(self) -> str:
        proc = self._proc
        if proc is None:
            return "exited"
        try:
            code = proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "stopped answering"
        if code > 128:
            code = 128 - code  # bwrap exits with 128 + N when the worker died of signal N
        if code < 0:
            try:
                return f"signal {signal.Signals(-code).name}"
            except ValueError:
                return f"signal {-code}"
        return f"exit status {code}"

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        self._buffer = b""
        if proc is None:
            return
        if self._owner_pid == os.getpid():
            _kill(proc)
            proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()

    def _abandon_after_fork(self) -> None:
        """In a forked child: drop the parent's worker without touching it, and start afresh."""
        proc, self._proc = self._proc, None
        if proc is not None:
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
            proc.returncode = 0  # stop Popen.__del__ from tracking a process that is not our child
        self._buffer = b""
        self._owner_pid = os.getpid()


def _plain(value: Any) -> Any:
    """Let callers pass numpy values in names; the worker receives them as lists and numbers."""
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return tolist()
    raise TypeError(f"{type(value).__name__} cannot be sent to the sandbox")


def _checked_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"a variant seed must be a non-negative int, got {seed!r}")
    return seed


_all_runners: weakref.WeakSet[Runner] = weakref.WeakSet()
_shared_runner: Runner | None = None
_shared_lock = threading.Lock()


def get_runner() -> Runner:
    """The process-wide warm runner; a forked child (gunicorn) gets its own on first use."""
    global _shared_runner
    with _shared_lock:
        if _shared_runner is None or _shared_runner._owner_pid != os.getpid():
            _shared_runner = Runner()
        return _shared_runner


def _after_fork_in_child() -> None:
    global _shared_lock
    # a lock held by another thread at fork time would stay held forever in the child
    _shared_lock = threading.Lock()
    for runner in list(_all_runners):
        runner._lock = threading.Lock()
        runner._abandon_after_fork()


def _close_all() -> None:
    for runner in list(_all_runners):
        if runner._owner_pid == os.getpid():
            runner._stop()


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_close_all)
