"""The grader's feedback sentences as translatable templates, and their translation when shown.

The grader writes its feedback in English, sentence by sentence ("Not correct. The sign is flipped."), and
an attempt stores that text: it is what regrade compares and what the staff export shows. A reader of another
language gets it translated when it is shown: each known sentence is matched against the templates below
(marked with `N_` so `pybabel extract` collects them), its parameters are read back, and the template's
translation is filled with them. So every stored attempt, old or new, reads in the reader's language, and
the grader stays free of any locale. A sentence no template matches (an author's own choice feedback) is
kept as written. `untranslated_parts` names such sentences, so a test can check that every message the
grader produces is known here.
Pure: the caller passes its gettext.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

Translate = Callable[[str], str]


def N_(message: str) -> str:  # noqa: N802 -- gettext's name for "mark for extraction, translate later"
    """Mark a template for `pybabel extract` without translating it here."""
    return message


# Sentences of quizserver/grading/grade.py and quizserver/grading/parse.py, with {placeholders}.
SENTENCES: tuple[str, ...] = (
    N_("Correct."),
    N_("Not correct."),
    N_("The sign is flipped."),
    N_("It equals the expected answer transposed."),
    N_("It is off by a constant factor of about {number}."),
    N_("Close, but not within the tolerance ({tolerance}): keep more digits."),
    N_("Not enough precision: give {precision}."),
    N_("Expected a whole number, got {number}."),
    N_("Expected a single number, got {shape}."),
    N_("Expected a vector of 1 entry, got {total}."),
    N_("Expected a vector of {count} entries, got {total}."),
    N_("Expected a vector of 1 entry, got {shape}."),
    N_("Expected a vector of {count} entries, got {shape}."),
    N_("Expected {rows}x{columns}, got {shape}."),
    N_("1 of {total} entries are right."),
    N_("{count} of {total} entries are right."),
    N_("Unknown choice '{quoted}'."),
    N_("No choice is selected."),
    N_("Select only one choice."),
    N_("A selected choice is not correct."),
    N_("A correct choice was not selected."),
    N_("The square root of a negative number is not a real number."),
    N_("The logarithm of zero or a negative number is not a real number."),
    N_("The result is not a number (nan)."),
    N_("The number is too large."),
    N_("Division by zero."),
    N_("A negative number to a fractional power is not a real number."),
    N_("An imaginary number is not a real number."),
    N_("Only numbers, + - * / ^, parentheses and functions such as sqrt(2) are allowed."),
    N_("The operator {symbol} is not allowed."),
    N_("Put several entries in square brackets, e.g. [1, 2, 3]."),
    N_("{name} is a function: write {name}(...)."),
    N_("nan (not a number) is not accepted."),
    N_("Infinite values are not accepted."),
    N_("Unknown name '{quoted}'."),
    N_("Multiplication needs an explicit *, e.g. 2*(3+1)."),
    N_("{name} is a constant, not a function; write {name}*(...) to multiply."),
    N_("Unknown function '{quoted}'."),
    N_("{name} takes one argument, got {count}."),
    N_("{name}({argument}) is not a real number."),
    N_("There is a {symbol} with no matching opening bracket (at '{quoted}')."),
    N_("A {expected} is missing before the {symbol} (at '{quoted}')."),
    N_("The answer is missing a closing {symbol}."),
    N_("Use square brackets [ ] for matrices and round ones ( ) for grouping, not { }."),
    N_("A number or expression is too long (over {count} characters)."),
    N_("Expressions are switched off for this question: enter a plain number such as 0.25 or 1/4."),
    N_("Numbers cannot start with 0 unless a decimal point follows (write 7, not 07)."),
    N_("The expression is too deeply nested or too long."),
    N_("Multiplication needs an explicit *, e.g. 2*pi or 3*(1+x)."),
    N_("Could not read the answer near '{quoted}'."),
    N_("There is an empty entry: check for two commas in a row or a trailing comma."),
    N_("Brackets are nested more than two levels deep; a matrix looks like [[1, 2], [3, 4]]."),
    N_("Write a matrix either as [[1, 2], [3, 4]] or as [1 2; 3 4], not a mix of both."),
    N_("Every row needs its own brackets, e.g. [[1, 2], [3, 4]]; a vector is [1, 2, 3]."),
    N_("Spaces around an operator make it unclear where one entry ends: separate entries with commas, "
       "e.g. [1 - 2, 3]."),
    N_("Separate entries either all with commas or all with spaces, not a mix."),
    N_("The matrix is empty."),
    N_("Row {row} has 1 entry, row 1 has {count}."),
    N_("Row {row} has {total} entries, row 1 has {count}."),
    N_("The answer is too long (over {count} characters)."),
    N_("The answer is empty."),
    N_("Square brackets go around a whole vector or matrix, e.g. [1, 2, 3]; use ( ) for grouping."),
    N_("Enter a single number (use a decimal point, not a comma)."),
    N_("Could not read the answer."),
    N_("Enter a single number, not 1 entry."),
    N_("Enter a single number, not {count} entries."),
    # a choice form the page could not read (quizserver/quiz/presenters.py: UnreadableChoice)
    N_("'{quoted}' is not one of the {count} choices shown: choose from the list."),
    N_("Choice {count} was sent twice."),
)

# Phrases the sentences above carry in their {tolerance}, {shape} and {precision} places.
PHRASES: tuple[str, ...] = (
    N_("relative {number}%"),
    N_("absolute {number}"),
    N_("a single number"),
    N_("a vector of 1 entry"),
    N_("a vector of {count} entries"),
    N_("{rows}x{columns}"),
    N_("1 significant figure"),
    N_("{count} significant figures"),
    N_("1 decimal place"),
    N_("{count} decimal places"),
)

# "Row 2: division by zero.": a matrix row's problem, its sentence starting in lower case.
ROW_LABEL = N_("Row {row}: {message}")

_NUMBER = r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?|-?inf|nan"
_PLACEHOLDER_PATTERNS = {
    "number": _NUMBER,
    "argument": _NUMBER,  # inside a typed call such as log(-1): kept with its point
    "count": r"\d+",
    "total": r"\d+",
    "row": r"\d+",
    "rows": r"\d+",
    "columns": r"\d+",
    "quoted": r".*?",  # the student's own text, between quotes: kept as typed
    "name": r"[^\s(]+?",
    "symbol": r"\S{1,2}|not|\?",
    "expected": r"[)\]]",
    "tolerance": r"(?:relative|absolute) [^)]+",
    "precision": r"\d+ (?:significant figures?|decimal places?)",
    "shape": r"a single number|a vector of \d+ entr(?:y|ies)|\d+x\d+",
    "message": r".+",
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_ROW_LABEL = re.compile(r"Row (?P<row>\d+): (?P<message>.+)", re.DOTALL)


@dataclass(frozen=True)
class _Template:
    text: str
    pattern: re.Pattern[str]


def _compile(
    template: str, patterns: Mapping[str, str] = _PLACEHOLDER_PATTERNS, default: str | None = None
) -> _Template:
    """A regex reading a template's parameters back out of a filled-in sentence."""
    pieces, seen, position = [], set(), 0
    for match in _PLACEHOLDER.finditer(template):
        pieces.append(re.escape(template[position:match.start()]))
        name = match.group(1)
        pattern = patterns.get(name, default) if default is not None else patterns[name]
        pieces.append(f"(?P={name})" if name in seen else f"(?P<{name}>{pattern})")
        seen.add(name)
        position = match.end()
    pieces.append(re.escape(template[position:]))
    return _Template(template, re.compile("".join(pieces), re.DOTALL))


def _by_specificity(
    templates: Iterable[str], patterns: Mapping[str, str] = _PLACEHOLDER_PATTERNS, default: str | None = None
) -> list[_Template]:
    """Most literal text first, so "Expected a vector of 1 entry" wins over a looser reading."""
    ordered = sorted(templates, key=lambda t: -len(_PLACEHOLDER.sub("", t)))
    return [_compile(t, patterns, default) for t in ordered]


@dataclass(frozen=True)
class WholeMessages:
    """Templates each matching a whole message (an author's problem, a CLI line), with phrases for some places.

    `translate` returns the catalog's translation of the template whose pattern matches, with its values put
    back, each value named in `phrase_places` itself translated when one of `phrases` matches it.
    """

    templates: tuple[_Template, ...]
    phrases: tuple[_Template, ...]
    phrase_places: frozenset[str]

    @classmethod
    def of(cls, templates: Iterable[str], phrases: Iterable[str], patterns: Mapping[str, str],
           phrase_places: Iterable[str]) -> WholeMessages:
        return cls(
            tuple(_by_specificity(templates, patterns, r".+?")),
            tuple(_by_specificity(phrases, patterns, r".+?")),
            frozenset(phrase_places),
        )

    def match(self, message: str) -> tuple[str, dict[str, str]] | None:
        for template in self.templates:
            found = template.pattern.fullmatch(message)
            if found:
                return template.text, found.groupdict()
        return None

    def _value(self, name: str, value: str, translate: Translate) -> str:
        if name in self.phrase_places:
            for phrase in self.phrases:
                found = phrase.pattern.fullmatch(value)
                if found:
                    return fill(translate(phrase.text), found.groupdict())
        return value

    def translate(self, message: str, translate: Translate) -> str:
        """The message in the catalog's language, or as it is when no template matches it."""
        matched = self.match(message)
        if matched is None:
            return message
        template, values = matched
        return fill(translate(template), {name: self._value(name, value, translate) for name, value in values.items()})


_SENTENCE_TEMPLATES = _by_specificity(SENTENCES)
_PHRASE_TEMPLATES = _by_specificity(PHRASES)


def fill(template: str, values: dict[str, str]) -> str:
    """Put the values into the {placeholders}; other braces ("not { }") stay as they are."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _decimal_comma(value: str) -> str:
    return value.replace(".", ",") if re.fullmatch(_NUMBER, value) else value


def _translate_value(name: str, value: str, translate: Translate, comma: bool) -> str:
    if name in ("tolerance", "shape", "precision"):
        for template in _PHRASE_TEMPLATES:
            match = template.pattern.fullmatch(value)
            if match:
                return _fill_translation(template.text, match.groupdict(), translate, comma)
        return value
    return _decimal_comma(value) if comma and name == "number" else value


def _fill_translation(template: str, values: dict[str, str], translate: Translate, comma: bool) -> str:
    translated = {name: _translate_value(name, value, translate, comma) for name, value in values.items()}
    return fill(translate(template), translated)


def _decimal_comma_reader(translate: Translate) -> bool:
    """Whether the catalog writes one half as 0,5: read off the translation of a sentence that shows a decimal."""
    return "0,25" in translate(
        "Expressions are switched off for this question: enter a plain number such as 0.25 or 1/4."
    )


def _at(message: str, position: int) -> tuple[_Template, re.Match[str]] | None:
    """The known sentence starting at `position` and ending at a space or the end, if any."""
    for template in _SENTENCE_TEMPLATES:
        match = template.pattern.match(message, position)
        if match and (match.end() == len(message) or message[match.end()].isspace()):
            return template, match
    return None


@lru_cache(maxsize=512)
def _split(message: str) -> tuple[tuple[str, str | None, tuple[tuple[str, str], ...]], ...]:
    """The message as (text, template or None, parameters) pieces: known sentences and the text between."""
    pieces: list[tuple[str, str | None, tuple[tuple[str, str], ...]]] = []
    position, unknown_from = 0, 0
    while position < len(message):
        found = _at(message, position) if position == 0 or message[position - 1].isspace() else None
        if found is None:
            position += 1
            continue
        template, match = found
        if message[unknown_from:position].strip():
            pieces.append((message[unknown_from:position].strip(), None, ()))
        pieces.append((match.group(0), template.text, tuple(match.groupdict().items())))
        position = unknown_from = match.end()
    if message[unknown_from:].strip():
        pieces.append((message[unknown_from:].strip(), None, ()))
    return tuple(pieces)


def _translate_plain(message: str, translate: Translate, comma: bool) -> str:
    parts = []
    for text, template, values in _split(message):
        parts.append(text if template is None else _fill_translation(template, dict(values), translate, comma))
    return " ".join(parts)


def translate_feedback(message: str, translate: Translate) -> str:
    """The grader's English message in the catalog's language; unknown sentences are kept as written."""
    if not message:
        return message
    comma = _decimal_comma_reader(translate)
    row = _ROW_LABEL.fullmatch(message)
    if row:
        inner = row.group("message")
        inner_sentence = inner[:1].upper() + inner[1:]
        if all(template is not None for _, template, _ in _split(inner_sentence)):
            return fill(
                translate(ROW_LABEL),
                {"row": row.group("row"), "message": _translate_plain(inner_sentence, translate, comma)},
            )
    return _translate_plain(message, translate, comma)


def untranslated_parts(message: str) -> list[str]:
    """The pieces of a grader message that no template knows (an author's text, or a template missing here)."""
    row = _ROW_LABEL.fullmatch(message)
    if row:
        inner = row.group("message")
        message = inner[:1].upper() + inner[1:]
    return [text for text, template, _ in _split(message) if template is None]


def _js_pattern(pattern: str) -> str:
    """A Python pattern of this module as JavaScript writes it: (?<name>...) and \\k<name>."""
    return re.sub(r"\(\?P=(\w+)\)", r"\\k<\1>", pattern.replace("(?P<", "(?<"))


def browser_catalog(translate: Translate) -> dict[str, object]:
    """What the browser needs to translate the same sentences (quizserver/static/i18n.js): JSON-able."""
    return {
        "sentences": [[_js_pattern(t.pattern.pattern), translate(t.text)] for t in _SENTENCE_TEMPLATES],
        "phrases": [[_js_pattern(t.pattern.pattern), translate(t.text)] for t in _PHRASE_TEMPLATES],
        "row": translate(ROW_LABEL),
        "comma": _decimal_comma_reader(translate),
    }


# What an answer box asks for (grading/qtypes: `hint`), optionally followed by ", <precision>".
HINTS: tuple[str, ...] = (
    N_("a number"),
    N_("a whole number"),
    N_("a vector of {count} entries, e.g. [1, 2, 3]"),
    N_("a {rows}×{columns} matrix, e.g. [[1, 2], [3, 4]] or [1 2; 3 4]"),
)
_HINT_TEMPLATES = _by_specificity(HINTS)
_WITH_PRECISION = re.compile(r"(?P<hint>.+), (?P<precision>\d+ (?:significant figures?|decimal places?))")


def translate_hint(hint: str, translate: Translate) -> str:
    """An answer box's hint ("a number, 3 significant figures") in the catalog's language; unknown ones as given."""
    if not hint:
        return hint
    with_precision = _WITH_PRECISION.fullmatch(hint)
    if with_precision:
        head = translate_hint(with_precision.group("hint"), translate)
        return f"{head}, {_translate_value('precision', with_precision.group('precision'), translate, False)}"
    for template in _HINT_TEMPLATES:
        match = template.pattern.fullmatch(hint)
        if match:
            return fill(translate(template.text), match.groupdict())
    return hint


def translate_precision(rule: str, translate: Translate) -> str:
    """A digit rule ("3 significant figures", grading.Tolerance.rule) in the catalog's language."""
    return _translate_value("precision", rule, translate, False)
