"""Verified variant pools: every variant a student can get, computed and checked once, at sync.

For each question, sync runs the author's code in the sandbox for a fixed list of seeds (`pool_seeds`),
verifies every variant with the checks `quiz check` runs (`verify_seeds`), and renders its text,
explanation and choices to HTML. A page view then reads stored HTML: no author code, no Markdown.

Pure: no Flask, no database. The seeds of a question depend only on its week, id and slot, so slot k
draws the same numbers in every version of a bank whose code for that question is unchanged.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any

import numpy as np

from quizserver.figures import plot_html
from quizserver.render import placeholder_names, render_template
from quizserver.sandbox import Runner

from .figures import image_urls, plot_names
from .model import Bank, Problem, Question, has_errors
from .verify import Sample, VariantCounts, Verification, verify_seeds

DEFAULT_POOL_SIZE = 200
SEED_BOUND = 2**31
NAMES_LIMIT = 64 * 1024  # bytes of JSON per variant for the values its text shows
_POOL_SALT = 0x706F6F6C  # keeps pool seeds apart from `quiz check --seed` seeds
# between a part's shared text and its own in its stored HTML; bank text cannot make it (raw HTML is escaped)
PART_MARK = "<!-- part -->"


@dataclass(frozen=True)
class PoolEntry:
    """One verified variant, ready to store and to show."""

    slot: int
    seed: int
    params: dict[str, Any]
    names: dict[str, Any]  # only those the text, explanation and choices show
    answer: Any
    choice_order: list[str] | None
    text_html: str
    explanation_html: str
    choices_html: dict[str, str] | None


@dataclass(frozen=True)
class QuestionPool:
    """A question's pool, or why it cannot be served; `ran`, `failed` and `not_run` count variants."""

    question_id: str
    size: int
    entries: tuple[PoolEntry, ...] = ()
    problems: tuple[Problem, ...] = ()
    ran: int = 0
    failed: int = 0
    not_run: int = 0

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)


@dataclass
class PoolCounts(VariantCounts):
    """`quiz check`'s variant counts, over the pools of many questions: the summary line of `quiz sync`."""

    questions: int = 0

    @property
    def variants(self) -> int:
        return self.ran + self.not_run

    def add_pool(self, pool: QuestionPool) -> None:
        self.questions += 1
        self.ran += pool.ran
        self.failed += pool.failed
        self.not_run += pool.not_run

    def summary(self) -> str:
        return super().summary().replace(" variants:", f" variants of {self.questions} questions:", 1)


def pool_seeds(week: int, question_id: str, count: int) -> list[int]:
    """`count` distinct seeds; the first k are the same for any count >= k."""
    rng = np.random.default_rng([_POOL_SALT, week, *question_id.encode()])
    seen: set[int] = set()
    seeds: list[int] = []
    while len(seeds) < count:
        value = int(rng.integers(0, SEED_BOUND))
        if value not in seen:
            seen.add(value)
            seeds.append(value)
    return seeds


def choice_order(question: Question, seed: int) -> list[str] | None:
    """The order a choice question's options are shown in for this seed; None for other questions."""
    if not question.is_choice:
        return None
    ids = [c.id for c in question.choices]
    return [ids[i] for i in np.random.default_rng(seed).permutation(len(ids))]


def answer_key(question: Question, names: dict[str, Any]) -> Any:
    return question.key_from(names)


def shown_names(question: Question) -> set[str]:
    """The names a page shows through `{{ name }}`: these, and the key, are all a variant stores."""
    templates = [question.stem, question.text, question.explanation, *(c.text for c in question.choices)]
    return set().union(*(placeholder_names(t) for t in templates)) | plot_names(question)


def verify_pool(bank: Bank, question: Question, size: int, runner: Runner) -> Verification:
    """Run and verify the pool's seeds in the sandbox."""
    return verify_seeds(bank, question, pool_seeds(bank.week, question.seed_id, size), runner)


def render_entries(bank_path: str, question: Question, samples: list[Sample]) -> tuple[list[PoolEntry], list[Problem]]:
    """Each sample as stored and shown. Pure and picklable, so sync can run it in another process."""
    shown = shown_names(question)
    entries: list[PoolEntry] = []
    problems: list[Problem] = []
    rendered: dict[str, tuple[str, str, dict[str, str] | None]] = {}
    for slot, sample in enumerate(samples):
        names = {name: sample.names[name] for name in sorted(shown) if name in sample.names}
        stored = json.dumps(names, sort_keys=True)
        if len(stored) > NAMES_LIMIT:
            problems.append(Problem(
                bank_path, question.line_of("text"),
                f"the values the question shows take {len(stored) // 1024} KB in variant {slot} (seed {sample.seed}); "
                f"at most {NAMES_LIMIT // 1024} KB are stored per variant: show fewer or smaller values",
                question.id,
            ))
            break
        if stored not in rendered:  # a question without code renders once for all its variants
            try:
                rendered[stored] = _render(question, names)
            except (KeyError, TypeError, ValueError) as exc:
                problems.append(Problem(
                    bank_path, question.line_of("text"),
                    f"variant {slot} (seed {sample.seed}) cannot be shown: {_render_error(exc)}", question.id,
                ))
                break
        text_html, explanation_html, choices_html = rendered[stored]
        entries.append(PoolEntry(
            slot=slot,
            seed=sample.seed,
            params=sample.params,
            names=names,
            answer=answer_key(question, sample.names),
            choice_order=choice_order(question, sample.seed),
            text_html=text_html,
            explanation_html=explanation_html,
            choices_html=choices_html,
        ))
    return entries, problems


def rerender_entries(
    question: Question, stored: list[tuple[int, dict[str, Any]]]
) -> list[tuple[int, str, str, dict[str, str] | None]]:
    """New HTML for stored variants, from the names they keep: (id, text, explanation, choices).

    For a changed renderer: no author code runs. Pure and picklable, like render_entries."""
    rendered = []
    for pool_id, names in stored:
        try:
            rendered.append((pool_id, *_render(question, names)))
        except (KeyError, TypeError, ValueError):  # cannot happen for a bank that synced; keep the old HTML
            continue
    return rendered


def split_part_html(text_html: str) -> tuple[str, str]:
    """(the shared text, the part's own) of a stored text; a question not in parts has no shared text."""
    stem, mark, own = text_html.partition(PART_MARK)
    return (stem, own) if mark else ("", text_html)


def _render(question: Question, names: dict[str, Any]) -> tuple[str, str, dict[str, str] | None]:
    images = image_urls(question)
    text_html = render_template(question.text, names, images)
    if question.group is None:
        text_html += plot_html(question.plot, names)  # below the text, above the answer
    else:
        stem_html = render_template(question.stem, names, images) if question.stem else ""
        text_html = stem_html + plot_html(question.plot, names) + PART_MARK + text_html
    explanation_html = render_template(question.explanation, names, images) if question.explanation else ""
    choices_html = (
        {c.id: render_template(c.text, names, images) for c in question.choices} if question.is_choice else None
    )
    return text_html, explanation_html, choices_html


def _render_error(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"{{{{ {exc.args[0]} }}}} does not resolve"
    return str(exc)


def build_bank_pools(
    bank: Bank,
    default_size: int,
    runner: Runner,
    *,
    executor: Executor | None = None,
    progress: Callable[[Question], None] | None = None,
) -> list[QuestionPool]:
    """Every question's pool. With an executor, rendering runs in other processes while the sandbox
    computes the next question, so sync uses both cores."""
    pending: list[tuple[Question, int, Verification, Future[tuple[list[PoolEntry], list[Problem]]] | None]] = []
    for question in bank.questions:
        size = bank.pool_size(question, default_size)
        verification = verify_pool(bank, question, size, runner)
        future = None
        if not has_errors(verification.problems):
            samples = verification.generated.samples
            if executor is not None:
                future = executor.submit(render_entries, bank.path, question, samples)
            else:
                future = ready_future(render_entries(bank.path, question, samples))
        pending.append((question, size, verification, future))
        if progress:
            progress(question)
    pools = []
    for question, size, verification, future in pending:
        problems = list(verification.problems)
        entries: list[PoolEntry] = []
        if future is not None:
            entries, render_problems = future.result()
            problems += render_problems
        not_run = verification.generated.not_run
        ok = not has_errors(problems)
        pools.append(QuestionPool(
            question.id, size, tuple(entries) if ok else (), tuple(problems), size - not_run,
            verification.failed, not_run,
        ))
    return pools


def ready_future(value: Any) -> Future[Any]:
    """A future that holds `value` already: the same shape with or without an executor."""
    future: Future[Any] = Future()
    future.set_result(value)
    return future
