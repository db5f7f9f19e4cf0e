"""Literal interface text in Jinja templates that is not marked for translation.

A template's words belong inside `{{ _('...') }}` or `{% trans %}`; what is left after removing every Jinja
construct is markup, punctuation and symbols. This finds the words that are left: in text between tags and
in the attributes a person reads or hears (title, aria-label, placeholder, alt, a button's value).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from jinja2 import Environment

SPOKEN_ATTRIBUTES = frozenset({"title", "aria-label", "placeholder", "alt", "aria-description", "aria-roledescription",
                               "aria-valuetext", "data-label"})
# A stand-in for a Jinja construct: no letters, so it never counts as text.
MARK = "\u2063"
WORD = re.compile(r"[^\W\d_]{2,}")
# Words that read the same in English and German, or are names rather than words.
SAME_IN_BOTH = frozenset({"quizserver", "CSV", "LTI", "JSON", "ID", "URL", "LMS", "PNG", "SVG", "OK", "ReLU",
                          "nan", "inf", "pi", "sqrt", "exp", "log", "sin", "cos", "tan", "tanh", "abs", "e.g",
                          "JWKS", "PEM", "RSA", "ISO", "UTC", "API", "Moodle", "Canvas", "Ilias", "ILIAS", "OpenID",
                          "Deutsch", "English", "Email", "Admin", "Status"})


@dataclass(frozen=True)
class Literal:
    line: int
    text: str


def _source_without_jinja(source: str, env: Environment) -> tuple[str, list[int]]:
    """The template as plain HTML with each Jinja construct replaced by MARK, and the line of each character.

    Text inside {% trans %} ... {% endtrans %} is translated: it is replaced too. So is the content of a block
    named like `main_class`: a class name for the markup, not words.
    """
    out: list[str] = []
    lines: list[int] = []
    in_trans = 0
    expect_name = False
    block_name_next = False
    in_class_block = False
    for lineno, token, value in env.lex(source):
        if token == "block_begin":
            expect_name = True
            out.append(MARK)
            lines.append(lineno)
            continue
        if block_name_next and token == "name":
            in_class_block = value.endswith("_class")
            block_name_next = False
            continue
        if expect_name and token == "name":
            if value in ("trans", "pluralize"):
                in_trans += 1 if value == "trans" else 0
            elif value == "endtrans":
                in_trans = max(0, in_trans - 1)
            elif value == "block":
                block_name_next = True
            elif value == "endblock":
                in_class_block = False
            expect_name = False
            continue
        if token == "data" and in_class_block:
            out.append(MARK)
            lines.append(lineno)
            continue
        if token == "data" and not in_trans:
            out.append(value)
            lines.extend([lineno] * len(value))
            continue
        if token == "data":
            out.append(MARK)
            lines.append(lineno)
    return "".join(out), lines


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[tuple[int, int], str]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        for name, value in attrs:
            spoken = name in SPOKEN_ATTRIBUTES or (
                name == "value" and tag in ("input", "button") and values.get("type") in ("submit", "button", "reset")
            )
            if spoken and value:
                self.found.append((self.getpos(), value))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.found.append((self.getpos(), data))


def untranslated_literals(source: str, env: Environment | None = None) -> list[Literal]:
    """Each run of interface text in the template that is not marked for translation, with its line."""
    env = env or Environment(extensions=["jinja2.ext.i18n"])
    html, _ = _source_without_jinja(source, env)
    collector = _Collector()
    collector.feed(html)
    collector.close()
    literals = []
    for (line, _column), text in collector.found:
        words = [w for w in WORD.findall(text) if w not in SAME_IN_BOTH]
        if words:
            literals.append(Literal(line, " ".join(text.replace(MARK, "…").split())))
    return literals
