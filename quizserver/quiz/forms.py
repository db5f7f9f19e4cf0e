from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length


class AnswerForm(FlaskForm):
    """One form per question; `token` makes a double-submitted form record once.

    CSRFProtect checks the token of every POST before any view runs, so the form does not check it again.
    """

    class Meta:
        csrf = False

    answer = StringField("Your answer", validators=[Length(max=5000)])
    token = HiddenField()


class ActionForm(FlaskForm):
    """Reveal the solution, or ask for new numbers: just a CSRF-protected button."""
