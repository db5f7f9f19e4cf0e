from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, StringField
from wtforms.validators import Length, ValidationError

from quizserver.grading.parse import MAX_ANSWER_LENGTH

MAX_CHOICE_LENGTH = MAX_ANSWER_LENGTH  # the posted positions joined with commas, limited like a typed answer
STORED_CHOICE_LENGTH = 100  # what is kept of an unreadable choice post, enough to show what was sent


class PositionsField(Field):
    """Every value posted under the field's name (one per ticked box), as a list of strings."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = [str(value) for value in valuelist]


def _joined_at_most(limit: int) -> Callable[[FlaskForm, Field], None]:
    def check(form: FlaskForm, field: Field) -> None:
        if len(",".join(field.data or ())) > limit:
            raise ValidationError(gettext("The choice is too long (over %(limit)s characters).", limit=limit))

    return check


class AnswerForm(FlaskForm):
    """One form per question; `token` makes a double-submitted form record once.

    CSRFProtect checks the token of every POST before any view runs, so the form does not check it again.
    """

    class Meta:
        csrf = False

    answer = StringField(_l("Your answer"), validators=[Length(max=MAX_ANSWER_LENGTH)])
    choice = PositionsField(_l("Your choice"), default=(), validators=[_joined_at_most(MAX_CHOICE_LENGTH)])
    # Never shown; a label given spares WTForms translating a default one, which reads its catalog from disk.
    token = HiddenField(label="")


class ActionForm(FlaskForm):
    """Reveal the solution, or ask for new numbers: just a CSRF-protected button."""
