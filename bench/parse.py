"""CPU time the answer parser spends on hostile and ordinary answers, per answer.

Run: python bench/parse.py [--parser PATH] [--repeat 20]
--parser loads another copy of quizserver/grading/parse.py (e.g. an older one from
`git show REV:quizserver/grading/parse.py > /tmp/parse_old.py`) to compare against.
Each line: input=<name> chars=<n> cpu_ms=<median process time per parse> outcome=<value or message>
"""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

INPUTS = {
    "nines-x-1": "9" * 4997 + "x 1",  # the red-team input: a digit run that does not end a number
    "digits-dot": "1" * 4999 + ".",
    "spaces-x": "1" + " " * 4998 + "x",
    "matrix-8x8": "[" + "; ".join(" ".join(f"{(r * 8 + c) / 7:.4f}" for c in range(8)) for r in range(8)) + "]",
    "expression": "exp(-1.5)*sqrt(2)/(1+exp(-0.25))",
    "number": "-0.2534",
}


def load_parser(path: Path | None) -> ModuleType:
    if path is None:
        from quizserver.grading import parse

        return parse
    spec = importlib.util.spec_from_file_location("parse_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cpu_ms(read: Callable[[str], object], text: str, repeat: int) -> tuple[float, str]:
    times, outcome = [], ""
    for _ in range(repeat):
        started = time.process_time()
        try:
            outcome = str(read(text))
        except ValueError as error:  # the parser's AnswerError
            outcome = getattr(error, "message", str(error))
        times.append(time.process_time() - started)
    return statistics.median(times) * 1000, outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parser", type=Path, help="another copy of grading/parse.py to measure")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    module = load_parser(args.parser)
    for name, text in INPUTS.items():
        milliseconds, outcome = cpu_ms(module.parse_array, text, args.repeat)
        print(f"input={name} chars={len(text)} cpu_ms={milliseconds:.3f} outcome={outcome[:70]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
