"""Short words and phrases that code hands to pages (a mistake's label, an attempt's status), translatable.

stats.py, the staff queries and the review code name things in English; a page shows them with the `phrase`
filter (quizserver/i18n.py), which matches them against these templates (marked with `N_` for
`pybabel extract`). An unknown phrase is shown as given.
"""
from __future__ import annotations

from quizserver.grading.messages import N_, Translate, WholeMessages

PHRASES: tuple[str, ...] = (
    # stats.MISTAKE_LABELS
    N_("sign flipped"),
    N_("transposed"),
    N_("off by a factor"),
    N_("rounding"),
    N_("wrong shape"),
    N_("precision"),
    N_("not enough precision"),
    # stats.SLIP_REASONS, AGREE_REASON and the factor slip
    N_("the key with its sign flipped"),
    N_("the key transposed"),
    N_("the key times a constant factor"),
    N_("the same wrong answer as others with the same numbers"),
    N_("the key times {factor}"),
    # an attempt's status (grading.Status)
    N_("correct"),
    N_("partial"),
    N_("incorrect"),
    N_("invalid"),
    # question types, as staff pages name them
    N_("numeric"),
    N_("integer"),
    N_("matrix"),
    N_("single_choice"),
    N_("multiple_choice"),
    # why an answer did not change the score (quizserver/answers.py)
    N_("Not graded: this does not use up an attempt."),
    N_("This week is closed: the answer was graded as practice and does not change your score."),
    N_("You revealed the solution: this answer is practice and does not change your score."),
    N_("You already solved this question: this answer is practice."),
    N_("This answer was already received."),
    N_("You have used all {count} attempts: this answer was graded as practice and does not change your score."),
    # the instructor's preview (quizserver/instructor/preview.py)
    N_("The variant must be a whole number from 1 to {count}, got {value}."),
    # LTI: a grade sync's report (lti/grades.py)
    N_("{sent} sent, {failed} failed (queued for a retry), {skipped} with nowhere to go"),
    # a bank problem's severity
    N_("error"),
    N_("warning"),
)

_PHRASES = WholeMessages.of(PHRASES, (), {}, phrase_places=())


def translate_phrase(phrase: str, translate: Translate) -> str:
    """The phrase in the catalog's language; an unknown one as given."""
    return _PHRASES.translate(phrase, translate)
