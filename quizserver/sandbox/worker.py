"""The sandbox worker process: runs instructor code for the Runner, one JSON line in, one JSON line out.

Started by quizserver.sandbox.runner, normally inside the bubblewrap jail (see WORKER_BOOTSTRAP there;
`python -m quizserver.sandbox.worker --memory-mb N` works too, but loads the whole app package first).
It imports everything it will ever need, then locks itself down (memory, file size, process and
descriptor limits; an unprivileged user when started as root outside the jail) and serves requests
until its stdin closes.

Requests: {"op": "generate", "params", "require", "solution", "seeds", "max_tries", "cpu_seconds"}
          {"op": "evaluate", "expr", "names", "cpu_seconds"}
          {"op": "gradient", "expr", "names", "wrt", "eps", "cpu_seconds"}
          {"op": "careful", "solution", "variants": [{"seed", "params"}], "trials", "cpu_seconds"}
Replies:  {"ok": true, "results": [...]} for generate and careful (each {"value": ...} or {"error": ...}),
          {"ok": true, "value": ...} otherwise, or {"ok": false, "error": {"kind", "message", "line"}}.
"""
from __future__ import annotations

import argparse
import builtins
import copy
import functools
import json
import math
import os
import resource
import signal
import sys
import warnings
from types import CodeType, TracebackType
from typing import Any, Literal

import numpy as np
import numpy.fft
import numpy.linalg
import numpy.ma  # polyfit imports it lazily; nothing can be imported once the worker is locked down
import numpy.random

from quizserver.bank.params import draw_params
from quizserver.sandbox.limits import apply_limits
from quizserver.sandbox.policy import (
    ALLOWED_BUILTINS,
    NUMPY_ALLOWED,
    NUMPY_SUBMODULES,
    AuthorError,
    check_code,
)
from quizserver.sandbox.rounding import ROUND_NAME, careful_code, rounders, shown_params

RECURSION_LIMIT = 400
UNPRIVILEGED_ID = 65534  # "nobody"
MESSAGE_LIMIT = 300


class CpuTimeExceeded(BaseException):
    """Raised by the SIGXCPU/SIGPROF handler; not an Exception, so author `except Exception` cannot hide it."""


class ForbiddenAttribute(AttributeError):
    """A module proxy was asked for something outside its allowlist."""


class ModuleProxy:
    """Read-only stand-in for a module that exposes only allowlisted attributes."""

    __slots__ = ("_label", "_members")

    def __init__(self, label: str, members: dict[str, Any]) -> None:
        object.__setattr__(self, "_label", label)
        object.__setattr__(self, "_members", members)

    def __getattr__(self, name: str) -> Any:
        members = object.__getattribute__(self, "_members")
        if name in members:
            return members[name]
        label = object.__getattribute__(self, "_label")
        raise ForbiddenAttribute(f"{label}.{name} is not available")

    def __setattr__(self, name: str, value: Any) -> None:
        raise ForbiddenAttribute(f"{object.__getattribute__(self, '_label')} cannot be changed")

    def __delattr__(self, name: str) -> None:
        raise ForbiddenAttribute(f"{object.__getattribute__(self, '_label')} cannot be changed")

    def __dir__(self) -> list[str]:
        return sorted(object.__getattribute__(self, "_members"))

    def __repr__(self) -> str:
        return f"<{object.__getattribute__(self, '_label')}>"


def _members(module: Any, names: frozenset[str]) -> dict[str, Any]:
    return {name: getattr(module, name) for name in sorted(names) if hasattr(module, name)}


def build_numpy_proxy() -> ModuleProxy:
    members = _members(np, NUMPY_ALLOWED)
    for sub, names in NUMPY_SUBMODULES.items():
        members[sub] = ModuleProxy(f"np.{sub}", _members(getattr(np, sub), names))
    return ModuleProxy("np", members)


def build_math_proxy() -> ModuleProxy:
    return ModuleProxy("math", {name: getattr(math, name) for name in dir(math) if not name.startswith("_")})


def _ignore_print(*args: Any, **kwargs: Any) -> None:
    return None


def _loaded_numpy_only(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
    """numpy's own C code imports its helpers (ndarray.mean -> numpy._core._methods) through the
    caller's builtins; hand back modules numpy already loaded, and nothing else."""
    root = name.partition(".")[0]
    module = sys.modules.get(name)
    if level != 0 or root != "numpy" or module is None:
        raise ImportError(f"import of {name!r} is not allowed")
    return module if fromlist else sys.modules[root]


def build_builtins() -> dict[str, Any]:
    safe = {name: getattr(builtins, name) for name in ALLOWED_BUILTINS}
    safe["print"] = _ignore_print  # author print() has nowhere to go; it must not touch the protocol
    # Author code cannot name __import__ (the AST policy refuses dunder names); only C code reaches it.
    safe["__import__"] = _loaded_numpy_only
    return safe


NP = build_numpy_proxy()
MATH = build_math_proxy()
SAFE_BUILTINS = build_builtins()
_running_author_code = False


def _on_cpu_limit(signum: int, frame: Any) -> None:
    if _running_author_code:
        raise CpuTimeExceeded


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class AuthorJob:
    """The CPU limit and the translation of exceptions into AuthorError for one job."""

    def __init__(self, label: str, cpu_seconds: float, memory_mb: int) -> None:
        self.label = label
        self.cpu_seconds = cpu_seconds
        self.memory_mb = memory_mb

    def __enter__(self) -> AuthorJob:
        global _running_author_code
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = math.ceil(_cpu_used() + self.cpu_seconds)  # RLIMIT_CPU counts whole seconds
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
        # the profiling timer also counts CPU time, but to the millisecond rather than the second
        signal.setitimer(signal.ITIMER_PROF, self.cpu_seconds)
        _running_author_code = True
        return self

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: TracebackType | None) -> Literal[False]:
        global _running_author_code
        _running_author_code = False
        signal.setitimer(signal.ITIMER_PROF, 0)
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
        if exc is None or isinstance(exc, AuthorError):
            return False
        raise self.translate(exc, tb) from None

    def translate(self, exc: BaseException, tb: TracebackType | None) -> AuthorError:
        label = self.label
        line = _author_line(tb, f"<{label}>")
        at = f" (line {line})" if line else ""
        if isinstance(exc, CpuTimeExceeded):
            return AuthorError(f"{label} exceeded its CPU time limit of {self.cpu_seconds:g} s", "timeout", line)
        if isinstance(exc, MemoryError):
            return AuthorError(f"{label} exceeded its memory limit of {self.memory_mb} MB", "memory", line)
        if isinstance(exc, RecursionError):
            return AuthorError(f"{label} failed: recursion too deep{at}", "runtime", line)
        if isinstance(exc, ForbiddenAttribute):
            return AuthorError(f"{label} used something not allowed: {exc}{at}", "forbidden", line)
        detail = _short(str(exc))
        text = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        return AuthorError(f"{label} raised {text}{at}", "runtime", line)


def _author_line(tb: TracebackType | None, filename: str) -> int | None:
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _short(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def to_jsonable(value: Any) -> tuple[bool, Any]:
    """(True, plain value) for numbers, bools, strings and numeric arrays; (False, None) for anything else."""
    if isinstance(value, (bool, np.bool_)):
        return True, bool(value)
    if isinstance(value, (int, np.integer)):
        value = int(value)
        if value.bit_length() <= 64:
            return True, value
        try:
            return True, float(value)  # json (and int-to-str) refuse very long ints
        except OverflowError:
            return False, None
    if isinstance(value, (float, np.floating)):
        return True, float(value)
    if isinstance(value, str):
        return True, value
    if isinstance(value, (list, tuple)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = np.asarray(value)
        except (ValueError, TypeError):
            return False, None
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return True, value.tolist()
    return False, None


def from_jsonable(names: dict[str, Any]) -> dict[str, Any]:
    """Lists arrive from JSON; the code expects arrays."""
    converted = {}
    for name, value in names.items():
        if isinstance(value, list):
            try:
                value = np.asarray(value)
            except ValueError:
                pass  # ragged lists stay lists
        converted[name] = value
    return converted


def _namespace(values: dict[str, Any]) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__builtins__": SAFE_BUILTINS, "np": NP, "math": MATH}
    namespace.update(values)
    return namespace


def run_checked(code: CodeType, namespace: dict[str, Any]) -> Any:
    """Run code compiled by check_code (an expression's value, or None for statements)."""
    # policy-checked code, restricted builtins, proxied modules, in this locked-down process
    return eval(code, namespace)  # nosec B307


@functools.lru_cache(maxsize=256)
def _compiled(source: str, label: str, mode: str, known_names: frozenset[str]) -> CodeType:
    return check_code(source, label=label, mode=mode, known_names=known_names)


@functools.lru_cache(maxsize=64)
def _careful_compiled(source: str, known_names: frozenset[str]) -> CodeType:
    _compiled(source, "solution", "exec", known_names)  # the policy check, before any rewriting
    return careful_code(source)


def _truth(value: Any) -> bool:
    if isinstance(value, np.ndarray) and value.size != 1:
        raise AuthorError(
            f"require must be True or False, got an array of shape {value.shape}; use np.all(...) or np.any(...)",
            "require",
        )
    return bool(value)


def _answer_names(request: dict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names the solution must assign (by default `answer`) and those among them that list keys."""
    answers = tuple(str(name) for name in request.get("answers", ["answer"]))
    alternatives = tuple(str(name) for name in request.get("alternatives", []) if name in answers)
    return answers, alternatives


def _alternatives(name: str, value: Any) -> list[Any]:
    if not isinstance(value, (list, tuple)) or not value:
        raise AuthorError(f"{name} must be a non-empty list of acceptable keys (any_of), got "
                          f"{type(value).__name__}", "result")
    keys = []
    for item in value:
        ok, plain = to_jsonable(item)
        if not ok or isinstance(plain, (str, bool)):
            raise AuthorError(f"each key in {name} must be a number or an array of numbers, got "
                              f"{type(item).__name__}", "result")
        keys.append(plain)
    return keys


class Worker:
    def __init__(self, memory_mb: int) -> None:
        self.memory_mb = memory_mb

    def handle(self, request: dict) -> dict:
        op = request.get("op")
        cpu_seconds = float(request.get("cpu_seconds", 2.0))
        try:
            if op == "generate":
                return {"ok": True, "results": self.generate(request, cpu_seconds)}
            if op == "evaluate":
                return {"ok": True, "value": self.evaluate(request, cpu_seconds)}
            if op == "gradient":
                return {"ok": True, "value": self.gradient(request, cpu_seconds)}
            if op == "careful":
                return {"ok": True, "results": self.careful(request, cpu_seconds)}
        except AuthorError as error:
            return {"ok": False, "error": error.as_dict()}
        return {"ok": False, "error": {"kind": "crash", "message": f"unknown sandbox request {op!r}"}}

    def generate(self, request: dict, cpu_seconds: float) -> list[dict]:
        specs = request.get("params") or []
        names = frozenset(spec["name"] for spec in specs)
        require = request.get("require")
        solution = request.get("solution")
        max_tries = int(request.get("max_tries", 1000))
        self.answers = _answer_names(request)
        try:
            require_code = _compiled(require, "require", "eval", names) if require is not None else None
            solution_code = _compiled(solution, "solution", "exec", names) if solution is not None else None
        except AuthorError as error:
            return [{"error": error.as_dict()} for _ in request["seeds"]]
        results: list[dict] = []
        timed_out: AuthorError | None = None
        for seed in request["seeds"]:
            if timed_out is not None:
                # one variant that needs the whole CPU budget means the rest would too; do not wait for them
                results.append({"error": timed_out.as_dict()})
                continue
            try:
                results.append({"value": self.generate_one(specs, require_code, solution_code, seed,
                                                           max_tries, cpu_seconds)})
            except AuthorError as error:
                results.append({"error": error.as_dict()})
                if error.kind == "timeout":
                    timed_out = AuthorError(f"not run: {error.message} (seed {seed})", "not_run", error.line)
        return results

    def generate_one(self, specs, require_code, solution_code, seed: int, max_tries: int,
                     cpu_seconds: float) -> dict:
        rng = np.random.default_rng(seed)
        with AuthorJob("params", cpu_seconds, self.memory_mb) as job:
            for tries in range(1, max_tries + 1):  # noqa: B007 (the count of draws is returned below)
                job.label = "params"
                try:
                    params = draw_params(specs, rng)
                except ValueError as exc:
                    raise AuthorError(f"params could not be drawn: {exc}", "runtime") from None
                if require_code is None:
                    break
                job.label = "require"
                held = run_checked(require_code, _namespace(params))
                if _truth(held):
                    break
            else:
                raise AuthorError(f"require did not hold in {max_tries} draws", "require")
            plain_params = {name: to_jsonable(value)[1] for name, value in params.items()}
            if solution_code is None:
                return {"seed": seed, "params": plain_params, "names": dict(plain_params), "tries": tries}
            job.label = "solution"
            namespace = _namespace(params)
            run_checked(solution_code, namespace)
            names = self.solution_names(namespace)
        return {"seed": seed, "params": plain_params, "names": names, "tries": tries}

    answers: tuple[tuple[str, ...], tuple[str, ...]] = (("answer",), ())

    def solution_names(self, namespace: dict[str, Any]) -> dict[str, Any]:
        """The names the solution left that JSON can hold; every answer name must be among them.

        An answer name listed as alternatives holds a list of keys (`any_of`), which may differ in shape."""
        required, alternatives = self.answers
        for name in required:
            if name not in namespace:
                raise AuthorError(f"solution did not assign `{name}`", "result")
        names = {}
        for name, value in namespace.items():
            if name in ("__builtins__", "np", "math"):
                continue
            if name in alternatives:
                names[name] = _alternatives(name, value)
                continue
            ok, plain = to_jsonable(value)
            if ok:
                names[name] = plain
            elif name in required:
                raise AuthorError(
                    f"{name} must be a number, an array of numbers or a string, got {type(value).__name__}",
                    "result",
                )
        return names

    def careful(self, request: dict, cpu_seconds: float) -> list[dict]:
        """Per variant, the answers of the solution re-run from the shown parameters with every step
        rounded to 4 significant digits: once as written down, then with `trials` random roundings."""
        solution = request["solution"]
        trials = int(request.get("trials", 0))
        self.answers = _answer_names(request)
        by_name = "answers" in request  # the caller builds the key from the answer names
        results: list[dict] = []
        for variant in request["variants"]:
            shown = shown_params(from_jsonable(variant["params"]))
            try:
                code = _careful_compiled(solution, frozenset(shown))
                answers = []
                # one limit for all the runs of a variant: setting it costs more than a short solution
                with AuthorJob("solution", cpu_seconds * (trials + 1), self.memory_mb):
                    for rounder in rounders(int(variant["seed"]), trials):
                        # a fresh copy each time: the solution may change its parameters in place
                        namespace = _namespace({name: copy.copy(value) for name, value in shown.items()})
                        namespace[ROUND_NAME] = rounder
                        run_checked(code, namespace)
                        answered = {name: namespace[name] for name in self.answers[0] if name in namespace}
                        named = self.solution_names(answered)
                        answers.append(named if by_name else named["answer"])
                results.append({"value": answers})
            except AuthorError as error:
                results.append({"error": error.as_dict()})
        return results

    def evaluate(self, request: dict, cpu_seconds: float) -> Any:
        names = from_jsonable(request.get("names") or {})
        code = _compiled(request["expr"], "expression", "eval", frozenset(names))
        with AuthorJob("expression", cpu_seconds, self.memory_mb):
            value = run_checked(code, _namespace(names))
        ok, plain = to_jsonable(value)
        if not ok:
            raise AuthorError(f"expression value must be a number or an array of numbers, got "
                              f"{type(value).__name__}", "result")
        return plain

    def gradient(self, request: dict, cpu_seconds: float) -> Any:
        names = from_jsonable(request.get("names") or {})
        wrt = request["wrt"]
        eps = float(request.get("eps", 1e-6))
        if wrt not in names:
            raise AuthorError(f"cannot take the gradient with respect to {wrt}: no such name", "result")
        code = _compiled(request["expr"], "expression", "eval", frozenset(names))
        try:
            point = np.array(names[wrt], dtype=np.float64)
        except (TypeError, ValueError):
            raise AuthorError(f"cannot take the gradient with respect to {wrt}: it is not numeric", "result") \
                from None
        scalar_wrt = point.ndim == 0
        grad = np.zeros_like(point)
        flat_point = point.reshape(-1)
        flat_grad = grad.reshape(-1)
        with AuthorJob("expression", cpu_seconds, self.memory_mb):
            for i in range(flat_point.size):
                original = flat_point[i]
                flat_point[i] = original + eps
                above = self._scalar(code, names, wrt, point, scalar_wrt)
                flat_point[i] = original - eps
                below = self._scalar(code, names, wrt, point, scalar_wrt)
                flat_point[i] = original
                flat_grad[i] = (above - below) / (2 * eps)
        return float(grad) if scalar_wrt else grad.tolist()

    @staticmethod
    def _scalar(code, names: dict, wrt: str, point: np.ndarray, scalar_wrt: bool) -> float:
        values = dict(names)
        # a fresh copy each time, so code that modifies its inputs in place cannot skew the next difference
        values[wrt] = float(point) if scalar_wrt else point.copy()
        value = run_checked(code, _namespace(values))
        if np.size(value) != 1 or not isinstance(value, (int, float, np.number, np.ndarray, np.bool_)):
            shape = np.shape(value) if isinstance(value, np.ndarray) else type(value).__name__
            raise AuthorError(f"gradient_of must give a single number, got {shape}", "result")
        return float(np.asarray(value, dtype=np.float64).reshape(()))


def _warm_up() -> None:
    """Exercise numpy once so anything it loads lazily is loaded before imports become impossible."""
    a = np.arange(6.0).reshape(2, 3)
    np.linalg.svd(a)
    np.linalg.lstsq(a.T, np.ones(3), rcond=None)
    np.fft.fft(a)
    np.emath.sqrt(-1.0)
    np.polyfit([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], 1)
    np.percentile(a, 50)
    np.unique(a)
    np.histogram(a)
    np.pad(a, 1)
    np.einsum("ij->i", a)
    repr(a)
    repr(np.float64(1.5))
    check_code("answer = [x for x in range(2)]", "solution", "exec")
    json.loads(json.dumps({"a": [1.5, float("nan"), float("inf")]}))
    "é".encode()


def _lock_down(memory_mb: int, processes: int) -> int:
    """Point stdout/stderr at /dev/null, drop privileges and set the rlimits; return the protocol fd.

    In the jail the worker is already uid 65534 (bwrap maps it); outside it, root drops to that user here.
    """
    protocol_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stdout = sys.stderr = _NullWriter()
    warnings.simplefilter("ignore")
    np.seterr(all="ignore")  # overflow and divide give inf/nan; the caller judges a non-finite answer
    signal.signal(signal.SIGXCPU, _on_cpu_limit)
    signal.signal(signal.SIGPROF, _on_cpu_limit)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(UNPRIVILEGED_ID)
        os.setuid(UNPRIVILEGED_ID)
    apply_limits(memory_mb, processes, open_files=_fill_descriptor_gaps())
    sys.setrecursionlimit(RECURSION_LIMIT)
    return protocol_fd


class _NullWriter:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        return None


def _fill_descriptor_gaps() -> int:
    """Make descriptors 0..n-1 all busy and return n, so that with RLIMIT_NOFILE = n every open() fails."""
    listed = [int(fd) for fd in os.listdir("/proc/self/fd")]
    in_use = [fd for fd in listed if _is_open(fd)]  # the listing's own descriptor is closed by now
    highest = max(in_use)
    for fd in range(highest):
        if not _is_open(fd):
            os.dup2(1, fd)
    return highest + 1


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _write_line(fd: int, reply: dict) -> None:
    data = json.dumps(reply).encode("utf-8") + b"\n"
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def serve(memory_mb: int, processes: int) -> None:
    _warm_up()
    reader = sys.stdin.buffer
    protocol_fd = _lock_down(memory_mb, processes)
    worker = Worker(memory_mb)
    _write_line(protocol_fd, {"ok": True, "ready": True, "pid": os.getpid()})
    while True:
        line = reader.readline()
        if not line:
            return
        try:
            reply = worker.handle(json.loads(line))
            _write_line(protocol_fd, reply)
        except MemoryError:
            message = f"the result exceeded the memory limit of {memory_mb} MB"
            _write_line(protocol_fd, {"ok": False, "error": {"kind": "memory", "message": message}})
        except Exception as exc:  # a bug here must be reported, not take the worker down silently
            message = f"the sandbox failed: {type(exc).__name__}: {_short(str(exc))}"
            _write_line(protocol_fd, {"ok": False, "error": {"kind": "crash", "message": message}})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="quizserver sandbox worker (started by the runner)")
    parser.add_argument("--memory-mb", type=int, default=512)
    parser.add_argument("--processes", type=int, default=8)
    arguments = parser.parse_args(argv)
    serve(arguments.memory_mb, arguments.processes)


if __name__ == "__main__":
    main()
