"""What account code says to people (quizserver/accounts.py), as translatable templates.

accounts.py is free of Flask and raises or returns its messages in English; a page shows them in the reader's
language through `translate_account_message`, which matches each against these templates (marked with `N_`
for `pybabel extract`) and fills the template's translation. An unknown message is shown as written.
"""
from __future__ import annotations

from quizserver.grading.messages import N_, Translate, WholeMessages

MESSAGES: tuple[str, ...] = (
    N_("Use at least {count} characters."),
    N_("The password must not contain your email address."),
    N_("Use more varied characters."),
    N_("'{email}' is not an email address"),
    N_("unknown role '{role}'"),
    N_("an account for {email} already exists"),
    N_("Your current password is not right."),
    N_("This link has expired or was already used. Ask your instructor for a new one."),
    N_("This link was already used. Ask your instructor for a new one."),
    N_("You cannot demote yourself; ask another instructor."),
    N_("You cannot deactivate your own account."),
    N_("line {line}: {reason}"),
    N_("This is not an email address."),
    N_("The file is not UTF-8 text. Save it from your spreadsheet as 'CSV UTF-8'."),
    N_("The file is not a CSV text file."),
    N_("The file is not valid CSV (line {line}: {error}). Check its quotes."),
    N_("The file has no rows. Each line should be: email,name"),
    N_("The file has only a header row. Each line after it should be: email,name"),
    N_("The file has {count} rows; import at most {limit} at a time."),
    N_("The email address is missing."),
    N_("The same address is already on line {line}."),
    N_("The name is longer than 200 characters."),
)

_NUMBERS = {"count": r"\d+", "line": r"\d+", "limit": r"\d+"}
ACCOUNT_MESSAGES = WholeMessages.of(MESSAGES, MESSAGES, _NUMBERS, phrase_places={"reason"})


def translate_account_message(message: str, translate: Translate) -> str:
    """An account or roster message in the catalog's language; an unknown one as written."""
    return ACCOUNT_MESSAGES.translate(message, translate)
