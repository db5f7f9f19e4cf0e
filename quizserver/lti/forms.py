from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class PlatformForm(FlaskForm):
    name = StringField(_l("Name shown here"), validators=[Optional(), Length(max=200)])
    issuer = StringField(_l("Platform ID (issuer)"), validators=[DataRequired(), Length(max=255)])
    client_id = StringField(_l("Client ID"), validators=[DataRequired(), Length(max=255)])
    deployment_ids = TextAreaField(_l("Deployment ID(s), one per line"), validators=[DataRequired(), Length(max=2000)])
    auth_login_url = StringField(_l("Authentication request URL"), validators=[Optional(), Length(max=1000)])
    auth_token_url = StringField(_l("Access token URL"), validators=[Optional(), Length(max=1000)])
    key_set_url = StringField(_l("Public keyset URL"), validators=[Optional(), Length(max=1000)])
    moodle = BooleanField(_l("This is Moodle: fill the three URLs left empty from the platform ID"), default=True)
    trust_emails = BooleanField(_l("Match existing accounts by the email this platform sends"))
    send_grades = BooleanField(_l("Send week scores to this platform's gradebook (Moodle; not ILIAS)"), default=True)


class PlatformSettingsForm(FlaskForm):
    trust_emails = BooleanField(_l("Match existing accounts by email"))
    send_grades = BooleanField(_l("Send week scores"))


class ActionForm(FlaskForm):
    """A button that posts: its CSRF token is all it carries."""
