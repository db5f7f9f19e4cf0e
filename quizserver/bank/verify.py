"""Checking a bank's answer keys by running them: sampling, self-consistency, numerical verification.

Pure (no Flask): author code runs only inside the sandbox runner.
"""
from __future__ import annotations

import ast
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from quizserver.grading import Status, Tolerance, alternatives, format_answer, format_number, grade, within
from quizserver.grading.alternatives import key_text, shown_digits
from quizserver.grading.grade import tolerance_bound
from quizserver.render import placeholder_names
from quizserver.sandbox import AuthorError, Runner, get_runner
from quizserver.sandbox.rounding import round_to_shown

from .figures import plot_problems
from .model import Bank, Problem, Question

DEFAULT_VARIANTS = 100
PERTURBATIONS = (
    ("scaled by 1.1", lambda k: k * 1.1),
    ("with its sign flipped", lambda k: -k),
)
# random roundings tried per variant on top of the plain one: a student may round other steps than the code names
ROUNDING_TRIALS = 3
VARIETY_MIN_KEYS = 20  # fewer distinct keys than this and students share answers
SEEDS_LISTED = 5


@dataclass(frozen=True)
class Sample:
    seed: int
    params: dict[str, Any]
    names: dict[str, Any]


def question_seeds(base_seed: int, question: Question, count: int) -> list[int]:
    """Reproducible and distinct per question, so one --seed re-creates a whole run."""
    entropy = [base_seed, *question.seed_id.encode()]  # the parts of a question share its seeds
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
class Outcome:
    """One check's verdict on one variant, for `quiz check --explain`."""

    check: str
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class Verification:
    problems: list[Problem]
    generated: Generated
    failed_checks: frozenset[int] = frozenset()  # seeds that ran but failed a check
    outcomes: dict[int, list[Outcome]] = field(default_factory=dict)  # per seed, when traced

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


@dataclass(frozen=True)
class Explained:
    """One variant of a question and every check's verdict on it, for `quiz check --explain`."""

    seed: int
    sample: Sample | None  # None when the code failed for this seed
    outcomes: list[Outcome]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return self.sample is not None and all(o.passed for o in self.outcomes) and not any(
            p.severity == "error" for p in self.problems
        )


def explain_variant(bank: Bank, question: Question, seed: int, runner: Runner | None = None) -> Explained:
    """Run every check on the variant of `seed` alone and keep each verdict."""
    verification = verify_seeds(bank, question, [seed], runner or get_runner(), trace=True)
    samples = verification.generated.samples
    return Explained(seed, samples[0] if samples else None, verification.outcomes.get(seed, []),
                     verification.problems)  # fmt: skip


def generate_samples(question: Question, seeds: list[int], runner: Runner) -> Generated:
    """One sandbox round trip for all seeds; a question without code gives empty names for each."""
    if not question.has_code:
        return Generated([Sample(s, {}, {}) for s in seeds], [])
    results = runner.generate_many(
        [p.as_dict() for p in question.params], question.require, question.solution, seeds, **answer_request(question)
    )
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


def answer_request(question: Question) -> dict[str, Any]:
    """What the sandbox must get back: the names holding the key, and which of them list alternatives."""
    if question.is_choice:
        return {"answers": (), "alternatives": ()}
    alternatives_name = question.alternatives_name
    return {"answers": question.answer_names, "alternatives": (alternatives_name,) if alternatives_name else ()}


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


def verify_seeds(
    bank: Bank, question: Question, seeds: list[int], runner: Runner, *, trace: bool = False
) -> Verification:
    """Run the question's code for every seed and check each variant as a student would meet it:
    placeholders resolve, the key is well formed, the shown key grades correct, classic mistakes
    grade wrong, `check:` agrees, a careful student who rounds to 4 digits is marked right, and the
    keys vary. Any problem names the seed and the file line; `trace` keeps every check's verdict per seed."""
    report = _Reporter(bank, question, trace)
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
        return Verification(report.problems, generated, outcomes=report.outcomes)

    verification = _verify_samples(report, question, samples, runner)
    return Verification(verification, generated, frozenset(report.failed), report.outcomes)


def _verify_samples(report: _Reporter, question: Question, samples: list[Sample], runner: Runner) -> list[Problem]:
    for sample in samples:
        if not _check_placeholders(report, question, sample.names, seed=sample.seed):
            break
    report.problems += plot_problems(report.bank.path, question, samples)
    if question.is_choice:
        return report.problems
    keys = _check_answers(report, question, samples)
    if keys is None:
        return report.problems
    _check_self_consistency(report, question, samples, keys)
    if question.check is not None:
        _check_numerically(report, question, samples, keys, runner)
    _check_rounding(report, question, samples, keys, runner)
    _check_variety(report, question, keys)
    return report.problems


class _Reporter:
    def __init__(self, bank: Bank, question: Question, trace: bool = False) -> None:
        self.bank = bank
        self.question = question
        self.problems: list[Problem] = []
        self.failed: set[int] = set()  # seeds whose variant failed a check
        self.trace = trace
        self.outcomes: dict[int, list[Outcome]] = {}

    def outcome(self, seed: int, check: str, passed: bool, detail: str = "") -> None:
        if self.trace:
            self.outcomes.setdefault(seed, []).append(Outcome(check, passed, detail))

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
                report.outcome(seed, "every {{ name }} resolves", False, f"{{{{ {missing[0]} }}}} in {key}")
            report.error(key, f"{{{{ {missing[0]} }}}} in {key} does not resolve{where}")
            return False
    if seed is not None:
        report.outcome(seed, "every {{ name }} resolves", True)
    return True


def _shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) if shape else "a scalar"


Keys = list[np.ndarray]  # a variant's acceptable keys: one, or those its any_of lists


def _answer_label(question: Question) -> str:
    return "each key in any_of" if question.any_of else question.answer_names[0]


def _check_answers(report: _Reporter, question: Question, samples: list[Sample]) -> list[Keys] | None:
    """Every variant's keys are numbers of the type's shape. The shape may differ between variants (a
    randomized stride changes an output's length): the hint shows each variant its own."""
    keys: list[Keys] = []
    label = _answer_label(question)
    for sample in samples:
        report.failed.add(sample.seed)  # until it passes every check below
        report.outcome(sample.seed, "the key is a well-formed answer", False)  # replaced below once it passes
        found: Keys = []
        try:
            listed = alternatives(question.key_from(sample.names))
        except ValueError:
            listed = []
        if not listed:
            report.error("solution", f"{label} lists no acceptable key (seed {sample.seed})")
            return None
        for raw in listed:
            try:
                key = np.asarray(raw, dtype=float)
            except (TypeError, ValueError):
                report.error("solution", f"{label} must be a number or an array of numbers (seed {sample.seed})")
                return None
            if not np.all(np.isfinite(key)):
                report.error("solution", f"{label} is not finite (seed {sample.seed}): {format_answer(raw)}")
                return None
            problem = question.qtype.key_problem(key)
            if problem is not None:
                if question.qtype.whole and key.ndim == 0:
                    problem += f", got {raw} (seed {sample.seed})"
                report.error("solution", problem)
                return None
            found.append(key)
        report.failed.discard(sample.seed)
        if report.trace:
            report.outcomes[sample.seed][-1] = Outcome("the key is a well-formed answer", True)
        keys.append(found)
    return keys


def _is_alternative(value: np.ndarray, keys: Keys) -> bool:
    return any(value.shape == key.shape and np.allclose(value, key, rtol=0, atol=1e-12) for key in keys)


def _check_self_consistency(
    report: _Reporter, question: Question, samples: list[Sample], keys: list[Keys]
) -> None:
    spec = question.answer_spec()
    tol = question.tolerance
    reported: set[str] = set()
    for sample, alternatives_ in zip(samples, keys, strict=True):
        full_key = question.key_from(sample.names)
        for key in alternatives_:
            _check_one_key(report, question, spec, tol, sample, full_key, key, alternatives_, reported)


def _check_one_key(
    report: _Reporter, question: Question, spec: Any, tol: Tolerance, sample: Sample, full_key: Any,
    key: np.ndarray, alternatives_: Keys, reported: set[str],
) -> None:
    """The key as shown to students grades right; its classic corruptions (unless another acceptable key)
    grade wrong."""
    raw_key = key.tolist()
    shown = key_text(raw_key, tol)
    shown_correct = grade(spec, full_key, shown).status is Status.CORRECT
    digits = shown_digits(raw_key, tol)
    report.outcome(sample.seed, f"the key as shown ({digits} significant digits) grades correct", shown_correct, shown)
    if not shown_correct:
        report.failed.add(sample.seed)
        if "shown" not in reported:
            reported.add("shown")
            report.error(
                "tolerance",
                f"the key as shown to students ({shown}) does not grade correct: the tolerance is tighter "
                f"than the shown precision (seed {sample.seed})",
            )
    if not tol.by_digits and tol.atol == 0 and np.any(key == 0) and "zero" not in reported:
        reported.add("zero")
        report.warning(
            "tolerance", f"rtol has no effect where the key is 0 (seed {sample.seed}): set atol as well"
        )
    if question.qtype.whole:
        return
    for label, perturb in PERTURBATIONS:
        wrong = perturb(key)
        if np.allclose(wrong, key, rtol=0, atol=1e-12) or _is_alternative(wrong, alternatives_):
            continue
        accepted = grade(spec, full_key, format_answer(wrong.tolist())).status is Status.CORRECT
        report.outcome(sample.seed, f"the key {label} grades wrong", not accepted)
        if accepted:
            report.failed.add(sample.seed)
            if label in reported:
                continue
            reported.add(label)
            report.error(
                "tolerance",
                f"the key {label} still grades correct (seed {sample.seed}): the tolerance is too "
                "loose to tell this classic mistake apart",
            )
    if key.ndim == 2 and key.shape[0] == key.shape[1] and not np.allclose(key, key.T) and not _is_alternative(
        key.T, alternatives_
    ):
        accepted = grade(spec, full_key, format_answer(key.T.tolist())).status is Status.CORRECT
        report.outcome(sample.seed, "the key transposed grades wrong", not accepted)
        if accepted:
            report.failed.add(sample.seed)
            if "T" in reported:
                return
            reported.add("T")
            report.error(
                "tolerance",
                f"the key transposed still grades correct (seed {sample.seed}): the tolerance is too loose",
            )


def _check_numerically(
    report: _Reporter, question: Question, samples: list[Sample], keys: list[Keys], runner: Runner
) -> None:
    """`check:` agrees with every key: with any_of, `equals` gives the list of acceptable keys, and each
    key must match one of them."""
    check = question.check
    assert check is not None
    worst: tuple[float, str] | None = None
    for sample, alternatives_ in zip(samples, keys, strict=True):
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
        references = _references(question, reference, alternatives_)
        if references is None:
            report.error("check", f"with any_of, {what} must give the list of the {len(alternatives_)} acceptable "
                                  f"keys (seed {sample.seed})")  # fmt: skip
            return
        passed = True
        for key in alternatives_:
            matched = _match_reference(report, question, sample, key, references, what)
            if matched is None:
                return
            excess, message = matched
            if excess > 0:
                passed = False
                if worst is None or excess > worst[0]:
                    worst = (excess, message)
        if passed:
            report.failed.discard(sample.seed)
    if worst is not None:
        failing = "gradient check failed" if check.gradient_of else "equals check failed"
        report.at(answer_line(question), f"{failing}: {worst[1]}")


def _references(question: Question, reference: Any, keys: Keys) -> list[Any] | None:
    """The reference keys the check gave: one, or with any_of the list of them (None when it is not one)."""
    if not question.any_of:
        return [reference]
    if not isinstance(reference, list) or len(reference) != len(keys):
        return None
    if all(np.ndim(r) == 0 for r in reference) and any(key.ndim for key in keys):
        return None  # one vector, not a list of keys
    return reference


def _match_reference(
    report: _Reporter, question: Question, sample: Sample, key: np.ndarray, references: list[Any], what: str
) -> tuple[float, str] | None:
    """(the worst excess over the check's tolerance, its description) for the closest reference; None after
    reporting a reference that cannot be compared."""
    check = question.check
    assert check is not None
    best: tuple[float, str] | None = None
    shown = ""
    for reference in references:
        try:
            ref = np.asarray(reference, dtype=float)
        except (TypeError, ValueError):
            report.error("check", f"{what} is not a number or an array of numbers (seed {sample.seed})")
            return None
        if ref.shape != key.shape and ref.size == key.size == 1:
            ref = ref.reshape(key.shape)
        if ref.shape != key.shape:
            if len(references) > 1:
                continue
            report.error(
                "check",
                f"answer has shape {_shape_text(key.shape)} but {what} has shape {_shape_text(ref.shape)} "
                f"(seed {sample.seed})",
            )
            return None
        # before any arithmetic: inf - inf would warn and hide the real problem
        if not np.all(np.isfinite(ref)):
            report.error("check", f"{what} is not finite (seed {sample.seed})")
            return None
        excess = np.abs(key - ref) - (check.atol + check.rtol * np.abs(ref))
        index = np.unravel_index(int(np.argmax(excess)), excess.shape) if excess.ndim else ()
        entry = f"answer[{', '.join(map(str, index))}]" if index else "answer"
        message = (
            f"{entry} = {key[index]:.6g} but {what} gives {ref[index]:.6g} (seed {sample.seed}; "
            f"check tolerance rtol={check.rtol:g}, atol={check.atol:g})"
        )
        if best is None or float(excess[index]) < best[0]:
            best = (float(excess[index]), message)
            shown = format_answer(ref.tolist())
    if best is None:
        report.error("check", f"no key {what} gives has the shape {_shape_text(key.shape)} (seed {sample.seed})")
        return None
    report.outcome(sample.seed, f"{what} agrees with the key", not best[0] > 0, f"it gives {shown}")
    return best


def _check_rounding(
    report: _Reporter, question: Question, samples: list[Sample], keys: list[Keys], runner: Runner
) -> None:
    """A careful student works from the values as shown and writes every step down to 4 significant
    digits; the key must not move beyond its tolerance when computed that way."""
    # a key that already failed a check would only repeat that failure here
    checked = [(sample, key) for sample, key in zip(samples, keys, strict=True) if sample.seed not in report.failed]
    if not question.solution or not checked:
        return
    samples, keys = [sample for sample, _ in checked], [key for _, key in checked]
    variants = [(sample.seed, sample.params) for sample in samples]
    results = runner.careful_answers(question.solution, variants, ROUNDING_TRIALS, **answer_request(question))
    misses: list[_Miss] = []
    not_run: list[tuple[int, AuthorError]] = []
    for sample, alternatives_, answers in zip(samples, keys, results, strict=True):
        if isinstance(answers, AuthorError):
            not_run.append((sample.seed, answers))
            report.outcome(sample.seed, "a careful student (4 significant digits) is marked right", False,
                           f"could not run: {answers.message}")  # fmt: skip
            continue
        careful = [_careful_alternatives(question, named, len(alternatives_)) for named in answers]
        found = [
            _worst_careful_answer(question, sample.seed, key, [trial[i] for trial in careful])
            for i, key in enumerate(alternatives_)
        ]
        missed = [m for m in found if m is not None]
        miss = max(missed, key=lambda m: (m.plain, m.ratio)) if missed else None
        if report.trace:
            detail = f"from the shown values, rounding every step: {_shown_or_raw(careful[0][0] if careful else None)}"
            if miss is not None:
                detail += f"; {miss.describe()}"
            report.outcome(sample.seed, "a careful student (4 significant digits) is marked right", miss is None,
                           detail)  # fmt: skip
        if miss is not None:
            report.failed.add(sample.seed)
            misses.append(miss)
    if not_run:
        seed, error = not_run[0]
        report.warning(
            "solution",
            f"the rounding check could not run in {len(not_run)} of {len(samples)} variants: {error.message} "
            f"(first seed {seed})",
        )
    if misses:
        line = question.line_of("tolerance") if "tolerance" in dict(question.lines) else answer_line(question)
        report.at(line, _rounding_message(question, misses, len(samples)))


def _careful_alternatives(question: Question, named: Any, count: int) -> list[Any]:
    """The careful run's keys, in the order of the variant's keys (the same code lists them the same way)."""
    try:
        listed = alternatives(question.key_from(named)) if isinstance(named, dict) else [named]
    except ValueError:
        listed = []
    return listed if len(listed) == count else [None] * count


def _shown_or_raw(value: Any) -> str:
    try:
        return format_answer(value)
    except (TypeError, ValueError):
        return repr(value)


@dataclass(frozen=True)
class _Miss:
    """The worst entry of one variant a careful student gets wrong."""

    seed: int
    entry: str
    key: float
    careful: float
    ratio: float  # the miss over the tolerance; above 1 is wrong
    atol_needed: float  # the atol that would have covered it
    plain: bool  # from the plain rounding, not a random one

    def describe(self) -> str:
        how = "rounding every step to 4 significant digits" if self.plain else (
            "with rounding errors of up to half a unit in the 4th significant digit at each step")
        return f"{self.entry} = {format_number(self.key)} but from the values as shown, {how}, it comes out " \
               f"{format_number(self.careful)}"


def _worst_careful_answer(question: Question, seed: int, key: np.ndarray, answers: list[Any]) -> _Miss | None:
    """The plain rounding's miss when it has one (an author can redo it by hand), else the worst random one;
    its atol_needed covers every run."""
    tolerance = Tolerance(rtol=0.0, atol=0.0) if question.qtype.whole else question.tolerance
    misses: list[_Miss] = []
    needed = 0.0
    for trial, answer in enumerate(answers):
        try:
            typed = round_to_shown(answer)
        except (TypeError, ValueError):
            typed = np.full(key.shape, np.nan)
        if typed.shape != key.shape:
            misses.append(_Miss(seed, "answer", float("nan"), float("nan"), math.inf, math.inf, trial == 0))
            continue
        if question.qtype.whole:
            typed = np.round(typed)
        if np.all(within(typed, key, tolerance)):
            continue
        with np.errstate(all="ignore"):  # an integer key has no tolerance; a nan misses by nan
            miss = np.where(np.isfinite(typed), np.abs(typed - key), np.inf)
            ratio = miss / tolerance_bound(key, tolerance)
        needed = max(needed, float(np.max(miss - tolerance.rtol * np.abs(key))))
        index = np.unravel_index(int(np.argmax(ratio)), ratio.shape) if ratio.ndim else ()
        entry = f"answer[{', '.join(map(str, index))}]" if index else "answer"
        misses.append(_Miss(seed, entry, float(key[index]), float(typed[index]), float(ratio[index]), 0.0, trial == 0))
    if not misses:
        return None
    return replace(max(misses, key=lambda m: (m.plain, m.ratio)), atol_needed=needed)


def _rounding_message(question: Question, misses: list[_Miss], variants: int) -> str:
    worst = max(misses, key=lambda m: (m.plain, m.ratio))
    tolerance = question.tolerance
    if math.isfinite(worst.careful) and worst.key != 0:
        off = f"{format_number(abs(worst.careful - worst.key) / abs(worst.key) * 100, 2)} % off; "
    else:
        off = ""
    others = [m.seed for m in misses if m is not worst]
    also = ""
    if others:
        listed = ", ".join(map(str, others[:SEEDS_LISTED]))
        more = f" and {len(others) - SEEDS_LISTED} more" if len(others) > SEEDS_LISTED else ""
        also = f"; also seeds {listed}{more}"
    fixes = "keep such draws out with `require`"
    needed = max(m.atol_needed for m in misses)
    if not question.qtype.whole and not tolerance.by_digits and math.isfinite(needed):
        fixes += f", or allow for the rounding with atol >= {format_number(_one_digit_up(needed), 1)}"
    if question.type == "matrix" and not question.partial:
        fixes += ", and consider `partial: true` so one such entry does not cost the whole answer"
    return (
        f"a careful student is marked wrong in {len(misses)} of {variants} variants: for seed {worst.seed}, "
        f"{worst.describe()} ({off}tolerance {tolerance.settings()}){also}: {fixes}"
    )


def _one_digit_up(x: float) -> float:
    """x rounded up to one significant digit, so the suggested atol covers every miss."""
    if x <= 0:
        return x
    unit = 10.0 ** math.floor(math.log10(x))
    return math.ceil(x / unit * (1 - 1e-12)) * unit


def _check_variety(report: _Reporter, question: Question, keys: list[Keys]) -> None:
    """Few distinct keys means students share answers, whatever their numbers. The count of distinct keys
    grows with the draws, so the number there are in all is estimated (Chao1: the keys seen once and twice
    tell how many were never seen), and only a question with fewer than 20 is reported."""
    if not question.params or len(keys) < VARIETY_MIN_KEYS:
        return
    counts = Counter(b"|".join(round_to_shown(key).tobytes() for key in listed) for listed in keys)
    once = sum(1 for n in counts.values() if n == 1)
    twice = sum(1 for n in counts.values() if n == 2)
    estimated = len(counts) + once * (once - 1) / (2 * (twice + 1))
    if estimated < VARIETY_MIN_KEYS:
        report.warning(
            "params",
            f"only {len(counts)} distinct answers in {len(keys)} variants (about {math.ceil(estimated)} in all): "
            f"students share answers; draw the parameters from wider ranges or more values (at least "
            f"{VARIETY_MIN_KEYS} distinct answers)",
        )


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
        and any(isinstance(t, ast.Name) and t.id in question.answer_names for t in _targets(node))
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
