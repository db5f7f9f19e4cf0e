"""What the instructor's preview shows: one variant of a question's pool, its key, and a trial grade."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quizserver.bank import Question
from quizserver.grading import Grade, Status, format_answer, grade
from quizserver.grading.alternatives import key_text
from quizserver.models import PoolVariant
from quizserver.quiz.presenters import ChoiceView, shape_hint


class BadVariant(ValueError):
    pass


def parse_variant(raw: str | None, count: int) -> int:
    """A variant number from the URL, 1 to the pool's size: empty means 1; anything else is refused."""
    text = (raw or "").strip()
    if not text:
        return 1
    if not text.isdigit() or not 1 <= int(text) <= count:
        raise BadVariant(f"The variant must be a whole number from 1 to {count}, got {text[:40]!r}.")
    return int(text)


@dataclass(frozen=True)
class PreviewView:
    question: Question
    number: int  # 1-based: the pool's slot + 1
    count: int  # the pool's size
    seed: int
    text_html: str = ""
    shape_hint: str = ""
    choices: tuple[ChoiceView, ...] = ()
    key_text: str = ""
    explanation_html: str = ""
    names: tuple[tuple[str, str], ...] = ()  # the drawn parameters and the names the text shows
    answer: Any = None

    def grade(self, raw: str) -> Grade:
        """The grader students get, on this variant's key."""
        try:
            return grade(self.question.answer_spec(), self.answer, raw)
        except ValueError as exc:  # a key the grader refuses, e.g. a non-whole integer key
            return Grade(Status.INVALID, 0.0, f"This variant's key cannot be graded: {exc}")


def preview(question: Question, pooled: PoolVariant, count: int) -> PreviewView:
    """One stored variant of the pool exactly as students get it: its HTML was rendered at sync."""
    choices: tuple[ChoiceView, ...] = ()
    if question.is_choice:
        html = pooled.choices_html or {}
        order = pooled.choice_order or list(html)
        choices = tuple(ChoiceView(cid, str(i), html[cid]) for i, cid in enumerate(order, start=1) if cid in html)
    hint, _ = shape_hint(question, pooled.answer)
    names = {**(pooled.params or {}), **(pooled.names or {})}
    return PreviewView(
        question=question,
        number=pooled.slot + 1,
        count=count,
        seed=pooled.seed,
        text_html=pooled.text_html,
        shape_hint=hint,
        choices=choices,
        key_text=_key_text(question, pooled.answer),
        explanation_html=pooled.explanation_html,
        names=tuple((name, _shown(value)) for name, value in names.items()),
        answer=pooled.answer,
    )


def _key_text(question: Question, answer: Any) -> str:
    if question.is_choice:
        return "; ".join(f"{c.id}) {c.text.strip()}" for c in question.choices if c.correct)
    return key_text(answer, question.tolerance)  # each acceptable key, to the digits its rule asks for


def _shown(value: Any) -> str:
    try:
        return format_answer(value)
    except (TypeError, ValueError):  # text or a deeper array: show it as Python would
        return repr(value)[:200]
