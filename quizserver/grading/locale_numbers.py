"""Decimal commas: a German student types `0,5` for one half.

In the German interface a single number with one decimal comma and nothing else (`0,5`, `-1,25`, `1,5e-3`)
is read as a decimal. Everywhere else a comma keeps its one meaning in the answer syntax, separating entries
(`[0.5, 1]`): a comma inside brackets or an expression is never guessed at, and the feedback then says that a
decimal needs a point there (`comma_hint_applies`). In English a comma is never a decimal (`1,000` is a
thousand to an English reader and one to a German one), so English answers pass unchanged.
Pure: no Flask, the caller passes the reader's language.
"""
from __future__ import annotations

import re

# Languages whose readers write a decimal comma (the interface languages among them).
DECIMAL_COMMA_LANGUAGES = frozenset({"de"})

_SINGLE_COMMA_NUMBER = re.compile(r"\s*([+-]?)(\d*),(\d+)((?:[eE][+-]?\d+)?)\s*")
_DIGIT_COMMA_DIGIT = re.compile(r"\d,\d")  # typed as a decimal: no space after the comma


def writes_decimal_comma(language: str | None) -> bool:
    """Whether readers of this interface language write 0,5 for one half ('de', 'de-AT', 'de_CH')."""
    return (language or "").replace("_", "-").split("-")[0].lower() in DECIMAL_COMMA_LANGUAGES


def normalize_decimal_comma(raw: str, language: str | None) -> str:
    """`0,5` -> `0.5` in a decimal-comma language when the answer is one such number; otherwise `raw` unchanged.

    Only the whole answer counts: `[0,5]`, `1,5*2` or `1,000,5` are left to the parser as typed.
    """
    if not writes_decimal_comma(language):
        return raw
    match = _SINGLE_COMMA_NUMBER.fullmatch(raw)
    if match is None:
        return raw
    sign, whole, fraction, exponent = match.groups()
    return f"{sign}{whole or '0'}.{fraction}{exponent}"


def comma_hint_applies(raw: str, language: str | None) -> bool:
    """Whether feedback on this answer should add that decimals need a point inside brackets and expressions.

    True for a decimal-comma reader whose answer has a comma between digits (`0,5`) that was not read as a
    decimal, and no decimal point anywhere (whoever typed `[0.5,1]` already writes decimals with a point).
    """
    if not writes_decimal_comma(language) or normalize_decimal_comma(raw, language) != raw or "." in raw:
        return False
    return _DIGIT_COMMA_DIGIT.search(raw) is not None
