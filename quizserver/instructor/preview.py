"""What the instructor's preview shows: one question rendered for one seed, its key, and a trial grade."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quizserver.bank import Question
from quizserver.grading import Grade, Status, format_answer, grade
from quizserver.quiz.presenters import ChoiceView, shape_hint
from quizserver.render import render_template
from quizserver.sandbox import AuthorError
from quizserver.services import compute_variant

# Seeds are stored as a signed 64-bit integer; new variants use seeds below 2**31.
MAX_SEED = 2**63 - 1


class BadSeed(ValueError):
    pass


def parse_seed(raw: str | None) -> int:
    """A seed from the URL: empty means 0; anything but a whole number in range is refused."""
    text = (raw or "").strip()
    if not text:
        return 0
    if not text.isdigit() or int(text) > MAX_SEED:
        raise BadSeed(f"The seed must be a whole number from 0 to {MAX_SEED}, got {text[:40]!r}.")
    return int(text)


@dataclass(frozen=True)
class PreviewView:
    question: Question
    seed: int
    error: str = ""  # the author's code failed for this seed
    text_html: str = ""
    shape_hint: str = ""
    choices: tuple[ChoiceView, ...] = ()
    key_text: str = ""
    explanation_html: str = ""
    names: tuple[tuple[str, str], ...] = ()  # every name the solution defined, as shown to the author
    answer: Any = None

    def grade(self, raw: str) -> Grade:
        """The grader students get, on this seed's key."""
        try:
            return grade(self.question.answer_spec(), self.answer, raw)
        except ValueError as exc:  # a key the grader refuses, e.g. a non-whole integer key
            return Grade(Status.INVALID, 0.0, f"This seed's key cannot be graded: {exc}")


def preview(question: Question, seed: int) -> PreviewView:
    try:
        computed = compute_variant(question, seed)
    except AuthorError as exc:
        return PreviewView(question, seed, error=exc.message)
    names = computed.names
    choices: tuple[ChoiceView, ...] = ()
    if question.is_choice:
        by_id = {c.id: c for c in question.choices}
        order = computed.choice_order or list(by_id)
        choices = tuple(
            ChoiceView(cid, str(i), render_template(by_id[cid].text, names)) for i, cid in enumerate(order, start=1)
        )
    hint, _ = shape_hint(question, computed.answer)
    return PreviewView(
        question=question,
        seed=seed,
        text_html=render_template(question.text, names),
        shape_hint=hint,
        choices=choices,
        key_text=_key_text(question, computed.answer),
        explanation_html=render_template(question.explanation, names) if question.explanation else "",
        names=tuple((name, _shown(value)) for name, value in names.items()),
        answer=computed.answer,
    )


def _key_text(question: Question, answer: Any) -> str:
    if question.is_choice:
        return "; ".join(f"{c.id}) {c.text.strip()}" for c in question.choices if c.correct)
    return format_answer(answer)


def _shown(value: Any) -> str:
    try:
        return format_answer(value)
    except (TypeError, ValueError):  # text or a deeper array: show it as Python would
        return repr(value)[:200]
