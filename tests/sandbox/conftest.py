"""The jail's escape tests: full Python (os, socket, open) run in the worker's jail and limits."""
from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from quizserver.sandbox import Limits, jail
from quizserver.sandbox.runner import run_unrestricted

NO_BWRAP = "needs bubblewrap (`apt-get install bubblewrap`): the jail cannot be tested without bwrap"
requires_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason=NO_BWRAP)

# small and quick: a fork bomb, a CPU spinner and a big allocation each stop within a second or two
TEST_LIMITS = Limits(cpu_seconds=1.0, memory_mb=256, wall_seconds=15.0, processes=8)


@pytest.fixture(autouse=True)
def jail_settings() -> Iterator[None]:
    """Each test starts in jail mode for ENV=testing; whatever a test configures is undone afterwards."""
    before = jail.settings()
    jail.configure("jail", "testing")
    yield
    jail.configure(*before)


@pytest.fixture
def in_jail() -> Callable[..., Any]:
    """Run a snippet in the jail and return the JSON it printed last; fail with its stderr otherwise."""

    def run(code: str, limits: Limits = TEST_LIMITS) -> Any:
        assert jail.in_use(), "the jail is not in use"
        result = run_unrestricted(code, limits)
        lines = result.stdout.strip().splitlines()
        assert result.returncode == 0 and lines, f"exit status {result.returncode}: {result.stderr[-2000:]}"
        return json.loads(lines[-1])

    return run
