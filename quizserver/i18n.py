"""The interface language (English or German), chosen per reader, and the catalogs that translate it.

The language is the account's setting, else the one picked with the switch at the foot of every page (a
cookie, so it works before logging in), else the browser's Accept-Language, else English. Translations live
in translations/<lang>/LC_MESSAGES/messages.po, the one file a translator edits; the server compiles each
.po into the instance folder when the .po is newer than the compiled copy, so a pulled or edited translation
is live at the next start, a stale .mo can never be served, and no compiled file is kept in the repository.

Dates and times are shown in the course time zone (quizserver/localtime.py) and the reader's language;
the grader's stored feedback is translated when it is shown (quizserver/grading/messages.py).
"""
from __future__ import annotations

import functools
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from babel import Locale
from babel.dates import format_date, format_timedelta
from babel.dates import format_datetime as babel_format_datetime
from babel.messages.extract import extract as extract_messages
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, Flask, current_app, g, redirect, request, url_for
from flask_babel import Babel, force_locale, get_locale, get_translations, gettext
from flask_login import current_user
from jinja2 import pass_context, pass_eval_context
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from markupsafe import Markup
from sqlalchemy import update
from werkzeug.wrappers import Response

from .account_messages import translate_account_message
from .bank.messages import translate_problem, translate_problem_line, translate_summary
from .config import PROJECT_ROOT
from .extensions import db, login_manager
from .grading.locale_numbers import comma_hint_applies, writes_decimal_comma
from .grading.messages import N_, translate_feedback, translate_hint, translate_precision
from .grading.messages import browser_catalog as feedback_catalog
from .localtime import as_utc, course_timezone
from .phrases import translate_phrase

log = logging.getLogger(__name__)

# The interface languages, each named in itself (that is how a reader finds their own in a list).
LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "quiz_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TRANSLATIONS_DIR = PROJECT_ROOT / "translations"
DOMAIN = "messages"

bp = Blueprint("i18n", __name__)
# Said by Flask-Login (quizserver/security.py sets it) and translated through login_manager.localize_callback.
N_("Please log in to see this page.")
babel = Babel()


def supported(language: str | None) -> str | None:
    """The language code if the interface speaks it ('de-AT' and 'DE' count as 'de'), else None."""
    if not language:
        return None
    primary = language.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def choose_language(account: str | None, cookie: str | None, accepted: Iterable[tuple[str, float]]) -> str:
    """Account setting, then the switch's cookie, then the browser's preferences in order of quality."""
    for chosen in (account, cookie):
        if supported(chosen):
            return str(supported(chosen))
    for language, quality in sorted(accepted, key=lambda pair: -pair[1]):
        if quality > 0 and supported(language):
            return str(supported(language))
    return DEFAULT_LANGUAGE


def cli_language(environ: Mapping[str, str] = os.environ) -> str:
    """The CLI's language from the environment, as gettext reads it: LANGUAGE, LC_ALL, LC_MESSAGES, LANG."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        for candidate in value.split(":"):
            if candidate and candidate not in ("C", "POSIX") and not candidate.startswith("C."):
                return supported(candidate) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def select_locale() -> str:
    """Flask-Babel's locale selector: the reader's language, or the CLI's outside a request."""
    forced = g.get("interface_language") if g else None
    if forced:
        return str(forced)
    if not request:
        return cli_language()
    account = getattr(current_user, "language", None) if current_user and current_user.is_authenticated else None
    return choose_language(account, request.cookies.get(LANGUAGE_COOKIE), request.accept_languages)


def current_language() -> str:
    """The language of this request's pages ('en' or 'de')."""
    return _language_of(get_locale())


@functools.cache  # keyed by the locales select_locale returns: one entry per interface language
def _language_of(locale: Locale | None) -> str:
    """A page asks for its language once per number it shows: the locale is named once per language."""
    return supported(str(locale or DEFAULT_LANGUAGE)) or DEFAULT_LANGUAGE


# ---------------------------------------------------------------- catalogs


def stale_catalogs(source: Path, target: Path) -> list[tuple[Path, Path]]:
    """(po, mo) pairs whose compiled copy is missing or older than the .po: what `compile_catalogs` redoes."""
    pairs = []
    for po in sorted(source.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = target / po.relative_to(source).with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            pairs.append((po, mo))
    return pairs


def compile_catalog(po: Path, mo: Path) -> None:
    """Compile one catalog; written beside the target and renamed, so parallel workers never read half a file.

    Fuzzy entries are left out (gettext's own rule): a guessed translation shows the English text instead.
    """
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=po.parent.parent.name, domain=DOMAIN)
    mo.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=mo.parent, prefix=f".{mo.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        os.utime(temporary, (po.stat().st_atime, po.stat().st_mtime))  # compiled copy dated like its source
        os.replace(temporary, mo)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def compile_catalogs(source: Path, target: Path) -> list[Path]:
    """Compile every stale catalog of `source` into `target`; returns the .mo files written."""
    written = []
    for po, mo in stale_catalogs(source, target):
        compile_catalog(po, mo)
        written.append(mo)
    return written


# ---------------------------------------------------------------- switching


def _local_path(target: str | None, fallback: str) -> str:
    """Only a path on this site: the switch must not become an open redirect."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


@bp.post("/language")
def set_language() -> Response:
    """The language switch: remembered in a cookie, and on the account of whoever is logged in."""
    chosen = supported(request.form.get("language"))
    back = _local_path(request.form.get("next"), url_for("quiz.index"))
    response = redirect(back)
    if chosen is None:
        return response
    if current_user.is_authenticated:
        from .models import User

        db.session.execute(update(User).where(User.id == current_user.id).values(language=chosen))
        db.session.commit()
    response.set_cookie(
        LANGUAGE_COOKIE,
        chosen,
        max_age=LANGUAGE_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return response


def _vary_on_language(response: Response) -> Response:
    """A page's words depend on the browser's language and the switch's cookie: caches must know.

    Static files are the same for every reader and stay freely cacheable."""
    if request.endpoint == "static" or response.mimetype not in ("text/html", "application/json"):
        return response
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


# ---------------------------------------------------------------- presentation


def localized_feedback(
    message: str | None, raw_answer: str | None = None, status: str | None = None, *, language: str | None = None
) -> str:
    """A stored grader message in the reader's language; for an answer not right, the decimal-comma note where
    it explains the reading (a German `[0,5, 1]` is three entries)."""
    language = language or current_language()
    text = message or ""
    if language != DEFAULT_LANGUAGE:
        text = translate_feedback(text, gettext)
    if raw_answer is not None and status != "correct" and comma_hint_applies(raw_answer, language):
        hint = gettext(
            "A decimal comma is read only in a single number such as 0,5; inside brackets and in expressions a "
            "comma separates entries, so write decimals there with a point: [0.5, 1.25]."
        )
        text = f"{text} {hint}".strip()
    return text


def localized_account_message(message: Any) -> str:
    """A message of quizserver/accounts.py (a refused password, a roster line) in the reader's language."""
    text = str(message or "")
    return text if current_language() == DEFAULT_LANGUAGE else translate_account_message(text, gettext)


def localized_phrase(phrase: Any, *, language: str | None = None) -> str:
    """A short label from code (quizserver/phrases.py: a mistake, a status) in the reader's language."""
    text = str(phrase or "")
    return text if (language or current_language()) == DEFAULT_LANGUAGE else translate_phrase(text, gettext)


def localized_problem(message: Any) -> str:
    """A bank problem's message (quizserver/bank/messages.py) in the reader's language."""
    text = str(message or "")
    return text if current_language() == DEFAULT_LANGUAGE else translate_problem(text, gettext)


def localized_precision(rule: str | None) -> str:
    """A tolerance's digit rule ("3 significant figures") in the reader's language."""
    text = rule or ""
    return text if current_language() == DEFAULT_LANGUAGE else translate_precision(text, gettext)


def account_message(error: Exception | str) -> str:
    """An account error (quizserver.accounts.AccountError) as the reader reads it: for forms and flashes."""
    return localized_account_message(str(error))


def localized_hint(hint: str | None, *, language: str | None = None) -> str:
    """What an answer box asks for ("a number, 3 significant figures") in the reader's language."""
    if (language or current_language()) == DEFAULT_LANGUAGE:
        return hint or ""
    return translate_hint(hint or "", gettext)


ROLE_NAMES = {"student": N_("student"), "staff": N_("staff"), "instructor": N_("instructor")}


def role_name(role: str | None) -> str:
    """An account's role as the reader says it; an unknown role as stored."""
    name = ROLE_NAMES.get(str(role or ""))
    return gettext(name) if name else str(role or "")


def localized_number(value: Any, language: str | None = None) -> str:
    """A number as shown ('0.5' / '0,5'): the decimal point becomes the reader's decimal sign."""
    text = "" if value is None else str(value)
    if not writes_decimal_comma(language or current_language()) or not re.fullmatch(r"-?\d+(\.\d+)?", text):
        return text
    return text.replace(".", ",")


def cli_text(line: str) -> str:
    """A summary line of `quiz check` / `quiz sync` in the command line's language (LANG and friends)."""
    return translate_summary(line, gettext)


def cli_problem(problem: Any) -> str:
    """A bank problem (quizserver.bank.Problem) as `quiz check` prints it, in the command line's language."""
    return translate_problem_line(str(problem), problem.message, gettext)


_STRFTIME_TO_CLDR = {"%A": "EEEE", "%a": "EEE", "%d": "d", "%e": "d", "%b": "MMM", "%B": "MMMM", "%m": "MM",
                     "%Y": "y", "%y": "yy", "%H": "HH", "%I": "hh", "%M": "mm", "%S": "ss", "%p": "a", "%Z": "z"}
# How a reader of each language writes a day and a time when the template asks for the English default.
_DATE_PATTERNS = {"de": "dd.MM.yyyy"}
_DATETIME_PATTERNS = {"de": "dd.MM.yyyy, HH:mm"}


def cldr_pattern(strftime: str) -> str:
    """A strftime format as a CLDR pattern, so Babel writes the reader's day and month names ('%a %d %b').

    German puts a period after a day number ("Fr. 4. Dez."): a "%d" followed by a space becomes "d.".
    """
    out, literal, index = [], "", 0
    while index < len(strftime):
        token = strftime[index:index + 2]
        if token in _STRFTIME_TO_CLDR:
            if literal:
                out.append("'" + literal.replace("'", "''") + "'" if any(c.isalpha() for c in literal) else literal)
                literal = ""
            out.append(_STRFTIME_TO_CLDR[token])
            index += 2
        else:
            literal += strftime[index]
            index += 1
    if literal:
        out.append("'" + literal.replace("'", "''") + "'" if any(c.isalpha() for c in literal) else literal)
    return "".join(out)


def _german_days(pattern: str) -> str:
    """German writes a period after the day's number and a comma after a weekday: "Fr., 4. Dez."."""
    return re.sub(r"(?<![dM])d(?=[ ,])", "d.", pattern).replace("EEE ", "EEE, ").replace("EEEE, ", "EEEE, ")


def localized_day(value: date | datetime | None, fmt: str = "%a %d %b %Y") -> str:
    """A calendar day ('Fri 04 Dec 2026' / 'Fr., 4. Dez. 2026'): `fmt` is the English strftime format."""
    if value is None:
        return ""
    language = current_language()
    if language == DEFAULT_LANGUAGE:
        return value.strftime(fmt)
    day = value.date() if isinstance(value, datetime) else value
    return format_date(day, _german_days(cldr_pattern(fmt)), locale=language)


def _localized_datetime(original: Callable[..., str]) -> Callable[..., str]:
    """The course-zone time filter, in the reader's language: English keeps the original's format."""

    def localtime_filter(dt: datetime | None, zone: bool = True, fmt: str | None = None) -> str:
        language = current_language()
        if dt is None:
            return ""
        if language == DEFAULT_LANGUAGE:
            return original(dt, zone=zone) if fmt is None else original(dt, zone=zone, fmt=fmt)
        tz = _course_zone()
        default = _DATETIME_PATTERNS.get(language, "yyyy-MM-dd HH:mm")
        pattern = default if fmt is None else _german_days(cldr_pattern(fmt))
        pattern += " z" if zone else ""
        return babel_format_datetime(as_utc(dt), pattern, tzinfo=tz, locale=language)

    return localtime_filter


def _localized_date(original: Callable[[datetime | None], str]) -> Callable[[datetime | None], str]:
    """The course-zone day filter ('2026-11-03'), as the reader writes a day ('03.11.2026')."""

    def localdate_filter(dt: datetime | None) -> str:
        language = current_language()
        if dt is None or language == DEFAULT_LANGUAGE:
            return original(dt)
        day = as_utc(dt).astimezone(_course_zone()).date()
        return format_date(day, _DATE_PATTERNS.get(language, "yyyy-MM-dd"), locale=language)

    return localdate_filter


def _localized_fromnow(original: Callable[[datetime | None], str]) -> Callable[[datetime | None], str]:
    """'in 2 days' / 'in 2 Tagen': a relative time in the reader's language."""

    def fromnow_filter(dt: datetime | None) -> str:
        language = current_language()
        if dt is None or language == DEFAULT_LANGUAGE:
            return original(dt)
        delta = as_utc(dt) - datetime.now(UTC)
        if abs(delta.total_seconds()) < 60:
            return gettext("in less than a minute") if delta.total_seconds() >= 0 else gettext("just now")
        return format_timedelta(delta, add_direction=True, locale=language, threshold=1.0)

    return fromnow_filter


def _course_zone() -> Any:
    return course_timezone(current_app.config)


def script_messages(static: Path) -> tuple[str, ...]:
    """The strings the scripts in `static` pass to gettext(...), read as `pybabel extract` reads them."""
    found: list[str] = []
    for script in sorted(static.glob("*.js")):
        with script.open("rb") as fh:
            for _line, message, _comments, _context in extract_messages("javascript", fh, keywords={"gettext": None}):
                if isinstance(message, str) and message not in found:
                    found.append(message)
    return tuple(found)


def browser_catalog() -> dict[str, Any]:
    """The translations the page's scripts need (quizserver/static/i18n.js); empty for English."""
    if current_language() == DEFAULT_LANGUAGE:
        return {}
    messages = current_app.extensions.get("quiz_script_messages", ())
    return {"strings": {m: gettext(m) for m in messages}, "feedback": feedback_catalog(gettext)}


def page_translations() -> dict[str, Any]:
    """`_`, `gettext` and `ngettext` for one rendering, bound to the reader's catalog.

    Flask-Babel's template functions look the catalog up again for every string, through three lookups of
    the request's context; a page shows dozens of strings, so a rendering looks it up once (a context
    processor runs once per render_template). They behave as Jinja's "newstyle" gettext that Flask-Babel
    installs: the translation is escaped as markup and %-formatted with the keyword arguments, escaped.
    Templates imported without context (macros) keep Flask-Babel's own functions, which say the same."""
    catalog = get_translations()

    @pass_eval_context
    def page_gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
        text = _translated(catalog.ugettext(string), eval_ctx)
        if not variables and "%" not in text:  # a plain label ("Check"): nothing to format
            return text
        return text % variables

    @pass_eval_context
    def page_ngettext(eval_ctx: EvalContext, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        return _translated(catalog.ungettext(singular, plural, num), eval_ctx) % variables

    return {"_": page_gettext, "gettext": page_gettext, "ngettext": page_ngettext}


def _translated(text: str, eval_ctx: EvalContext) -> str:
    """A catalog's words are the project's own markup (translations/*.po), as Jinja's gettext treats them; the
    values formatted into them are escaped by Markup's `%`."""
    return Markup(text) if eval_ctx.autoescape else text  # nosec B704: the catalog is ours, not user input


@pass_context
def _number_filter(context: Context, value: Any) -> str:
    """`|num`: the page's language is in its context (`current_language`), named once per rendering."""
    return localized_number(value, context.get("current_language"))


def _in_page_language(localize: Callable[..., str]) -> Callable[..., str]:
    """A filter that takes the page's language from its rendering (`current_language`, named once per rendering),
    as `|num` does, instead of asking Flask-Babel again for every value it shows."""

    @pass_context
    def localized(context: Context, value: Any, *args: Any) -> str:
        return localize(value, *args, language=context.get("current_language"))

    return localized


def _template_globals() -> dict[str, Any]:
    return {
        "current_language": current_language(),
        "interface_languages": LANGUAGES,
        "browser_catalog": browser_catalog,
        **page_translations(),
    }


def install(app: Flask) -> None:
    """Flask-Babel with the reader's language, compiled catalogs, the switch and the localized filters.

    Call after the course-time filters are installed (localtime.install_filters): they are wrapped here.
    """
    target = Path(app.instance_path) / "translations"
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(target))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    try:
        compile_catalogs(TRANSLATIONS_DIR, target)
    except OSError as error:  # a read-only instance folder: serve the copy compiled at deployment
        log.warning("could not compile the translations into %s: %s", target, error)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: _course_zone().key)
    # {% trans %} blocks may wrap like the HTML around them: their whitespace is one space (babel.cfg: trimmed)
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.register_blueprint(bp)
    login_manager.localize_callback = gettext  # "Please log in to see this page." (security.py) in the reader's words
    app.extensions["quiz_script_messages"] = script_messages(Path(app.static_folder or ""))
    app.after_request(_vary_on_language)
    app.context_processor(_template_globals)
    filters = app.jinja_env.filters
    if "localtime" in filters:
        filters["localtime"] = _localized_datetime(filters["localtime"])
    if "fromnow" in filters:
        filters["fromnow"] = _localized_fromnow(filters["fromnow"])
    if "localdate" in filters:
        filters["localdate"] = _localized_date(filters["localdate"])
    filters["day"] = localized_day
    filters["num"] = _number_filter
    filters["feedback"] = _in_page_language(localized_feedback)
    filters["account_message"] = localized_account_message
    filters["phrase"] = _in_page_language(localized_phrase)
    filters["author_problem"] = localized_problem
    filters["precision"] = localized_precision
    filters["answer_hint"] = _in_page_language(localized_hint)
    filters["role_name"] = role_name


__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_COOKIE",
    "choose_language",
    "cli_language",
    "compile_catalogs",
    "current_language",
    "force_locale",
    "install",
    "localized_feedback",
    "select_locale",
    "stale_catalogs",
    "supported",
]
