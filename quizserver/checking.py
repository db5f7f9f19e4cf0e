"""`quiz check`: schema validation plus answer-key verification over many variants."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from .bank import Problem, bank_paths, load_banks
from .bank.verify import verify_bank


@dataclass(frozen=True)
class CheckResult:
    problems: list[Problem]
    banks: int
    questions: int

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        warnings = len(self.problems) - len(self.errors)
        verdict = "ok" if self.ok else "FAILED"
        return (
            f"{verdict}: {self.banks} banks, {self.questions} questions, "
            f"{len(self.errors)} errors, {warnings} warnings"
        )


def check_paths(
    paths: Sequence[str | Path], *, variants: int = 100, seed: int = 0, show_progress: bool = False
) -> CheckResult:
    files = bank_paths(paths)
    banks, problems = load_banks(files)
    questions = sum(len(b.questions) for b in banks)
    if variants > 0 and banks:
        with click.progressbar(
            length=questions, label=f"Sampling {variants} variants per question", file=click.get_text_stream("stderr") if show_progress else _Null()
        ) as bar:
            for bank in banks:
                problems += verify_bank(bank, variants=variants, seed=seed, progress=lambda q: bar.update(1))
    problems.sort(key=lambda p: (p.path, p.line))
    return CheckResult(problems, len(banks), questions)


class _Null:
    def write(self, _: str) -> None:
        pass

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False
