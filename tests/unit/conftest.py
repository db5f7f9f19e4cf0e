"""Unit tests use the sandbox without an app: configure it as create_app would for ENV=testing."""
from __future__ import annotations

import pytest

from quizserver import sandbox


@pytest.fixture(autouse=True, scope="session")
def sandbox_for_testing() -> None:
    sandbox.configure("jail", "testing")
