"""The German translation is complete: every string has one, every word of a template is marked, and every
page renders in both languages without English interface text on the German one."""
from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from quizserver.accounts import create_user
from quizserver.banksync import sync_banks
from quizserver.config import PROJECT_ROOT
from quizserver.extensions import db
from quizserver.models import User
from tests.conftest import PASSWORD, csrf_token
from tests.unit.template_text import untranslated_literals
from tests.web.helpers import answer as post_answer

GERMAN_PO = PROJECT_ROOT / "translations" / "de" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None,
            "pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3)}
GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
_PERCENT = re.compile(r"%\((\w+)\)[sd]")
_BRACES = re.compile(r"\{(\w+)\}")


@pytest.fixture(scope="module")
def german() -> Catalog:
    with GERMAN_PO.open("rb") as fh:
        return read_po(fh, locale="de")


def _forms(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _extracted() -> dict[str, list[str]]:
    """msgid -> where it is used, read from the code and templates as `pybabel extract -F babel.cfg` does."""
    with (PROJECT_ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def test_every_string_has_a_german_translation(german: Catalog) -> None:
    missing = [m.id for m in german if m.id and not all(_forms(m.string))]
    fuzzy = [m.id for m in german if m.id and m.fuzzy]
    assert not missing, f"{len(missing)} strings have no German translation: {missing[:20]}"
    assert not fuzzy, f"{len(fuzzy)} German translations are marked fuzzy (guessed): {fuzzy[:20]}"


def test_the_catalog_holds_every_string_of_the_code_and_the_templates(german: Catalog) -> None:
    known = {(m.id if isinstance(m.id, str) else m.id[0]) for m in german if m.id}
    absent = {msgid: where for msgid, where in _extracted().items() if msgid not in known}
    assert not absent, (
        "strings not in translations/de/LC_MESSAGES/messages.po (run the pybabel extract and update commands "
        f"of docs/translations.md and translate them): {list(absent.items())[:20]}"
    )


def test_translations_keep_every_placeholder(german: Catalog) -> None:
    wrong = []
    for m in german:
        if not m.id:
            continue
        for msgid, msgstr in zip(_forms(m.id) * 2, _forms(m.string), strict=False):
            for pattern in (_PERCENT, _BRACES):
                if set(pattern.findall(msgid)) != set(pattern.findall(msgstr)):
                    wrong.append((msgid, msgstr))
    assert not wrong, wrong[:10]


TEMPLATES = sorted((PROJECT_ROOT / "templates").rglob("*.html"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(PROJECT_ROOT / "templates")))
def test_every_word_of_a_template_is_marked_for_translation(template: Path) -> None:
    literals = untranslated_literals(template.read_text(encoding="utf-8"))
    assert not literals, "\n".join(f"{template.name}:{lit.line}: {lit.text!r}" for lit in literals)


# Calls whose string arguments a person reads: they must be translated (gettext / lazy_gettext), not literals.
_READ_BY_PEOPLE = {"flash": (0,), "abort": (1,)}
_FIELD = re.compile(r"^[A-Z]\w*Field$")
_READ_KEYWORDS = {"label", "description", "message", "render_kw"}


def _is_literal_text(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(re.search(r"[A-Za-z]{2,}", node.value))
    return isinstance(node, ast.JoinedStr)


def _untranslated_calls(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        positions = _READ_BY_PEOPLE.get(name, (0,) if _FIELD.match(name) else ())
        for index in positions:
            if index < len(node.args) and _is_literal_text(node.args[index]):
                found.append((node.lineno, f"{name}(...) with literal text"))
        if _FIELD.match(name) or name in ("Length", "DataRequired", "EqualTo", "Email", "InputRequired",
                                          "NumberRange", "Regexp", "Optional"):
            for keyword in node.keywords:
                if keyword.arg in ("description", "message", "label") and _is_literal_text(keyword.value):
                    found.append((node.lineno, f"{name}({keyword.arg}=...) with literal text"))
    return found


PYTHON = sorted(p for p in (PROJECT_ROOT / "quizserver").rglob("*.py") if "sandbox" not in p.parts)


@pytest.mark.parametrize("module", PYTHON, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_flash_abort_and_form_texts_are_translated(module: Path) -> None:
    found = _untranslated_calls(module.read_text(encoding="utf-8"))
    assert not found, "\n".join(f"{module.relative_to(PROJECT_ROOT)}:{line}: {what}" for line, what in found)


class _Text(HTMLParser):
    """The words a reader sees or hears: text outside scripts and styles, and the spoken attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code"):  # code: file names, identifiers, commands, what was typed
            self._skip += 1
        if tag == "math":  # a formula's spoken name is the bank's content, named when the bank is synced
            return
        for name, value in attrs:
            if name in ("title", "aria-label", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def _english_only(german: Catalog) -> list[str]:
    """English interface sentences whose German differs: none of them may show on a German page."""
    strings = []
    for m in german:
        msgid = m.id if isinstance(m.id, str) else (m.id[0] if m.id else "")
        msgstr = m.string if isinstance(m.string, str) else (m.string[0] if m.string else "")
        if msgid and msgstr and msgstr != msgid and " " in msgid.strip() and len(msgid) >= 12 and "%(" not in msgid \
                and "{" not in msgid:
            strings.append(msgid)
    return strings


# Arguments for the URL rules: every GET page gets rendered with these.
def _arguments(ids: dict[str, int]) -> dict[str, object]:
    return {"week": 1, "question_id": "half", "user_id": ids["student"], "token": "not-a-real-token",
            "launch_id": "unknown", "name": "missing.png", "item_id": 1}


_NOT_PAGES = {"static", "lti.static", "healthz", "ping", "lti.jwks", "lti.login"}


def _log_in(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302
    return client


GERMAN_BANKS = PROJECT_ROOT / "tests" / "e2e" / "banks_german"  # a German course: its own words are German


@pytest.fixture
def german_course(make_app: Callable[..., Flask]) -> Flask:
    app = make_app(QUESTIONS_DIR=str(GERMAN_BANKS), COURSE_TITLE="Einführung in Deep Learning")
    with app.app_context():
        report = sync_banks([GERMAN_BANKS], variants=2)
        assert report.ok, [str(p) for f in report.files for p in f.problems]
        db.session.commit()
    return app


# Words of English interface text that are no German words: on a German page of a German course, any of
# them is interface text someone forgot to translate.
ENGLISH_WORDS = frozenset("""
the you your yours are were not and of to this that these with for has have yet answer answers question
questions week weeks points attempt attempts solution solutions review account password sign score
scores progress student students staff opens closes closed due today none show shows hide numbers check
try again back next previous page download upload users role save change delete remove left right wrong
correct incorrect could would should there their them they what when which who why how any every each
only than then from into onto about after before until while where here no yes more less most least
one two three first last new all some other same such its our out off over under between
""".split())
# Names that are English words but no interface text: the LTI service's name, a course title.
PROPER_NAMES = ("Assignment and Grade Services", "Deep Learning")
_WORDS = re.compile(r"[A-Za-z][a-z]+")


def english_words(text: str) -> list[str]:
    for name in PROPER_NAMES:
        text = text.replace(name, "")
    return sorted({w for w in _WORDS.findall(text) if w.lower() in ENGLISH_WORDS})


def _account(app: Flask, email: str, role: str, name: str) -> User:
    with app.app_context():
        user = create_user(email, PASSWORD, role=role, name=name)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        return user


@pytest.fixture
def readers(german_course: Flask) -> Iterator[dict[str, tuple[FlaskClient, int]]]:
    app = german_course
    # names and addresses without English words: any English on a German page is then the interface's
    student = _account(app, "lena@uni.example", "student", "Lena Lernfreudig")
    staff = _account(app, "tobias@uni.example", "staff", "Tobias Tutor")
    instructor = _account(app, "ines@uni.example", "instructor", "Ines Lehrerin")
    clients = {"anonymous": (app.test_client(), 0)}
    for role, user in (("student", student), ("staff", staff), ("instructor", instructor)):
        clients[role] = (_log_in(app, user), user.id)
    student_client = clients["student"][0]
    student_client.get("/weeks/1")
    post_answer(student_client, 1, "half", "-0.5")  # something to show: graded attempts with feedback
    post_answer(student_client, 1, "outer", "[1, 2")
    yield clients


def _pages(app: Flask, ids: dict[str, int]) -> list[str]:
    arguments = _arguments(ids)
    urls = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()) or rule.endpoint in _NOT_PAGES:
                continue
            missing = [name for name in rule.arguments if name not in arguments]
            assert not missing, f"add an example value for {missing} of {rule.rule} to _arguments"
            urls.append(url_for(rule.endpoint, **{name: arguments[name] for name in rule.arguments}))
    return sorted(set(urls)) + ["/no-such-page"]


def test_every_page_renders_in_both_languages(german_course: Flask, readers, german: Catalog) -> None:
    app = german_course
    ids = {role: user_id for role, (_, user_id) in readers.items()}
    english = _english_only(german)
    problems = []
    rendered = 0
    # one language at a time: a flash is said in the language of the request that made it
    for language, headers in (("de", GERMAN), ("en", ENGLISH)):
        for url in _pages(app, ids):
            for role, (client, _) in readers.items():
                response = client.get(url, headers=headers)
                try:
                    if response.status_code >= 500:
                        problems.append(f"{role} {url} [{language}]: {response.status_code}")
                        continue
                    if response.mimetype != "text/html" or 300 <= response.status_code < 400:
                        continue
                    html = response.get_data(as_text=True)
                finally:
                    response.close()  # a streamed export holds its request context until closed
                rendered += 1
                if f'<html lang="{language}">' not in html:
                    problems.append(f"{role} {url} [{language}]: <html lang> is not {language}")
                if language == "de":
                    text = visible_text(html)
                    shown = [msgid for msgid in english if msgid in text]
                    if shown:
                        problems.append(f"{role} {url} [de]: English text {shown[:3]}")
                    words = english_words(text)
                    if words:
                        where = [text[max(0, m.start() - 50):m.end() + 50] for w in words[:3]
                                 for m in [re.search(rf"\b{w}\b", text)] if m]
                        problems.append(f"{role} {url} [de]: English words {words[:12]} in {where}")
    assert not problems, "\n".join(problems)
    assert rendered > 40
