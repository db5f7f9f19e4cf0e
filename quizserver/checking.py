"""`quiz check`: schema validation plus answer-key verification of every variant sync would store
(the pool's seeds) and of random ones (so a seed-targeted stall or wrong key cannot hide)."""
from __future__ import annotations

import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import click

from .bank import Problem, Question, bank_paths, load_banks
from .bank.pool import DEFAULT_POOL_SIZE, pool_seeds
from .bank.verify import VariantCounts, question_seeds, verify_bank
from .sandbox import Runner

RANDOM_VARIANTS = 20


@dataclass(frozen=True)
class CheckResult:
    problems: list[Problem]
    banks: int
    questions: int
    random_seed: int | None = None  # the base of the random draws, to repeat them
    counts: VariantCounts = field(default_factory=VariantCounts)

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
            f"{len(self.errors)} errors, {len(self.warnings)} warnings; {self.counts.summary()}"
        )


def check_paths(
    paths: Sequence[str | Path],
    *,
    variants: int = DEFAULT_POOL_SIZE,
    random_variants: int = RANDOM_VARIANTS,
    seed: int | None = None,
    progress_file: TextIO | None = None,
    runner: Runner | None = None,
) -> CheckResult:
    """Validate and verify every bank under `paths`: the first `variants` seeds of each question's pool
    (what `quiz sync` stores) and `random_variants` seeds drawn from `seed` (random when None)."""
    files = bank_paths(paths)
    if not files:
        shown = ", ".join(str(p) for p in paths) or "."
        return CheckResult([Problem(shown, 1, "no bank files (*.yaml, *.yml) found")], 0, 0)
    banks, problems = load_banks(files)
    questions = sum(len(b.questions) for b in banks)
    counts = VariantCounts()
    base = seed if seed is not None else secrets.randbelow(2**31)
    if (variants > 0 or random_variants > 0) and banks:
        with click.progressbar(
            length=questions,
            label=f"Sampling {variants} variants per question and {random_variants} random ones",
            file=progress_file or _Null(),
        ) as bar:
            for bank in banks:
                def seeds(question: Question, week: int = bank.week) -> list[int]:
                    return pool_seeds(week, question.id, variants) + question_seeds(base, question, random_variants)

                problems += verify_bank(
                    bank, seeds=seeds, runner=runner, progress=lambda _: bar.update(1), counts=counts
                )
    problems.sort(key=lambda p: (p.path, p.line))
    return CheckResult(problems, len(banks), questions, base if random_variants else None, counts)


class _Null(io.StringIO):  # a StringIO is a TextIO, the stream click's stubs ask for
    """A stream that swallows the progress bar when nobody watches it."""

    def write(self, s: str, /) -> int:
        return len(s)  # kept nowhere

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False
