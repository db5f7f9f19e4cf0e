"""`quiz check`: schema validation plus answer-key verification over many variants."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import click

from .bank import Problem, bank_paths, load_banks
from .bank.verify import DEFAULT_VARIANTS, verify_bank
from .sandbox import Runner


@dataclass(frozen=True)
class CheckResult:
    problems: list[Problem]
    banks: int
    questions: int

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        verdict = "ok" if self.ok else "FAILED"
        return (
            f"{verdict}: {self.banks} banks, {self.questions} questions, "
            f"{len(self.errors)} errors, {len(self.warnings)} warnings"
        )


def check_paths(
    paths: Sequence[str | Path],
    *,
    variants: int = DEFAULT_VARIANTS,
    seed: int = 0,
    progress_file: IO[str] | None = None,
    runner: Runner | None = None,
) -> CheckResult:
    """Validate and verify every bank under `paths`; a progress bar goes to progress_file when given."""
    files = bank_paths(paths)
    if not files:
        shown = ", ".join(str(p) for p in paths) or "."
        return CheckResult([Problem(shown, 1, "no bank files (*.yaml, *.yml) found")], 0, 0)
    banks, problems = load_banks(files)
    questions = sum(len(b.questions) for b in banks)
    if variants > 0 and banks:
        with click.progressbar(
            length=questions,
            label=f"Sampling {variants} variants per question",
            file=progress_file or _Null(),
        ) as bar:
            for bank in banks:
                problems += verify_bank(
                    bank, variants=variants, seed=seed, runner=runner, progress=lambda _: bar.update(1)
                )
    problems.sort(key=lambda p: (p.path, p.line))
    return CheckResult(problems, len(banks), questions)


class _Null:
    """A stream that swallows the progress bar when nobody watches it."""

    def write(self, _: str) -> None:
        pass

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False
