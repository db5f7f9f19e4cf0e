"""Question text to safe HTML: Markdown, `$...$` / `$$...$$` math as server-side MathML, `{{ name }}` values.

Pure functions, no Flask. Raw HTML in bank text is escaped; math goes through latex2mathml and the MathML
tree is filtered to known elements and attributes before it reaches the page.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from itertools import count
from numbers import Real
from typing import Any

# only builds and serialises latex2mathml's own tree; no XML is ever parsed here
from xml.etree.ElementTree import Element, tostring  # nosec B405

from latex2mathml.converter import convert_to_element
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

from quizserver.grading.format import format_number

# Bump when the HTML a template renders to changes: quiz sync re-renders stored pools.
RENDER_VERSION = 1
PLACEHOLDER: re.Pattern[str] = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")

# MathML presentation elements latex2mathml can produce; anything else makes the formula fall back to source.
_MATHML_ELEMENTS = frozenset(
    "math mrow mi mn mo mtext mspace ms mfrac msqrt mroot mstyle merror mpadded mphantom mfenced menclose "
    "msub msup msubsup munder mover munderover mmultiscripts mprescripts none mtable mtr mtd mlabeledtr "
    "semantics annotation".split()
)
# `href` (from \href) is deliberately absent: a link inside a formula could carry a javascript: URL.
_MATHML_ATTRIBUTES = frozenset(
    "xmlns display mathvariant mathcolor mathbackground mathsize stretchy fence form accent accentunder "
    "displaystyle scriptlevel columnalign columnlines columnspacing rowalign rowlines rowspacing frame "
    "framespacing width height depth lspace rspace voffset minsize maxsize movablelimits largeop symmetric "
    "separator linethickness notation linebreak".split()
)
# latex2mathml writes symbols as numeric character references inside element text.
_ESCAPED_CHAR_REF = re.compile(r"&amp;(#x[0-9A-Fa-f]+;|#[0-9]+;)")


# --------------------------------------------------------------------------- numbers and values


def _number_latex(x: float, sig: int) -> str:
    """format_number's digits, so page and feedback agree, with `e-05` as `\\times 10^{-5}`."""
    text = format_number(x, sig)
    if text == "nan":
        return r"\mathrm{NaN}"
    if text.endswith("inf"):
        return text.replace("inf", r"\infty")
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def _text_latex(text: str) -> str:
    # these four would end the \text group or the surrounding $...$; latex2mathml has no escape for them
    return r"\text{" + re.sub(r"[\\{}$]", "", text) + "}"


def _as_python(value: Any) -> Any:
    """numpy arrays and scalars to the JSON-able values a variant holds."""
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else value


def _scalar(value: Any, sig: int, *, latex: bool) -> str:
    if isinstance(value, bool):
        word = "true" if value else "false"
        return rf"\text{{{word}}}" if latex else word
    if isinstance(value, Real):
        number = float(value)  # format_number starts with float(x) anyway
        return _number_latex(number, sig) if latex else format_number(number, sig)
    if isinstance(value, str):
        return _text_latex(value) if latex else value
    raise TypeError(f"cannot show a value of type {type(value).__name__}")


def _rows(value: list[Any] | tuple[Any, ...]) -> list[list[Any]] | None:
    """The rows of a 2-D nested list, or None for a 1-D list; ValueError for anything deeper or ragged."""
    nested = [isinstance(item, (list, tuple)) for item in value]
    if not any(nested):
        return None
    if not all(nested):
        raise ValueError("a list mixes numbers and lists")
    rows = [list(row) for row in value]
    if any(isinstance(item, (list, tuple)) for row in rows for item in row):
        raise ValueError("only 1-D and 2-D arrays can be shown")
    if len({len(row) for row in rows}) > 1:
        raise ValueError("the rows of a matrix differ in length")
    return rows


def format_latex(value: Any, sig: int = 4) -> str:
    """LaTeX for a variant value: a number, a bool, a 1-D list (column vector) or a 2-D list (matrix)."""
    value = _as_python(value)
    if not isinstance(value, (list, tuple)):
        return _scalar(value, sig, latex=True)
    rows = _rows(value)
    if rows is None:
        body = r"\\".join(_scalar(item, sig, latex=True) for item in value)
    else:
        body = r"\\".join(" & ".join(_scalar(item, sig, latex=True) for item in row) for row in rows)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


def _format_plain(value: Any, sig: int = 4) -> str:
    """The typed form (`[a, b]`, `[[a, b], [c, d]]`) used where LaTeX would show as source, e.g. code."""
    value = _as_python(value)
    if not isinstance(value, (list, tuple)):
        return _scalar(value, sig, latex=False)
    rows = _rows(value)
    if rows is None:
        return "[" + ", ".join(_scalar(item, sig, latex=False) for item in value) + "]"
    return "[" + ", ".join(_format_plain(row, sig) for row in rows) + "]"


# --------------------------------------------------------------------------- math


def _check_mathml(element: Element) -> None:
    for node in element.iter():
        if node.tag not in _MATHML_ELEMENTS:
            raise ValueError(f"unexpected MathML element <{node.tag}>")
        for name in [name for name in node.attrib if name not in _MATHML_ATTRIBUTES]:
            del node.attrib[name]


@lru_cache(maxsize=4096)
def _latex_to_html(latex: str, display: bool) -> str:
    try:
        element = convert_to_element(latex, display="block" if display else "inline")
        _check_mathml(element)
    # latex2mathml raises many unrelated exception types for bad input; one formula must not fail the page
    except Exception:
        return f'<code class="math-error">{escapeHtml(latex)}</code>'
    # tostring escapes every text and attribute; only latex2mathml's numeric character references are restored
    return _ESCAPED_CHAR_REF.sub(r"&\1", tostring(element, encoding="unicode"))


def _render_math(latex: str, options: dict[str, Any]) -> str:
    return _latex_to_html(latex, bool(options.get("display_mode")))


def _build_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    dollarmath_plugin(
        md,
        allow_labels=False,
        allow_blank_lines=False,  # a stray `$$` must not swallow the rest of the text
        double_inline=True,  # `$$...$$` inside a sentence is display math, not `$` + `$...$` + `$`
        renderer=_render_math,
    )
    return md


_MARKDOWN = _build_markdown()


def render_markdown(text: str) -> str:
    """Markdown with `$...$` / `$$...$$` math to an HTML fragment; raw HTML in the text is escaped."""
    return _MARKDOWN.render(text)


# --------------------------------------------------------------------------- placeholders

_MATH_TOKENS = frozenset({"math_inline", "math_inline_double", "math_block", "math_block_label"})


def placeholder_names(template: str) -> set[str]:
    return set(PLACEHOLDER.findall(template))


def _walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


@lru_cache(maxsize=1024)
def _placeholder_contexts(template: str) -> tuple[str, ...]:
    """Where each placeholder sits, in order: "math", "text" (ordinary prose) or "plain" (code, URLs).

    Found by parsing the template with each placeholder replaced by an inert word, so the Markdown and
    math rules decide, not a second hand-written scanner.
    """
    marker = "qzph"
    while marker in template:
        marker += "x"
    counter = count()
    source = PLACEHOLDER.sub(lambda _: f"{marker}{next(counter)}{marker}", template)
    found = re.compile(rf"{marker}(\d+){marker}")
    contexts: dict[int, str] = {}
    for token in _walk(_MARKDOWN.parse(source)):
        if token.type == "inline":
            continue  # its children carry the same text, split by kind
        kind = "math" if token.type in _MATH_TOKENS else "text" if token.type == "text" else "plain"
        for index in found.findall(token.content):
            contexts.setdefault(int(index), kind)
        for attribute in (token.attrs or {}).values():
            for index in found.findall(str(attribute)):
                contexts.setdefault(int(index), "plain")
    total = len(PLACEHOLDER.findall(template))
    return tuple(contexts.get(index, "plain") for index in range(total))


def substitute(template: str, names: Mapping[str, Any]) -> str:
    """Fill every `{{ name }}`: LaTeX inside math, `$LaTeX$` in prose, the typed form inside code.

    An unknown name raises KeyError(name).
    """
    for name in PLACEHOLDER.findall(template):
        if name not in names:
            raise KeyError(name)
    contexts = iter(_placeholder_contexts(template))

    def fill(match: re.Match[str]) -> str:
        value = names[match.group(1)]
        context = next(contexts)
        if context == "math":
            return format_latex(value)
        if context == "text":
            return f"${format_latex(value)}$"
        return _format_plain(value)

    return PLACEHOLDER.sub(fill, template)


def render_template(template: str, names: Mapping[str, Any]) -> str:
    """A question's text or explanation for one variant, as HTML."""
    return render_markdown(substitute(template, names))
