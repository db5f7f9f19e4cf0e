from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField
from wtforms.validators import AnyOf, DataRequired

from quizserver.models import Role


class ImportForm(FlaskForm):
    roster = FileField(
        _l("Roster (CSV)"),
        validators=[FileRequired(_l("Choose a CSV file."))],
        description=_l("One student per line: email,name. A header row is optional."),
    )


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[r.value for r in Role], validators=[DataRequired()])


class ActiveForm(FlaskForm):
    active = HiddenField(validators=[AnyOf(["0", "1"])])


class ResetForm(FlaskForm):
    """Issue a new one-time set-password link: just a CSRF-protected button."""


class LinksForm(FlaskForm):
    rows = HiddenField(validators=[DataRequired()])
