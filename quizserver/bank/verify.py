"""Checking a bank's answer keys by running them: sampling, self-consistency, numerical verification.

Pure (no Flask): author code runs only inside the sandbox runner.
"""
from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from quizserver.grading import Status, format_answer, grade
from quizserver.render import placeholder_names
from quizserver.sandbox import AuthorError, Runner, get_runner

from .model import Bank, Problem, Question

DEFAULT_VARIANTS = 100
PERTURBATIONS = (
    ("scaled by 1.1", lambda k: k * 1.1),
    ("with its sign flipped", lambda k: -k),
)


@dataclass(frozen=True)
class Sample:
    seed: int
    params: dict[str, Any]
    names: dict[str, Any]


def question_seeds(base_seed: int, question: Question, count: int) -> list[int]:
    """Reproducible and distinct per question, so one --seed re-creates a whole run."""
    entropy = [base_seed, *question.id.encode()]
    return [int(s) for s in np.random.default_rng(entropy).integers(0, 2**31, size=count)]


@dataclass(frozen=True)
class Generated:
    """What running a question's code for some seeds gave: good samples, failures, and seeds never run."""

    samples: list[Sample]
    failures: list[tuple[int, AuthorError]]
    not_run: int = 0

    @property
    def ran(self) -> int:
        return len(self.samples) + len(self.failures)


@dataclass(frozen=True)
class Verification:
    problems: list[Problem]
    generated: Generated
    failed_checks: frozenset[int] = frozenset()  # seeds that ran but failed a check

    @property
    def failed(self) -> int:
        return len(self.generated.failures) + len(self.failed_checks)


@dataclass
class VariantCounts:
    """How many variants ran, failed (to run or a check) and were not run, over many questions."""

    ran: int = 0
    failed: int = 0
    not_run: int = 0

    def add(self, verification: Verification) -> None:
        self.ran += verification.generated.ran
        self.failed += verification.failed
        self.not_run += verification.generated.not_run

    def summary(self) -> str:
        return f"{self.ran + self.not_run} variants: {self.ran} ran, {self.failed} failed, {self.not_run} not run"


def generate_samples(question: Question, seeds: list[int], runner: Runner) -> Generated:
    """One sandbox round trip for all seeds; a question without code gives empty names for each."""
    if not question.has_code:
        return Generated([Sample(s, {}, {}) for s in seeds], [])
    results = runner.generate_many([p.as_dict() for p in question.params], question.require, question.solution, seeds)
    samples: list[Sample] = []
    failures: list[tuple[int, AuthorError]] = []
    not_run = 0
    for s, result in zip(seeds, results, strict=True):
        if isinstance(result, AuthorError):
            if result.kind == "not_run":
                not_run += 1
            else:
                failures.append((s, result))
        else:
            samples.append(Sample(s, result["params"], result["names"]))
    return Generated(samples, failures, not_run)


def verify_bank(
    bank: Bank,
    *,
    variants: int = DEFAULT_VARIANTS,
    seed: int = 0,
    runner: Runner | None = None,
    progress: Callable[[Question], None] | None = None,
    seeds: Callable[[Question], list[int]] | None = None,
    counts: VariantCounts | None = None,
) -> list[Problem]:
    """Verify every question for `variants` seeds drawn from `seed`, or for the seeds `seeds` gives;
    `counts` adds up the variants that ran, failed and were not run."""
    runner = runner or get_runner()
    problems: list[Problem] = []
    for question in bank.questions:
        chosen: list[int] = []
        if question.has_code:
            chosen = seeds(question) if seeds is not None else question_seeds(seed, question, variants)
        verification = verify_seeds(bank, question, chosen, runner)
        problems += verification.problems
        if counts is not None:
            counts.add(verification)
        if progress:
            progress(question)
    return problems


def verify_question(
    bank: Bank, question: Question, *, variants: int, seed: int, runner: Runner
) -> list[Problem]:
    seeds = question_seeds(seed, question, variants) if question.has_code else []
    return verify_seeds(bank, question, seeds, runner).problems


def verify_seeds(bank: Bank, question: Question, seeds: list[int], runner: Runner) -> Verification:
    """Run the question's code for every seed and check each variant as a student would meet it:
    placeholders resolve, the key is well formed, the shown key grades correct, classic mistakes
    grade wrong, and `check:` agrees. Any problem names the seed and the file line."""
    report = _Reporter(bank, question)
    if not question.has_code:
        _check_placeholders(report, question, {}, seed=None)
        return Verification(report.problems, Generated([Sample(s, {}, {}) for s in seeds], []))

    generated = generate_samples(question, seeds, runner)
    samples = generated.samples
    if generated.failures or generated.not_run:
        counts = f"in {len(generated.failures)} of {len(seeds)} variants"
        if generated.not_run:
            counts += f", {generated.not_run} not run"
        if generated.failures:
            s, error = generated.failures[0]
            key = "require" if error.kind == "require" else "solution"
            report.at(code_line(question, key, error.line), f"{error.message} ({counts}; first seed {s})")
        else:
            report.at(question.line_of("solution"), f"variants were not run ({counts})")
    if not samples:
        return Verification(report.problems, generated)

    verification = _verify_samples(report, question, samples, runner)
    return Verification(verification, generated, frozenset(report.failed))


def _verify_samples(report: _Reporter, question: Question, samples: list[Sample], runner: Runner) -> list[Problem]:
    for sample in samples:
        if not _check_placeholders(report, question, sample.names, seed=sample.seed):
            break
    if question.is_choice:
        return report.problems
    keys = _check_answers(report, question, samples)
    if keys is None:
        return report.problems
    _check_self_consistency(report, question, samples, keys)
    if question.check is not None:
        _check_numerically(report, question, samples, keys, runner)
    return report.problems


class _Reporter:
    def __init__(self, bank: Bank, question: Question) -> None:
        self.bank = bank
        self.question = question
        self.problems: list[Problem] = []
        self.failed: set[int] = set()  # seeds whose variant failed a check

    def error(self, key: str, message: str, severity: str = "error") -> None:
        line = self.question.line_of(key)
        if key == "check" and self.question.check is not None:
            line = self.question.check.line or line
        self.problems.append(Problem(self.bank.path, line, message, self.question.id, severity=severity))

    def warning(self, key: str, message: str) -> None:
        self.error(key, message, severity="warning")

    def at(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.bank.path, line, message, self.question.id))


def _check_placeholders(report: _Reporter, question: Question, names: dict[str, Any], seed: int | None) -> bool:
    for key in ("text", "explanation"):
        template = getattr(question, key)
        missing = sorted(placeholder_names(template) - names.keys())
        if missing:
            where = f" (seed {seed})" if seed is not None else ""
            if seed is not None:
                report.failed.add(seed)
            report.error(key, f"{{{{ {missing[0]} }}}} in {key} does not resolve{where}")
            return False
    return True


def _shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) if shape else "a scalar"


def _check_answers(report: _Reporter, question: Question, samples: list[Sample]) -> list[np.ndarray] | None:
    keys: list[np.ndarray] = []
    first_shape: tuple[int, ...] | None = None
    for sample in samples:
        raw = sample.names.get("answer")
        report.failed.add(sample.seed)  # until it passes every check below
        try:
            key = np.asarray(raw, dtype=float)
        except (TypeError, ValueError):
            report.error("solution", f"answer must be a number or an array of numbers (seed {sample.seed})")
            return None
        if not np.all(np.isfinite(key)):
            report.error("solution", f"answer is not finite (seed {sample.seed}): {format_answer(raw)}")
            return None
        if question.type in ("numeric", "integer") and key.ndim != 0:
            report.error(
                "solution", f"a {question.type} question needs a scalar answer, got shape {_shape_text(key.shape)}"
            )
            return None
        if question.type == "integer" and key != np.round(key):
            report.error("solution", f"an integer question's answer must be whole, got {raw} (seed {sample.seed})")
            return None
        if question.type == "matrix" and key.ndim not in (1, 2):
            report.error("solution", f"a matrix question needs a 1-D or 2-D answer, got {_shape_text(key.shape)}")
            return None
        if first_shape is None:
            first_shape = key.shape
        elif key.shape != first_shape:
            report.error(
                "solution",
                f"answer shape varies between variants: {_shape_text(first_shape)} and "
                f"{_shape_text(key.shape)} (seed {sample.seed})",
            )
            return None
        report.failed.discard(sample.seed)
        keys.append(key)
    return keys


def _check_self_consistency(
    report: _Reporter, question: Question, samples: list[Sample], keys: list[np.ndarray]
) -> None:
    spec = question.answer_spec()
    tol = question.tolerance
    reported: set[str] = set()
    for sample, key in zip(samples, keys, strict=True):
        raw_key = sample.names["answer"]
        shown = format_answer(raw_key)
        if grade(spec, raw_key, shown).status is not Status.CORRECT:
            report.failed.add(sample.seed)
            if "shown" not in reported:
                reported.add("shown")
                report.error(
                    "tolerance",
                    f"the key as shown to students ({shown}) does not grade correct: the tolerance is tighter "
                    f"than the shown precision (seed {sample.seed})",
                )
        if tol.atol == 0 and np.any(key == 0) and "zero" not in reported:
            reported.add("zero")
            report.warning(
                "tolerance", f"rtol has no effect where the key is 0 (seed {sample.seed}): set atol as well"
            )
        if question.type == "integer":
            continue
        for label, perturb in PERTURBATIONS:
            wrong = perturb(key)
            if np.allclose(wrong, key, rtol=0, atol=1e-12):
                continue
            if grade(spec, raw_key, format_answer(wrong.tolist())).status is Status.CORRECT:
                report.failed.add(sample.seed)
                if label in reported:
                    continue
                reported.add(label)
                report.error(
                    "tolerance",
                    f"the key {label} still grades correct (seed {sample.seed}): the tolerance is too "
                    "loose to tell this classic mistake apart",
                )
        if key.ndim == 2 and key.shape[0] == key.shape[1] and not np.allclose(key, key.T):
            if grade(spec, raw_key, format_answer(key.T.tolist())).status is Status.CORRECT:
                report.failed.add(sample.seed)
                if "T" in reported:
                    continue
                reported.add("T")
                report.error(
                    "tolerance",
                    f"the key transposed still grades correct (seed {sample.seed}): the tolerance is too loose",
                )


def _check_numerically(
    report: _Reporter, question: Question, samples: list[Sample], keys: list[np.ndarray], runner: Runner
) -> None:
    check = question.check
    assert check is not None
    worst: tuple[float, str] | None = None
    for sample, key in zip(samples, keys, strict=True):
        report.failed.add(sample.seed)  # until it passes
        try:
            if check.gradient_of:
                assert check.wrt is not None
                reference = runner.numerical_gradient(check.gradient_of, sample.params, check.wrt)
                what = f"finite differences of gradient_of w.r.t. {check.wrt}"
            else:
                assert check.equals is not None
                reference = runner.evaluate(check.equals, sample.params)
                what = "the equals formula"
        except AuthorError as exc:
            report.error("check", f"{exc.message} (seed {sample.seed})")
            return
        try:
            ref = np.asarray(reference, dtype=float)
        except (TypeError, ValueError):
            report.error("check", f"{what} is not a number or an array of numbers (seed {sample.seed})")
            return
        if ref.shape != key.shape and ref.size == key.size == 1:
            ref = ref.reshape(key.shape)
        if ref.shape != key.shape:
            report.error(
                "check",
                f"answer has shape {_shape_text(key.shape)} but {what} has shape {_shape_text(ref.shape)} "
                f"(seed {sample.seed})",
            )
            return
        # before any arithmetic: inf - inf would warn and hide the real problem
        if not np.all(np.isfinite(ref)):
            report.error("check", f"{what} is not finite (seed {sample.seed})")
            return
        excess = np.abs(key - ref) - (check.atol + check.rtol * np.abs(ref))
        index = np.unravel_index(int(np.argmax(excess)), excess.shape) if excess.ndim else ()
        if not excess[index] > 0:
            report.failed.discard(sample.seed)
        if excess[index] > 0 and (worst is None or excess[index] > worst[0]):
            entry = f"answer[{', '.join(map(str, index))}]" if index else "answer"
            worst = (
                float(excess[index]),
                f"{entry} = {key[index]:.6g} but {what} gives {ref[index]:.6g} (seed {sample.seed}; "
                f"check tolerance rtol={check.rtol:g}, atol={check.atol:g})",
            )
    if worst is not None:
        failing = "gradient check failed" if check.gradient_of else "equals check failed"
        report.at(answer_line(question), f"{failing}: {worst[1]}")


def answer_line(question: Question) -> int:
    """The file line of the solution's last `answer = ...`, where a wrong key is usually written."""
    try:
        tree = ast.parse(question.solution or "")
    except (SyntaxError, ValueError):
        return question.line_of("solution")
    assigned = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign))
        and any(isinstance(t, ast.Name) and t.id == "answer" for t in _targets(node))
    ]
    return code_line(question, "solution", max(assigned) if assigned else None)


def code_line(question: Question, key: str, line_in_code: int | None) -> int:
    """The file line of line `line_in_code` (1-based) of the code under `key`; the key's line if unknown.

    Code ending in a newline is a `|` block, whose text starts on the line after its key.
    """
    key_line = question.line_of(key)
    source = getattr(question, key, None) or ""
    if not line_in_code or line_in_code > source.count("\n") + 1:
        return key_line
    first_text_line = key_line + 1 if source.endswith("\n") else key_line
    return first_text_line + line_in_code - 1


def _targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign):
        return [n for t in node.targets for n in ast.walk(t)]
    return [node.target]  # type: ignore[attr-defined]
