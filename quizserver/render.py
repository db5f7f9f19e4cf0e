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

from quizserver.figures import INLINE_IMAGE, ShownImage, image_tag
from quizserver.grading.format import format_number

# bump when the HTML a template renders to changes: quiz sync re-renders stored pools
RENDER_VERSION = 2
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
    "separator linethickness notation linebreak alttext aria-label encoding".split()
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


# --------------------------------------------------------------------------- math in words
# A spoken name for a formula, for screen readers and browsers without MathML: the common constructs of
# the course's LaTeX, read the way a teacher would say them. Anything else gives None, and the caller
# falls back to the LaTeX source.

_GREEK = frozenset(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau "
    "upsilon phi chi psi omega".split()
)
_VARIANTS = {"varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi", "varrho": "rho", "varsigma": "sigma"}
_SYMBOLS = {
    "partial": "partial", "nabla": "nabla", "infty": "infinity", "ell": "ell", "top": "transpose",
    "dots": "dot dot dot", "ldots": "dot dot dot", "cdots": "dot dot dot", "prime": "prime",
    "times": "times", "cdot": "dot", "odot": "elementwise times", "otimes": "circle times", "circ": "composed with",
    "ast": "star", "pm": "plus or minus", "mp": "minus or plus", "div": "divided by",
    "le": "less than or equal to", "leq": "less than or equal to", "ge": "greater than or equal to",
    "geq": "greater than or equal to", "ne": "not equal to", "neq": "not equal to", "approx": "approximately equals",
    "equiv": "is equivalent to", "propto": "proportional to", "sim": "distributed as", "in": "in",
    "notin": "not in", "subset": "subset of", "subseteq": "subset of or equal to", "cup": "union",
    "cap": "intersection", "to": "to", "rightarrow": "to", "leftarrow": "gets", "mapsto": "maps to",
    "implies": "implies", "iff": "if and only if", "mid": "given", "forall": "for all", "exists": "there exists",
    "lVert": "norm of", "rVert": "end norm", "Vert": "double bar", "|": "double bar", "lvert": "vertical bar",
    "rvert": "vertical bar", "lfloor": "floor of", "rfloor": "end floor", "lceil": "ceiling of",
    "rceil": "end ceiling", "langle": "open angle", "rangle": "close angle", "{": "open brace", "}": "close brace",
    "log": "log", "ln": "natural log", "exp": "exp", "sin": "sine", "cos": "cosine", "tan": "tangent",
    "tanh": "tanh", "sigmoid": "sigmoid", "det": "determinant", "arg": "arg", "lim": "limit",
    "quad": ",", "qquad": ",", "%": "percent", "$": "dollar", "_": "underscore", "#": "number sign",
}
_CHARACTERS = {
    "+": "plus", "-": "minus", "=": "equals", "<": "less than", ">": "greater than", "/": "over",
    "*": "star", "!": "factorial", "'": "prime", "|": "vertical bar", "(": "open paren", ")": "close paren",
    "[": "open bracket", "]": "close bracket", ",": ",", ";": ";", ":": ":", ".": ".",
}
_LARGE_OPERATORS = {"sum": "sum", "prod": "product", "max": "max", "min": "min", "argmax": "arg max",
                    "argmin": "arg min"}
_ACCENTS = {"hat": "hat", "widehat": "hat", "tilde": "tilde", "widetilde": "tilde", "bar": "bar",
            "overline": "bar", "vec": "vector", "dot": "dot", "ddot": "double dot"}
_FONTS = {"mathbf": "bold", "boldsymbol": "bold", "bm": "bold", "mathcal": "script", "mathscr": "script",
          "mathit": "", "mathsf": "", "mathnormal": ""}
_TEXTS = frozenset("text textrm texttt textbf textit textsf mathrm operatorname mbox".split())
_DOUBLE_STRUCK = {"R": "the real numbers", "E": "expectation", "1": "indicator", "N": "the natural numbers",
                  "Z": "the integers"}
_FRACTIONS = frozenset("frac tfrac dfrac cfrac".split())
_IGNORED = frozenset(
    "left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr middle displaystyle textstyle scriptstyle "
    "limits nolimits , ; : ! > mathrel mathbin mathop mathord".split()
) | {" "}
_MATRICES = {"bmatrix": "matrix", "pmatrix": "matrix", "matrix": "matrix", "Bmatrix": "matrix",
             "vmatrix": "determinant", "smallmatrix": "matrix"}
_TABLES = frozenset("array aligned align align* cases gathered split".split())
_LATEX_TOKEN = re.compile(r"\\[A-Za-z]+\*?|\\.|\d+(?:\.\d+)?|\.\d+|\s+|.", re.DOTALL)


class _Unspoken(Exception):
    """A construct the word reader does not know: the formula keeps its LaTeX source as its name."""


class _Phrase:
    """Words for a piece of a formula, and whether it is one symbol (so `a over b` needs no brackets)."""

    def __init__(self, words: list[str], atoms: int) -> None:
        self.words = words
        self.atoms = atoms

    @property
    def simple(self) -> bool:
        return self.atoms <= 1

    def text(self) -> str:
        return " ".join(self.words)


class _WordReader:
    def __init__(self, latex: str) -> None:
        self.tokens = [t.rstrip() if t.startswith("\\") and len(t) > 2 else t for t in _LATEX_TOKEN.findall(latex)]
        self.tokens = [t for t in self.tokens if t and not t.isspace()]
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise _Unspoken("the formula ends too early")
        self.at += 1
        return token

    def expect(self, token: str) -> None:
        if self.take() != token:
            raise _Unspoken(f"expected {token}")

    def sequence(self, stops: frozenset[str] = frozenset()) -> _Phrase:
        words: list[str] = []
        atoms = 0
        while (token := self.peek()) is not None and token not in stops:
            if token == "}":
                raise _Unspoken("unbalanced braces")
            phrase = self.scripted()
            words += phrase.words
            atoms += phrase.atoms
        return _Phrase(words, atoms)

    def argument(self) -> _Phrase:
        """A command's argument: a {group} or a single token (`\\frac12` is one half)."""
        token = self.peek()
        if token == "{":
            self.take()
            phrase = self.sequence(frozenset("}"))
            self.expect("}")
            return _Phrase(phrase.words, min(phrase.atoms, 2) if phrase.atoms else 1)
        if token is not None and token[0].isdigit() and len(token) > 1:
            self.tokens[self.at] = token[1:]
            return _Phrase([token[0]], 1)
        return self.atom()

    def raw_group(self) -> str:
        """The literal text of a {group} (or a single token), for \\text and \\operatorname."""
        if self.peek() != "{":
            return self.take().lstrip("\\")
        self.take()
        depth, parts = 1, list[str]()
        while True:
            token = self.take()
            depth += {"{": 1, "}": -1}.get(token, 0)
            if depth == 0:
                return "".join(parts).strip()
            parts.append(" " if token.startswith("\\") and len(token) == 2 and not token[1].isalnum() else token)

    def scripted(self) -> _Phrase:
        """An atom with its subscript, superscript and primes."""
        token = self.peek()
        if token is not None and token.lstrip("\\") in _LARGE_OPERATORS:
            return self.large_operator()
        base = self.atom()
        words, atoms = list(base.words), base.atoms
        while (token := self.peek()) in ("_", "^", "'"):
            self.take()
            if token == "'":
                words.append("prime")
                continue
            script = self.argument()
            if token == "_":
                words += ["sub", *script.words] + ([] if script.simple else ["end sub"])
            else:
                words += self.power(script)
        return _Phrase(words, atoms)

    @staticmethod
    def power(script: _Phrase) -> list[str]:
        text = script.text()
        if text in ("2", "3"):
            return ["squared" if text == "2" else "cubed"]
        if text in ("transpose", "prime"):
            return [text]
        if script.words and script.words[0] == "open paren":
            return ["superscript", *script.words]
        if script.simple:
            return ["to the power", *script.words]
        return ["to the power", *script.words, "end power"]

    def large_operator(self) -> _Phrase:
        name = _LARGE_OPERATORS[self.take().lstrip("\\")]
        below = above = None
        while (token := self.peek()) in ("_", "^") or token in ("\\limits", "\\nolimits"):
            self.take()
            if token == "_":
                below = self.argument()
            elif token == "^":
                above = self.argument()
        words = [name]
        if below and above:
            words += ["from", *below.words, "to", *above.words]
        elif below:
            words += ["over", *below.words]
        elif above:
            words += ["to", *above.words]
        return _Phrase(words, 2)

    def atom(self) -> _Phrase:
        token = self.take()
        if token == "{":
            phrase = self.sequence(frozenset("}"))
            self.expect("}")
            return phrase
        if token[0].isdigit() or (token.startswith(".") and len(token) > 1):
            return _Phrase([token], 1)
        if token in _CHARACTERS:
            return _Phrase([_CHARACTERS[token]], 1 if token in "'!" else 0)
        if token.isalpha() and len(token) == 1:
            return _Phrase([token], 1)
        if not token.startswith("\\"):
            raise _Unspoken(f"character {token!r}")
        return self.command(token[1:])

    def command(self, name: str) -> _Phrase:
        if name in _IGNORED or name in ("quad", "qquad"):
            if name in ("quad", "qquad"):
                return _Phrase([","], 0)
            if name.startswith("math") and name not in ("mathop",):
                return self.argument()
            return _Phrase([], 0)
        if name in _GREEK or name in _VARIANTS or name.lower() in _GREEK:
            spoken = _VARIANTS.get(name, name)
            return _Phrase([f"capital {spoken.lower()}" if spoken[0].isupper() else spoken], 1)
        if name in _FRACTIONS:
            top, bottom = self.argument(), self.argument()
            if top.simple and bottom.simple:
                return _Phrase([*top.words, "over", *bottom.words], 2)
            return _Phrase(["start fraction", *top.words, "over", *bottom.words, "end fraction"], 1)
        if name == "sqrt":
            index = None
            if self.peek() == "[":
                self.take()
                index = self.sequence(frozenset("]"))
                self.expect("]")
            body = self.argument()
            words = ["square root of"] if index is None else [*index.words, "th root of"]
            return _Phrase(words + body.words + ([] if body.simple else ["end root"]), 1)
        if name in _ACCENTS:
            body = self.argument()
            if body.simple:
                return _Phrase([*body.words, _ACCENTS[name]], 1)
            return _Phrase([_ACCENTS[name], "of", *body.words, "end", _ACCENTS[name]], 1)
        if name in _FONTS:
            body = self.argument()
            prefix = [_FONTS[name]] if _FONTS[name] else []
            return _Phrase(prefix + body.words, 1)
        if name == "mathbb":
            letter = self.raw_group()
            return _Phrase([_DOUBLE_STRUCK.get(letter, f"double-struck {letter}")], 1)
        if name in _TEXTS:
            text = self.raw_group()
            return _Phrase([text] if text else [], 1 if text else 0)
        if name == "begin":
            return self.environment(self.raw_group())
        if name in _SYMBOLS:
            spoken = _SYMBOLS[name]
            return _Phrase([spoken], 1 if name[0].isalpha() and name not in _RELATIONS else 0)
        raise _Unspoken(f"\\{name}")

    def environment(self, name: str) -> _Phrase:
        if name not in _MATRICES and name not in _TABLES:
            raise _Unspoken(f"environment {name}")
        if name == "array":
            self.raw_group()  # the column layout: nothing to say
        rows: list[list[_Phrase]] = [[]]
        stops = frozenset({"&", "\\\\", "\\end"})
        while True:
            rows[-1].append(self.sequence(stops))
            token = self.take()
            if token == "\\\\":
                rows.append([])
            elif token == "\\end":
                if self.raw_group() != name:
                    raise _Unspoken("mismatched \\end")
                break
        if rows[-1] and not any(cell.words for cell in rows[-1]):
            rows.pop()  # a trailing \\ before \end
        if name in _TABLES:
            return _Phrase(["; ".join(" ".join(cell.text() for cell in row) for row in rows)], 2)
        width = max(len(row) for row in rows)
        cells = [[cell.text() for cell in row] for row in rows]
        kind = _MATRICES[name]
        if width == 1 and len(rows) > 1 and kind == "matrix":
            return _Phrase([f"column vector with entries {', '.join(row[0] for row in cells)}"], 1)
        spoken_rows = "; ".join(f"row {n}: {', '.join(row)}" for n, row in enumerate(cells, start=1))
        return _Phrase([f"{len(rows)} by {width} {kind}; {spoken_rows}; end {kind}"], 1)


_RELATIONS = frozenset(
    "times cdot odot otimes circ ast pm mp div le leq ge geq ne neq approx equiv propto sim in notin subset "
    "subseteq cup cap to rightarrow leftarrow mapsto implies iff mid lVert rVert Vert lvert rvert lfloor rfloor "
    "lceil rceil langle rangle".split()
)


@lru_cache(maxsize=4096)
def latex_to_words(latex: str) -> str | None:
    """A formula in words (`\\frac{a}{b}` is "a over b"), or None when it uses a construct not covered here."""
    reader = _WordReader(latex)
    try:
        phrase = reader.sequence()
    except (_Unspoken, RecursionError):
        return None
    if reader.peek() is not None:
        return None
    text = re.sub(r"\s+([,;:.])", r"\1", phrase.text())
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    return text.strip(" ,;:.") or None


# --------------------------------------------------------------------------- math


def _check_mathml(element: Element) -> None:
    for node in element.iter():
        if node.tag not in _MATHML_ELEMENTS:
            raise ValueError(f"unexpected MathML element <{node.tag}>")
        for name in [name for name in node.attrib if name not in _MATHML_ATTRIBUTES]:
            del node.attrib[name]


def _serialize(element: Element) -> str:
    # tostring escapes every text and attribute; only latex2mathml's numeric character references are restored
    return _ESCAPED_CHAR_REF.sub(r"&\1", tostring(element, encoding="unicode"))


@lru_cache(maxsize=4096)
def _latex_to_html(latex: str, display: bool) -> str:
    """A formula as MathML named in words (aria-label, alttext), with its LaTeX source as an annotation."""
    try:
        element = convert_to_element(latex, display="block" if display else "inline")
        _check_mathml(element)
    # latex2mathml raises many unrelated exception types for bad input; one formula must not fail the page
    except Exception:
        return f'<code class="math-error">{escapeHtml(latex)}</code>'
    children = list(element)
    presentation = "".join(_serialize(child) for child in children)
    if len(children) != 1:
        presentation = f"<mrow>{presentation}</mrow>"
    name = escapeHtml(latex_to_words(latex) or latex.strip())
    attributes = "".join(f' {key}="{escapeHtml(value)}"' for key, value in element.attrib.items())
    return (
        f'<math{attributes} alttext="{name}" aria-label="{name}"><semantics>{presentation}'
        f'<annotation encoding="application/x-tex">{escapeHtml(latex)}</annotation></semantics></math>'
    )


def _render_math(latex: str, options: dict[str, Any]) -> str:
    return _latex_to_html(latex, bool(options.get("display_mode")))


def _render_image(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    """An image of the bank's images/ folder by the address sync stored it under (figures.image_tag)."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    images = env.get("images") or {}
    if src not in images and INLINE_IMAGE.match(src):
        return str(self.image(tokens, idx, options, env))  # an inline PNG, as before figures existed
    alt = self.renderInlineAsText(token.children or [], options, env)
    title = token.attrGet("title")
    return image_tag(src, alt, str(title) if title else None, images)


def _build_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    dollarmath_plugin(
        md,
        allow_labels=False,
        allow_blank_lines=False,  # a stray `$$` must not swallow the rest of the text
        double_inline=True,  # `$$...$$` inside a sentence is display math, not `$` + `$...$` + `$`
        renderer=_render_math,
    )
    md.add_render_rule("image", _render_image)
    return md


_MARKDOWN = _build_markdown()


def render_markdown(text: str, images: Mapping[str, ShownImage] | None = None) -> str:
    """Markdown with `$...$` / `$$...$$` math to an HTML fragment; raw HTML in the text is escaped.

    `images` maps an image's address as written (images/loss.svg) to its stored file."""
    return _MARKDOWN.render(text, {"images": images or {}})


def render_inline(text: str) -> str:
    """One line of author text (a choice's feedback, a choice shown as the key) as HTML without a paragraph
    around it: `$n \\times n$` becomes MathML, *emphasis* and `code` work, raw HTML is escaped."""
    return _MARKDOWN.renderInline(text, {"images": {}})


# --------------------------------------------------------------------------- placeholders

_MATH_TOKENS = frozenset({"math_inline", "math_inline_double", "math_block", "math_block_label"})


def placeholder_names(template: str) -> set[str]:
    return set(PLACEHOLDER.findall(template))


_BRACES = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


def unsupported_placeholders(template: str) -> list[tuple[int, str]]:
    """Each `{{ ... }}` that holds more than a name (`{{ x[0] }}`, `{{ x.shape }}`), as (offset, its text).

    Only `{{ name }}` is filled in; anything else would reach students as typed, so the bank check refuses it
    and points at its line: the value goes into `solution` under a name of its own (`x0 = x[0]`)."""
    return [(match.start(), match.group(0)) for match in _BRACES.finditer(template)
            if not PLACEHOLDER.fullmatch(match.group(0))]


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


def render_template(template: str, names: Mapping[str, Any], images: Mapping[str, ShownImage] | None = None) -> str:
    """A question's text or explanation for one variant, as HTML."""
    return render_markdown(substitute(template, names), images)
