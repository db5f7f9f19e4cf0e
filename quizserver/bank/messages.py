"""What `quiz check` and `quiz sync` tell an author, as translatable templates.

The validator and the verifier write their problems in English (they are stored with a bank's sync status
and compared in tests); the command line shows each in the reader's language by matching it against these
templates (marked with `N_` for `pybabel extract`) and filling the translation with the values read back.
A problem no template matches (an exception raised by the author's own code) is shown as written.
Pure: the caller passes its gettext.
"""
from __future__ import annotations

from quizserver.grading.messages import N_, Translate, WholeMessages

PROBLEMS: tuple[str, ...] = (
    # fields.py
    N_("unknown key '{key}', did you mean '{other}'?"),
    N_("unknown key '{key}'; valid keys are {keys}"),
    N_("{key} must be a whole number, got {found}"),
    N_("{key} must be a number, got {found}"),
    N_("{key} must be text, got {found}"),
    N_("{key} must not be empty"),
    N_("{key} must be true or false, got {found}"),
    N_("{key} must be Python code written as text, got {found}"),
    N_("import statements are not allowed"),
    N_("{key} must be a mapping such as {example}, got {found}"),
    N_("missing required key '{key}'"),
    N_("missing required key '{key}' (it computes a {kind} answer)"),
    N_("{key} has no time of day; taken as {value}"),
    N_("syntax error in {key}: {error}"),
    N_("{key} cannot be read as Python: {error}"),
    N_("{key} must be a date and time such as 2026-05-01T23:59:00+02:00, got {found}"),
    # files.py
    N_("YAML error: {error}"),
    N_("the YAML is nested too deeply"),
    N_("cannot read the file: {error}"),
    N_("the file is not UTF-8 text (byte {byte})"),
    # keys.py
    N_("parameter name {found} must be a Python name such as x or W1"),
    N_("parameter '{name}' must be a mapping such as {example} (or a plain number, a constant), got {found}"),
    N_("parameter '{name}' needs one of {kinds}"),
    N_("parameter '{name}' has {kinds}; give exactly one of them"),
    N_("normal for '{name}' has sigma {value}; sigma must be zero or more"),
    N_("{kind} for '{name}' has low {low} above high {high}"),
    N_("shape for '{name}' must be a positive whole number or a list of them, got {found}"),
    N_("check takes either gradient_of with wrt, or equals, not both"),
    N_("a tolerance of zero matches almost nothing: computed answers are rarely exact; give rtol and/or atol above "
       "zero"),
    N_("tolerance {key} stands alone; remove {others}"),
    N_("answer must be {usage}, got {found}"),
    N_("any_of names the same key twice"),
    N_("answer must name a solution's variable such as y or dW1, got {found}"),
    N_("choices must be a list of at least two choices, got {found}"),
    N_("choices are lettered a to z, so at most 26; got {count}"),
    N_("a single_choice question needs exactly one correct choice, got {count}"),
    N_("a multiple_choice question needs at least one correct choice"),
    N_("a multiple_choice question needs at least one choice that is not correct"),
    N_("parameter name '{name}' must not start with '_'"),
    N_("choice for '{name}' must be a list of numbers, got {found}"),
    N_("choice for '{name}' must list only numbers, got {found}"),
    N_("check needs gradient_of with wrt, or equals"),
    N_("wrt must be a parameter name, got {found}"),
    N_("any_of must list the names of the acceptable keys, got {found}"),
    N_("choice {number} must be a mapping, got {found}"),
    N_("choice {number} has no feedback explaining why it is wrong"),
    N_("parameter name '{name}' is reserved; choose another name"),
    N_("wrt '{name}' is not a parameter of this question (those are: {names})"),
    N_("missing required key 'gradient_of' (the expression to differentiate)"),
    N_("missing required key 'wrt' (the parameter to differentiate by)"),
    # pool.py
    N_("variant {number} (seed {seed}) cannot be shown: {error}"),
    # questions.py
    N_("the file is empty; a bank starts with 'version: 1'"),
    N_("a bank must be a mapping with version, week, title and questions, got {found}"),
    N_("closes ({closes}) must be after opens ({opens})"),
    N_("questions must be a list of questions, got {found}"),
    N_("questions must list at least one question"),
    N_("question {number} must be a mapping with id, type, points and text, got {found}"),
    N_("parts must be a list of at least one part, got {found}"),
    N_("parts are lettered a to z, so at most {limit}; got {count}"),
    N_("part {label} must be a mapping with id, type, points and text, got {found}"),
    N_("the text shows {name}, the answer of part '{part}', before any part is answered"),
    N_("duplicate key '{key}'; it was already given on line {line} and YAML keeps only the last"),
    N_("a gradient has one value, so it cannot check alternative keys (any_of); use equals"),
    N_("solution never assigns answer; end it with a line such as answer = ..."),
    N_("solution never assigns {name}, named by answer"),
    N_("after must name an earlier part of this question (those are: {names}), got {found}"),
    N_("the text shows {name}, the answer of part '{part}': add after: {other} so this part stays hidden until "
       "that one is solved or its solution shown"),
    N_("duplicate {noun} '{name}'; already used on line {line}"),
    N_("type must be one of {types}, got {found}"),
    N_("{what} must be text such as mlp-backprop, got {found}"),
    N_("{what} {name} may use only lowercase letters, digits, '-' and '_', and must start with a letter or digit"),
    N_("{kind} questions take no {key}; {note}"),
    N_("{key} is only for {owners} questions"),
    N_("{key} are only for {owners} questions"),
    N_("unknown type '{name}', did you mean '{other}'?"),
    N_("unknown type '{name}'"),
    N_("version must be {supported}, got {found}"),
    N_("unknown name '{name}' in {key}"),
    # validate.py
    N_("week {week} is also defined in {where}"),
    # verify.py
    N_("rtol has no effect where the key is 0 (seed {seed}): set atol as well"),
    N_("variants were not run ({counts})"),
    N_("{key} lists no acceptable key (seed {seed})"),
    N_("the key as shown to students ({shown}) does not grade correct: the tolerance is tighter than the shown "
       "precision (seed {seed})"),
    N_("the key {label} still grades correct (seed {seed}): the tolerance is too loose to tell this classic mistake "
       "apart"),
    N_("the key transposed still grades correct (seed {seed}): the tolerance is too loose"),
    N_("with any_of, {what} must give the list of the {count} acceptable keys (seed {seed})"),
    N_("answer has shape {shape} but {what} has shape {other} (seed {seed})"),
    N_("{what} is not finite (seed {seed})"),
    N_("{what} is not a number or an array of numbers (seed {seed})"),
    N_("{what} must be a number or an array of numbers (seed {seed})"),
    N_("the rounding check could not run in {count} of {total} variants: {error} (first seed {seed})"),
    # checking.py
    N_("no bank files (*.yaml, *.yml) found"),
)

# How a wrong value is named inside a problem (fields.found), and the check's summary lines.
PHRASES: tuple[str, ...] = (
    N_("nothing"),
    N_("a mapping"),
    N_("a list of {count} items"),
    N_("the date and time {value}"),
    N_("the date {value}"),
    N_("mark the right choices with correct: true"),
)

SUMMARIES: tuple[str, ...] = (
    N_("ok: {banks} banks, {questions} questions, {errors} errors, {warnings} warnings; {variants} variants: "
       "{ran} ran, {failed} failed, {not_run} not run"),
    N_("FAILED: {banks} banks, {questions} questions, {errors} errors, {warnings} warnings; {variants} variants: "
       "{ran} ran, {failed} failed, {not_run} not run"),
    N_("random variants drawn from --seed {seed}"),
    N_("{variants} variants of {questions} questions: {ran} ran, {failed} failed, {not_run} not run"),
    N_("{path}: week {week}: new"),
    N_("{path}: week {week}: unchanged"),
    N_("{path}: week {week}: refused"),
)

_NUMBERS = {name: r"\d+" for name in ("seed", "line", "count", "number", "total", "limit", "week", "banks",
                                      "questions", "errors", "warnings", "variants", "ran", "failed", "not_run")}

PROBLEM_MESSAGES = WholeMessages.of(PROBLEMS, PHRASES, _NUMBERS, phrase_places={"found", "note"})
SUMMARY_LINES = WholeMessages.of(SUMMARIES, (), _NUMBERS, phrase_places=())

# Said in front of a warning's message in `quiz check` (an error has no word in front).
WARNING = N_("warning")


def translate_problem(message: str, translate: Translate) -> str:
    """An author's problem in the catalog's language; unknown ones (the author's code's own errors) as written."""
    return PROBLEM_MESSAGES.translate(message, translate)


def translate_summary(line: str, translate: Translate) -> str:
    """A summary line of `quiz check` or `quiz sync` in the catalog's language."""
    return SUMMARY_LINES.translate(line, translate)


def translate_problem_line(line: str, message: str, translate: Translate) -> str:
    """A problem as `quiz check` prints it (`path:line: question: warning: message`), in the catalog's language.

    `line` is the problem's English text (`str(problem)`), which ends with its message.
    """
    head = line[: len(line) - len(message)] if line.endswith(message) else ""
    if head.endswith(" warning: "):
        head = f"{head[: -len(' warning: ')]} {translate(WARNING)}: "
    return head + translate_problem(message, translate) if head or line == message else line
