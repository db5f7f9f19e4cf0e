"""`quiz check`: schema validation plus answer-key verification of every variant sync would store
(the pool's seeds) and of random ones (so a seed-targeted stall or wrong key cannot hide)."""
from __future__ import annotations

import io
import json
import secrets
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import click

from .bank import Problem, Question, bank_paths, load_banks
from .bank.pool import DEFAULT_POOL_SIZE, answer_key, pool_seeds
from .bank.verify import VariantCounts, explain_variant, question_seeds, verify_bank
from .grading import format_answer
from .grading.alternatives import key_text
from .render import substitute
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
                    pooled = pool_seeds(week, question.seed_id, variants)  # the parts of a question share them
                    return pooled + question_seeds(base, question, random_variants)

                problems += verify_bank(
                    bank, seeds=seeds, runner=runner, progress=lambda _: bar.update(1), counts=counts
                )
    problems.sort(key=lambda p: (p.path, p.line))
    return CheckResult(problems, len(banks), questions, base if random_variants else None, counts)


class ExplainError(Exception):
    """The question to explain cannot be found, or is ambiguous; the message says which."""


@dataclass(frozen=True)
class Explanation:
    lines: list[str]
    ok: bool  # every check passed for this variant


def explain_paths(
    paths: Sequence[str | Path], seed: int, question_id: str, *, runner: Runner | None = None
) -> Explanation:
    """One variant of one question under `paths`, as an author debugs it: its text with the numbers
    filled in, its parameters and names at full precision, its key, and every check's verdict."""
    banks, _ = load_banks(bank_paths(paths))
    found = [(bank, q) for bank in banks for q in bank.questions if q.id == question_id]
    if not found:
        raise ExplainError(f"no question {question_id!r} in a bank that loads (run `quiz check` for problems)")
    if len(found) > 1:
        raise ExplainError(f"question {question_id!r} is in {', '.join(b.path for b, _ in found)}: give one file")
    bank, question = found[0]
    explained = explain_variant(bank, question, seed, runner)
    lines = [f"{bank.path}:{question.line}: {question.id}, variant seed {seed}"]
    sample = explained.sample
    if sample is not None:
        names = {**sample.params, **sample.names}
        text = f"{question.stem}\n\n({question.label}) {question.text}" if question.group else question.text
        lines += ["", "Text (numbers as the page shows them):", *_indented(_filled(text, names))]
        for choice in question.choices:
            mark = "correct" if choice.correct else "wrong"
            lines.append(f"  ({choice.id}, {mark}) {_filled(choice.text, names)}")
        lines += ["", "Parameters:", *(f"  {name} = {_full(value)}" for name, value in sample.params.items())]
        computed = {name: value for name, value in sample.names.items() if name not in sample.params}
        if computed:
            lines += ["", "Solution names:", *(f"  {name} = {_full(value)}" for name, value in computed.items())]
        key = answer_key(question, sample.names)
        lines += ["", f"Key: {key_text(key, question.tolerance) if not question.is_choice else _shown(key)}   "
                      f"(exactly: {_full(key)})"]
    lines += ["", "Checks:"]
    lines += [f"  {'ok  ' if o.passed else 'FAIL'}  {o.check}" + (f": {o.detail}" if o.detail else "")
              for o in explained.outcomes]  # fmt: skip
    lines += [f"  {'FAIL' if p.severity == 'error' else 'warn'}  {p}" for p in explained.problems]
    return Explanation(lines, explained.ok)


def _filled(template: str, names: dict[str, Any]) -> str:
    try:
        return substitute(template, names)
    except (KeyError, TypeError, ValueError) as exc:
        return f"(cannot be shown: {exc!r})"


def _indented(text: str) -> list[str]:
    return textwrap.indent(text.rstrip("\n"), "  ").splitlines()


def _shown(value: Any) -> str:
    try:
        return format_answer(value)
    except (TypeError, ValueError):
        return _full(value)


def _full(value: Any) -> str:
    return json.dumps(value)


class _Null(io.StringIO):  # a StringIO is a TextIO, the stream click's stubs ask for
    """A stream that swallows the progress bar when nobody watches it."""

    def write(self, s: str, /) -> int:
        return len(s)  # kept nowhere

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False
