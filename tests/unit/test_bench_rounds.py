"""bench/load.py's rounds: /ping first, and the cohorts take turns going first."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "bench" / "load.py"


@pytest.fixture(scope="module")
def load():
    spec = importlib.util.spec_from_file_location("bench_load", _PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_load"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    del sys.modules["bench_load"]


@pytest.mark.parametrize(
    ("round_number", "labels"),
    [
        (0, ["ping", "page/light", "answer/light", "page/heavy", "answer/heavy"]),
        (1, ["ping", "page/heavy", "answer/heavy", "page/light", "answer/light"]),
        (2, ["ping", "page/light", "answer/light", "page/heavy", "answer/heavy"]),
    ],
)
def test_heavy_cohort_goes_first_in_every_other_round(load, round_number: int, labels: list[str]) -> None:
    assert [p.label for p in load.round_order(load.PHASES, round_number)] == labels


def test_every_phase_runs_equally_often_over_two_rounds(load) -> None:
    ran = [p.label for r in range(2) for p in load.round_order(load.PHASES, r)]
    assert sorted(ran) == sorted([p.label for p in load.PHASES] * 2)
