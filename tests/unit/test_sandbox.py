"""The restricted runner: what it refuses, how it reports it, and that it keeps working afterwards."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from quizserver.sandbox import AuthorError, Limits, Runner, check_code, get_runner, jail
from quizserver.sandbox.runner import worker_environment
from tests.sandbox import procfs

pytestmark = pytest.mark.security

PARAMS = [
    {"name": "x", "kind": "normal", "args": [0, 1], "shape": [3], "round": 1},
    {"name": "W1", "kind": "randint", "args": [-2, 2], "shape": [2, 3], "round": None},
    {"name": "w2", "kind": "randint", "args": [-2, 2], "shape": [2], "round": None},
    {"name": "y", "kind": "randint", "args": [-1, 1], "shape": None, "round": None},
]
REQUIRE = "np.all(np.abs(W1 @ x) > 0.05)"
SOLUTION = "z = W1 @ x\nyhat = w2 @ np.maximum(z, 0)\nanswer = np.outer((yhat - y) * w2 * (z > 0), x)"


def expected_answer(params: dict) -> np.ndarray:
    x, W1, w2, y = (np.asarray(params[name]) for name in ("x", "W1", "w2", "y"))
    z = W1 @ x
    return np.outer((w2 @ np.maximum(z, 0) - y) * w2 * (z > 0), x)


@pytest.fixture(scope="module")
def runner():
    with Runner(Limits(cpu_seconds=0.5, memory_mb=512, wall_seconds=10)) as shared:
        yield shared


def assert_still_works(runner: Runner) -> None:
    variant = runner.generate(PARAMS, REQUIRE, SOLUTION, seed=3)
    assert np.allclose(variant["names"]["answer"], expected_answer(variant["params"]))


REFUSED = [
    ("import os\nanswer = 1", "forbidden", "line 1: import statements are not allowed in solution code"),
    ("x = 1\nfrom os import environ", "forbidden", "line 2: import statements are not allowed"),
    ("answer = __import__('os')", "forbidden", "line 1: names starting with '__' (__import__) are not allowed"),
    ("answer = open('/etc/passwd').read()", "forbidden", "line 1: open() is not available in solution code"),
    ("answer = ().__class__.__bases__[0].__subclasses__()", "forbidden", "attribute names starting with '_'"),
    ("answer = getattr(np, 'load')", "forbidden", "line 1: getattr() is not available"),
    ("answer = np.load('x')", "forbidden", "line 1: np.load is not available in solution code"),
    ("answer = np.lib", "forbidden", "line 1: np.lib is not available"),
    ("answer = '{0.__class__}'.format(1)", "forbidden", "line 1: the attribute .format is not allowed"),
    ("n = np\nanswer = n.lib.stride_tricks", "forbidden", "np.lib is not available (line 2)"),
    ("answer = np.linalg.linalg", "forbidden", "np.linalg.linalg is not available"),
    ("np.pi = 3\nanswer = 1", "forbidden", "line 1: assigning to attributes (.pi) is not allowed"),
    ("class A:\n    pass\nanswer = 1", "forbidden", "line 1: class definitions are not allowed"),
    ("def f():\n    global g\nanswer = 1", "forbidden", "line 2: global statements are not allowed"),
    ("try:\n    answer = 1\nexcept:\n    pass", "forbidden", "line 3: a bare `except:`"),
    ("match 1:\n    case int(real=r):\n        answer = r", "forbidden", "match statements are not allowed"),
    ("answer = np.save", "forbidden", "np.save is not available"),
    ("answer = np.ones(3).tofile", "forbidden", "the attribute .tofile is not allowed"),
    ("while True:\n    pass", "timeout", "solution exceeded its CPU time limit of 0.5 s"),
    ("answer = np.ones(10**10)", "memory", "solution exceeded its memory limit of 512 MB"),
    ("answer = np.ones(10**8)", "memory", "solution exceeded its memory limit of 512 MB"),
    ("def f(n):\n    return f(n + 1)\nanswer = f(0)", "runtime", "solution failed: recursion too deep (line 2)"),
    ("t = 0\nanswer = 1 / t", "runtime", "solution raised ZeroDivisionError: division by zero (line 2)"),
    ("answer = W1 @ np.ones(5)", "runtime", "solution raised ValueError: matmul"),
    ("answer = undefined_name", "runtime", "NameError: name 'undefined_name' is not defined (line 1)"),
    ("z = W1 @ x", "result", "solution did not assign `answer`"),
    ("answer = lambda: 1", "result", "answer must be a number, an array of numbers or a string, got function"),
    ("answer = 10 ** 400", "result", "answer must be a number, an array of numbers or a string, got int"),
    ("x = 1\nanswer = (1 +\n", "syntax", "line 2: syntax error in solution code"),
    ("x = 1\n  answer = 2", "syntax", "line 2: syntax error in solution code: unexpected indent"),
]


@pytest.mark.parametrize(("solution", "kind", "message"), REFUSED)
def test_refused_solution_gives_clear_error_and_runner_keeps_working(runner, solution, kind, message):
    with pytest.raises(AuthorError) as caught:
        runner.generate(PARAMS, None, solution, seed=1)
    assert caught.value.kind == kind
    assert message in caught.value.message
    assert_still_works(runner)


READ_THE_ENVIRONMENT = [
    "import os\nanswer = os.environ['HOME']",
    "answer = __import__('os').environ",
    "answer = np.os.environ",
    "answer = np.testing.os.environ",
    "answer = np.ctypeslib",
    "answer = np.f2py",
    "answer = np.lib.npyio",
    "answer = np.linalg.os",
    "m = math\nanswer = m.os",
    "m = np.linalg\nanswer = m.os",
    "answer = open('/proc/self/environ').read()",
    "g = (v for v in [1])\nanswer = g.gi_frame.f_back.f_globals['os']",
    "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    answer = e.__traceback__",
    "answer = np.sum.__globals__['os'].environ",
    "f = lambda: 0\nanswer = f.__globals__",
    "answer = np.zeros(1).ctypes",
    "answer = vars()",
    "answer = globals()",
    "answer = locals()",
    "answer = dir(np)",
    "answer = type(np)",
    "answer = eval('1')",
    "answer = exec('1')",
    "answer = compile('1', 'f', 'eval')",
    "answer = '{0.__globals__}'.format(lambda: 0)",
    "answer = f'{np.load}'",
    "answer = str.format_map('{a}', {})",
]


@pytest.mark.parametrize("solution", READ_THE_ENVIRONMENT)
def test_paths_to_the_environment_are_refused(runner, solution):
    with pytest.raises(AuthorError) as caught:
        runner.generate(PARAMS, None, solution, seed=1)
    assert caught.value.kind == "forbidden"
    assert "not allowed" in caught.value.message or "not available" in caught.value.message
    assert_still_works(runner)


def test_worker_has_minimal_environment_fewer_privileges_and_tight_limits(monkeypatch):
    monkeypatch.setenv("QUIZ_SECRET_KEY", "do-not-leak-7f3a")
    with Runner() as fresh:
        fresh.start()
        pid = procfs.python_process(fresh.worker_pid)  # in the jail, below bwrap
        with open(f"/proc/{pid}/environ", "rb") as handle:
            environ = handle.read().decode()
        limits = procfs.limits(pid)
        status = procfs.status(pid)
        assert fresh.generate(PARAMS, REQUIRE, SOLUTION, seed=1)["names"]["answer"]
    assert "do-not-leak-7f3a" not in environ
    variables = dict(item.split("=", 1) for item in environ.split("\0") if item)
    if jail.in_use():
        assert variables.pop("PWD") == "/tmp"  # bwrap sets it: the jail's working directory, its own tmpfs
        assert status["NoNewPrivs"] == "1"
        assert status["CapEff"] == status["CapPrm"] == status["CapBnd"] == "0" * 16
    assert set(variables) == set(worker_environment())
    assert limits["Max file size"] == ["0", "0"]
    assert limits["Max address space"] == [str(512 * 1024 * 1024)] * 2
    assert limits["Max processes"] == [str(Limits().processes)] * 2
    assert int(limits["Max open files"][0]) <= 5
    if os.geteuid() == 0:
        # on the host too: the jail maps its 65534 to host 65534, never to root
        assert status["Uid"].split() == ["65534"] * 4


def test_same_seed_gives_same_variant_and_other_seeds_differ(runner):
    first = runner.generate(PARAMS, REQUIRE, SOLUTION, seed=11)
    again = runner.generate(PARAMS, REQUIRE, SOLUTION, seed=11)
    others = [runner.generate(PARAMS, REQUIRE, SOLUTION, seed=seed) for seed in (12, 13)]
    assert first == again
    assert first["seed"] == 11
    assert all(other["params"] != first["params"] for other in others)
    assert np.allclose(first["names"]["answer"], expected_answer(first["params"]))


def test_names_hold_params_and_plain_values_the_solution_defined(runner):
    solution = "def relu(v):\n    return np.maximum(v, 0)\nz = W1 @ x\nbig = z.max() > 0\nlabel = 'ok'\n" \
               "pair = [1, 2]\nanswer = relu(z)"
    variant = runner.generate(PARAMS, REQUIRE, solution, seed=5)
    names = variant["names"]
    assert list(names) == ["x", "W1", "w2", "y", "z", "big", "label", "pair", "answer"]
    assert names["pair"] == [1, 2] and names["label"] == "ok" and isinstance(names["big"], bool)
    assert type(names["y"]) is int and isinstance(names["x"], list)
    assert json.loads(json.dumps(variant)) == variant


@pytest.mark.parametrize(
    ("solution", "answer"),
    [
        ("answer = np.array([1.0, -1.0]) / 0", [float("inf"), float("-inf")]),
        ("print('debug', x)\nanswer = 2", 2),
        ("answer = np.float32(0.5)", 0.5),
        ("answer = np.int64(7)", 7),
        ("answer = 2 ** 100", 2.0**100),
        ("answer = 'b'", "b"),
        ("try:\n    answer = 1 / 0\nexcept ZeroDivisionError:\n    answer = -1", -1),
        ("input = 3\nanswer = input * 2", 6),
    ],
)
def test_solutions_that_are_allowed(runner, solution, answer):
    assert runner.generate(PARAMS, None, solution, seed=1)["names"]["answer"] == answer


def test_require_redraws_until_it_holds(runner):
    params = [{"name": "p", "kind": "uniform", "args": [0, 1], "shape": None, "round": None}]
    variants = [runner.generate(params, "p > 0.9", "answer = p", seed=seed) for seed in range(10)]
    assert all(variant["params"]["p"] > 0.9 for variant in variants)
    assert max(variant["tries"] for variant in variants) > 1


@pytest.mark.parametrize(
    ("require", "kind", "message"),
    [
        ("x[0] > 100", "require", "require did not hold in 50 draws"),
        ("W1 @ x > 0", "require", "use np.all(...) or np.any(...)"),
        ("1 / 0", "runtime", "require raised ZeroDivisionError: division by zero (line 1)"),
        ("import os", "syntax", "line 1: syntax error in require"),
        ("np.load('f')", "forbidden", "np.load is not available in require"),
    ],
)
def test_require_errors(runner, require, kind, message):
    with pytest.raises(AuthorError) as caught:
        runner.generate(PARAMS, require, SOLUTION, seed=1, max_tries=50)
    assert caught.value.kind == kind
    assert message in caught.value.message
    assert_still_works(runner)


def test_generate_many_matches_generate_and_keeps_errors_in_place(runner):
    seeds = list(range(20))
    batch = runner.generate_many(PARAMS, REQUIRE, SOLUTION, seeds)
    assert batch == [runner.generate(PARAMS, REQUIRE, SOLUTION, seed) for seed in seeds]
    params = [{"name": "k", "kind": "randint", "args": [1, 3], "shape": None, "round": None}]
    mixed = runner.generate_many(params, None, "answer = 1 / (k - 2)", seeds)
    failed = [item for item in mixed if isinstance(item, AuthorError)]
    assert 0 < len(failed) < len(seeds)
    assert all("ZeroDivisionError" in error.message for error in failed)
    assert all(item["params"]["k"] != 2 for item in mixed if isinstance(item, dict))


def test_generate_many_stops_after_a_timeout(runner):
    started = time.monotonic()
    results = runner.generate_many([], None, "while True:\n    pass", [1, 2, 3, 4])
    assert time.monotonic() - started < 5  # four full CPU budgets plus overhead would be more
    assert [error.kind for error in results] == ["timeout", "not_run", "not_run", "not_run"]
    assert results[1].message.startswith("not run: solution exceeded its CPU time limit")


def test_generate_many_with_refused_code_reports_every_seed(runner):
    results = runner.generate_many(PARAMS, None, "import os", [1, 2])
    assert [error.kind for error in results] == ["forbidden", "forbidden"]


def test_evaluate(runner):
    names = {"W": [[1, 2], [3, 4]], "x": [1, -1], "s": 2.0}
    assert runner.evaluate("s * (W @ x)", names) == [-2.0, -2.0]
    assert runner.evaluate("np.linalg.norm(x) ** 2", names) == pytest.approx(2.0)
    assert runner.evaluate("math.sqrt(s) > 1", names) is True
    assert runner.evaluate("W.sum()", {"W": np.eye(3)}) == 3.0  # numpy values are accepted as names
    with pytest.raises(AuthorError) as caught:
        runner.evaluate("W @ y", names)
    assert (caught.value.kind, caught.value.message) == (
        "runtime", "expression raised NameError: name 'y' is not defined (line 1)")
    with pytest.raises(AuthorError) as caught:
        runner.evaluate("open", names)
    assert caught.value.kind == "forbidden"


def test_numerical_gradient_matches_analytic_gradients(runner):
    rng = np.random.default_rng(0)
    W, x = rng.normal(size=(2, 3)), rng.normal(size=3)
    names = {"W": W.tolist(), "x": x.tolist(), "a": 2}
    grad_W = runner.numerical_gradient("0.5 * np.sum((W @ x) ** 2)", names, "W")
    grad_x = runner.numerical_gradient("0.5 * np.sum((W @ x) ** 2)", names, "x")
    grad_a = runner.numerical_gradient("a ** 3", names, "a")
    assert np.allclose(grad_W, np.outer(W @ x, x), rtol=1e-5, atol=1e-7)
    assert np.allclose(grad_x, W.T @ W @ x, rtol=1e-5, atol=1e-7)
    assert grad_a == pytest.approx(12.0, rel=1e-6)
    with pytest.raises(AuthorError) as caught:
        runner.numerical_gradient("W @ x", names, "x")
    assert caught.value.kind == "result"
    assert "single number" in caught.value.message


def test_worker_killed_between_jobs_is_replaced_transparently(runner):
    before = runner.worker_pid
    os.kill(before, signal.SIGKILL)
    time.sleep(0.05)
    assert_still_works(runner)
    assert runner.worker_pid not in (None, before)


def test_worker_crash_during_a_job_is_an_author_error_then_recovers(runner):
    threading.Timer(0.5, os.kill, (runner.worker_pid, signal.SIGKILL)).start()
    with pytest.raises(AuthorError) as caught:
        runner.generate([], None, "answer = sum(range(10**12))", seed=1)
    assert caught.value.kind == "crash"
    assert "SIGKILL" in caught.value.message
    assert_still_works(runner)


def test_wall_clock_limit_stops_the_worker_and_the_next_job_runs():
    with Runner(Limits(cpu_seconds=30, wall_seconds=0.5)) as slow:
        with pytest.raises(AuthorError) as caught:
            slow.generate([], None, "while True:\n    pass", seed=1)
        assert caught.value.kind == "timeout"
        assert caught.value.message == "solution did not finish within 0.5 s and was stopped"
        assert_still_works(slow)


def test_get_runner_is_shared_and_a_forked_child_gets_its_own_worker():
    shared = get_runner()
    assert get_runner() is shared
    shared.generate([], None, "answer = 1", seed=1)
    parent_worker = shared.worker_pid
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            mine = get_runner()
            answer = mine.generate([], None, "answer = 41 + 1", seed=1)["names"]["answer"]
            os.write(write_end, json.dumps([answer, mine.worker_pid]).encode())
            mine.close()
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        answer, child_worker = json.loads(pipe.read() or "[null, null]")
    os.waitpid(child, 0)
    assert answer == 42
    assert child_worker not in (None, parent_worker)
    assert shared.worker_pid == parent_worker  # the child did not disturb the parent's worker
    assert shared.generate([], None, "answer = 2", seed=1)["names"]["answer"] == 2


def test_threads_calling_generate_at_once_get_their_own_results(runner):
    seeds = list(range(24))
    serial = {seed: runner.generate(PARAMS, REQUIRE, SOLUTION, seed) for seed in seeds}
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = pool.map(lambda s: runner.generate(PARAMS, REQUIRE, SOLUTION, s), seeds)
        parallel = dict(zip(seeds, answers, strict=True))
    assert parallel == serial


@pytest.mark.parametrize(
    ("source", "known", "refused"),
    [
        ("answer = type + 1", (), True),
        ("answer = type + 1", ("type",), False),
        ("type = 2\nanswer = type", (), False),
        ("answer = np.linalg.norm(x) + math.pi", (), False),
        ("np = 1\nanswer = np.load", (), True),  # still .load
        ("answer = [v for v in range(3) if v]", (), False),
    ],
)
def test_check_code_knows_which_names_are_defined(source, known, refused):
    if refused:
        with pytest.raises(AuthorError):
            check_code(source, "solution", "exec", known)
    else:
        assert check_code(source, "solution", "exec", known) is not None


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True])
def test_bad_seeds_are_a_programming_error(runner, seed):
    with pytest.raises(ValueError):
        runner.generate(PARAMS, None, SOLUTION, seed)


@pytest.mark.parametrize("method", ["mean", "std", "var", "sum", "max", "argmax", "round", "cumsum"])
def test_array_methods_that_numpy_imports_lazily_work(method):
    result = get_runner().generate([], None, f"a = np.array([1.0, 2.0, 4.0])\nanswer = float(np.sum(a.{method}()))", 1)
    expected = float(np.sum(getattr(np.array([1.0, 2.0, 4.0]), method)()))
    assert result["names"]["answer"] == pytest.approx(expected)


def test_the_import_hook_numpy_needs_hands_out_nothing_else():
    with pytest.raises(AuthorError):
        get_runner().generate([], None, "answer = np.array([1.0]).dumps()", 1)
