"""Figures in questions: image files from a bank's images/ folder and per-variant plots drawn as SVG.

Pure: no Flask, no database, and no author code. A plot is drawn at sync from the numbers the solution
computed in the sandbox (plain lists by then); an image file is read, checked and made safe at check and
sync, stored in the database by its content hash and served from there (quizserver/media). A page view
only reads the HTML sync stored.

SVG files are parsed with defusedxml (no DTDs, entities or external resources) and checked against an
allow-list of SVG elements and attributes. Anything that could run or fetch something (script, event
handlers, foreignObject, links and references to other documents, CSS url() and @import) is refused with
a message naming it, so the author learns what to remove; an editor's private markup (Inkscape's and
Sodipodi's namespaces, <metadata>) is dropped silently.
"""
from __future__ import annotations

import difflib
import hashlib
import math
import re
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote
from xml.etree.ElementTree import Element, register_namespace, tostring  # nosec B405 - serialising only
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as parse_xml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

from quizserver.grading.format import format_number

# --------------------------------------------------------------------------- image files

IMAGE_FOLDER = "images"  # next to the bank files: questions/images/
FIGURE_PATH = "/figures/"  # where the app serves stored image files (quizserver/media)
MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_SVG_ELEMENTS = 20_000
MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}
EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/svg+xml": ".svg"}
STORED_NAME = re.compile(r"[0-9a-f]{64}\.(?:png|jpg|svg)")
# data: images the page's policy shows (img-src data:) and markdown-it lets through
INLINE_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|webp);", re.IGNORECASE)
_SVG_DATA_URI = re.compile(r"!\[[^\]]*\]\(\s*<?data:image/svg", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class ImageError(ValueError):
    """An image file that cannot be shown; the message says why and what to do."""


@dataclass(frozen=True)
class ShownImage:
    """How the page shows an image file: its stored name (content hash + extension) and its size."""

    file: str
    width: int | None = None
    height: int | None = None

    @property
    def url(self) -> str:
        return FIGURE_PATH + self.file

    def as_stored(self) -> dict[str, Any]:
        return {"file": self.file, "width": self.width, "height": self.height}

    @classmethod
    def from_stored(cls, value: Any) -> ShownImage | None:
        """The form BankVersion.images keeps; None for anything that is not one (never a crash)."""
        if not isinstance(value, dict) or not isinstance(value.get("file"), str):
            return None
        if not STORED_NAME.fullmatch(value["file"]):
            return None
        size = [v if isinstance(v, int) and not isinstance(v, bool) else None for v in
                (value.get("width"), value.get("height"))]
        return cls(value["file"], size[0], size[1])


@dataclass(frozen=True)
class ImageRef:
    """A Markdown image in a question's text, as written, with where; `shown` once the file was read."""

    src: str  # as markdown-it gives it (percent-encoded): images/loss.svg
    alt: str
    line: int
    shown: ShownImage | None = None


@dataclass(frozen=True)
class ImageFile:
    """An image file read, checked and (SVG) made safe: what sync stores and the app serves."""

    src: str
    media_type: str
    data: bytes
    width: int | None = None
    height: int | None = None

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def shown(self) -> ShownImage:
        return ShownImage(self.digest + EXTENSIONS[self.media_type], self.width, self.height)


@dataclass(frozen=True)
class FoundImage:
    """An image the Markdown of a text holds: its line (0-based, in the text) and what is wrong, if anything."""

    offset: int
    src: str
    alt: str
    problem: str | None = None


def _parser() -> MarkdownIt:
    """Parses as render.py does (math included), so what is found here is what the page shows as an image."""
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    dollarmath_plugin(md, allow_labels=False, allow_blank_lines=False, double_inline=True)
    return md


_MARKDOWN = _parser()


def _walk(tokens: Iterable[Token]) -> Iterator[tuple[Token, Token]]:
    """(block token, image) for every image, in order."""
    for token in tokens:
        for child in token.children or []:
            if child.type == "image":
                yield token, child


def _alt_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.children:
            parts.append(_alt_text(child))
    return "".join(parts)


def find_images(text: str) -> list[FoundImage]:
    """Every Markdown image in a question's text, each with what is wrong with it (None when fine)."""
    lines = text.split("\n")
    found: list[FoundImage] = []
    for block, image in _walk(_MARKDOWN.parse(text)):
        first, last = block.map or (0, len(lines))
        offset = next((n for n in range(first, last) if "![" + image.content in lines[n]), first)
        src = str(image.attrGet("src") or "")
        alt = _alt_text(image).strip()
        found.append(FoundImage(offset, src, alt, image_problem(src, alt)))
    for number, line in enumerate(lines):
        if _SVG_DATA_URI.search(line):
            found.append(FoundImage(number, "", "", "an SVG data: URI is shown as text, not as a picture: "
                                                    f"save the SVG as {IMAGE_FOLDER}/NAME.svg and write "
                                                    f"![what it shows]({IMAGE_FOLDER}/NAME.svg)"))
    return found


def image_problem(src: str, alt: str) -> str | None:
    """What is wrong with an image as written (no file is read), or None."""
    shown = src if len(src) <= 60 else src[:57] + "..."
    if not alt:
        return (f"image {shown} has no alt text: say what it shows, e.g. "
                f"![training loss falling from 2.3 to 0.4 over 20 epochs]({shown})")
    if INLINE_IMAGE.match(src):
        return None
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:|//", src):
        return (f"image {shown} is not a file of the bank: the page's security policy shows only images the "
                f"server itself serves; save it in {IMAGE_FOLDER}/ next to the bank and write "
                f"![{alt}]({IMAGE_FOLDER}/NAME.png)")
    if "{{" in src or "%7B%7B" in src:
        return f"image {shown}: a file name cannot hold {{{{ name }}}}; use a plot: for numbers that vary"
    path = PurePosixPath(unquote(src))
    parts = path.parts
    if "\\" in src or path.is_absolute() or ".." in parts or len(parts) < 2 or parts[0] != IMAGE_FOLDER:
        return f"image {shown} must be a file in the {IMAGE_FOLDER}/ folder next to the bank, such as " \
               f"{IMAGE_FOLDER}/loss.svg"
    if path.suffix.lower() not in MEDIA_TYPES:
        return f"image {shown} must be a .png, .jpg or .svg file"
    return None


def read_image(folder: Path, src: str) -> ImageFile:
    """The file an image names, relative to the bank's folder: checked, and an SVG made safe."""
    relative = unquote(src)
    images = (folder / IMAGE_FOLDER).resolve()
    path = (folder / relative).resolve()
    if not path.is_relative_to(images):  # a symbolic link out of images/
        raise ImageError(f"image {src} is outside the {IMAGE_FOLDER}/ folder")
    if not path.is_file():
        raise ImageError(f"image file {relative} not found (looked for {folder / relative})")
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        raise ImageError(f"image file {relative} has {size // 1024} KB; at most {MAX_IMAGE_BYTES // 1024} KB "
                         "are served per image: make it smaller")
    data = path.read_bytes()
    media_type = MEDIA_TYPES[path.suffix.lower()]
    if media_type == "image/png":
        png_width, png_height = png_size(data, relative)
        return ImageFile(src, media_type, data, png_width, png_height)
    if media_type == "image/jpeg":
        if not data.startswith(b"\xff\xd8\xff"):
            raise ImageError(f"image file {relative} is not a JPEG image")
        return ImageFile(src, media_type, data)
    clean, width, height = sanitize_svg(data, relative)
    return ImageFile(src, media_type, clean, width, height)


def png_size(data: bytes, name: str = "the image") -> tuple[int, int]:
    """Width and height from a PNG's header; ImageError when it is not a PNG."""
    if len(data) < 24 or not data.startswith(b"\x89PNG\r\n\x1a\n") or data[12:16] != b"IHDR":
        raise ImageError(f"image file {name} is not a PNG image")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# --------------------------------------------------------------------------- SVG sanitising

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
register_namespace("xlink", XLINK_NS)

# Static SVG 1.1 / 2: shapes, text, paint servers, clipping, markers and filters. No scripting, animation,
# foreign content or links.
SVG_ELEMENTS = frozenset(
    "svg g defs desc title symbol use switch path rect circle ellipse line polyline polygon text tspan "
    "textPath clipPath mask pattern marker linearGradient radialGradient stop image style filter feBlend "
    "feColorMatrix feComponentTransfer feComposite feConvolveMatrix feDiffuseLighting feDisplacementMap "
    "feDistantLight feDropShadow feFlood feFuncA feFuncB feFuncG feFuncR feGaussianBlur feImage feMerge "
    "feMergeNode feMorphology feOffset fePointLight feSpecularLighting feSpotLight feTile feTurbulence".split()
)
# refused with a message: each could run code, load another document or change the page
REFUSED_ELEMENTS = frozenset(
    "script foreignObject a iframe embed object handler listener animate animateMotion animateTransform "
    "animateColor set discard audio video canvas".split()
)
DROPPED_ELEMENTS = frozenset({"metadata"})  # editors' RDF: nothing the picture needs
SVG_ATTRIBUTES = frozenset(
    "id class style transform viewBox preserveAspectRatio width height x y x1 y1 x2 y2 cx cy r rx ry d "
    "points pathLength fill fill-opacity fill-rule stroke stroke-width stroke-linecap stroke-linejoin "
    "stroke-miterlimit stroke-dasharray stroke-dashoffset stroke-opacity opacity color display visibility "
    "overflow clip clip-path clip-rule clipPathUnits mask maskUnits maskContentUnits filter filterUnits "
    "primitiveUnits flood-color flood-opacity lighting-color stop-color stop-opacity offset "
    "gradientUnits gradientTransform spreadMethod fx fy fr patternUnits patternContentUnits "
    "patternTransform marker-start marker-mid marker-end markerWidth markerHeight markerUnits refX refY "
    "orient font-family font-size font-style font-weight font-variant font-stretch font-size-adjust "
    "text-anchor dominant-baseline alignment-baseline baseline-shift letter-spacing word-spacing "
    "text-decoration text-rendering writing-mode direction unicode-bidi dx dy rotate textLength "
    "lengthAdjust startOffset method spacing side shape-rendering image-rendering color-interpolation "
    "color-interpolation-filters color-rendering paint-order vector-effect mix-blend-mode isolation "
    "in in2 result stdDeviation mode operator k1 k2 k3 k4 values type tableValues slope intercept "
    "amplitude exponent order kernelMatrix divisor bias targetX targetY edgeMode kernelUnitLength "
    "preserveAlpha surfaceScale diffuseConstant specularConstant specularExponent azimuth elevation z "
    "pointsAtX pointsAtY pointsAtZ limitingConeAngle scale xChannelSelector yChannelSelector radius "
    "baseFrequency numOctaves seed stitchTiles version baseProfile role aria-label aria-hidden "
    "aria-labelledby aria-describedby focusable requiredFeatures requiredExtensions systemLanguage "
    "enable-background media href".split()
)
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
_INLINE_IMAGE_HREF = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,", re.IGNORECASE)


class UnsafeSvg(ImageError):
    """An SVG that holds something that could run code or fetch another document."""


def _local_name(name: str) -> tuple[str | None, str]:
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return None, name


def _check_css(text: str, where: str) -> None:
    """CSS in a style attribute or element may only point inside the file (url(#id))."""
    lowered = text.lower()
    for word in ("@import", "expression(", "javascript:", "behavior:", "-moz-binding"):
        if word in lowered:
            raise UnsafeSvg(f"{where} uses {word.rstrip('(:')} in CSS, which could load or run something")
    for match in _CSS_URL.finditer(text):
        if not match.group(2).strip().startswith("#"):
            raise UnsafeSvg(f"{where} refers to {match.group(2)[:60]!r} in CSS; only url(#id) inside the file "
                            "is allowed")


def _check_reference(value: str, element: str, attribute: str) -> None:
    value = value.strip()
    if value.startswith("#"):
        return
    if element == "image" and _INLINE_IMAGE_HREF.match(value):
        return
    shown = value if len(value) <= 60 else value[:57] + "..."
    raise UnsafeSvg(f"<{element}> has {attribute}={shown!r}: an SVG may refer only to its own parts (#id) "
                    "and embedded PNG/JPEG data, not to other files or pages")


def _clean_element(element: Element, count: list[int]) -> None:
    """Check one element and its attributes (recursively its children); UnsafeSvg for anything refused."""
    count[0] += 1
    if count[0] > MAX_SVG_ELEMENTS:
        raise ImageError(f"more than {MAX_SVG_ELEMENTS} elements; simplify the drawing")
    _, tag = _local_name(element.tag)
    for name in list(element.attrib):
        namespace, local = _local_name(name)
        value = element.attrib[name]
        if local.lower().startswith("on"):
            raise UnsafeSvg(f"<{tag}> has an event handler ({local}), which would run code")
        if namespace == XLINK_NS and local == "href" or namespace is None and local == "href":
            _check_reference(value, tag, "href")
        elif namespace == XML_NS and local in ("space", "lang"):
            continue
        elif namespace is not None or local not in SVG_ATTRIBUTES:
            del element.attrib[name]  # an editor's own attribute, or one no renderer needs
            continue
        if "javascript:" in value.lower().replace(" ", ""):
            raise UnsafeSvg(f"<{tag}> has {local} with a javascript: address")
        if local == "style" or "url(" in value.lower():
            _check_css(value, f"<{tag}> {local}")
    for child in list(element):
        namespace, local = _local_name(child.tag) if isinstance(child.tag, str) else ("", "")
        if namespace != SVG_NS:
            element.remove(child)  # another namespace's markup (Inkscape, XHTML): never drawn as SVG
            continue
        if local in REFUSED_ELEMENTS:
            reason = "it would run code" if local in ("script", "handler", "listener") else \
                "it can hold a web page or a link" if local in ("foreignObject", "a", "iframe", "embed", "object") \
                else "it animates or plays media"
            raise UnsafeSvg(f"<{local}> is not allowed: {reason}")
        if local in DROPPED_ELEMENTS:
            element.remove(child)
            continue
        if local not in SVG_ELEMENTS:
            raise UnsafeSvg(f"<{local}> is not allowed: it is not a static SVG element")
        if local == "style":
            _check_css(child.text or "", "<style>")
        _clean_element(child, count)


def _length(value: str | None) -> float | None:
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(px)?\s*", value or "")
    return float(match.group(1)) if match else None


def _svg_size(root: Element) -> tuple[int | None, int | None]:
    """The picture's size in CSS pixels: width and height in px, else the viewBox's."""
    width, height = _length(root.get("width")), _length(root.get("height"))
    if width is None or height is None:
        box = (root.get("viewBox") or "").replace(",", " ").split()
        try:
            width, height = float(box[2]), float(box[3])
        except (IndexError, ValueError):
            return None, None
    if not (0 < width < 100_000 and 0 < height < 100_000):
        return None, None
    return round(width), round(height)


def sanitize_svg(data: bytes, name: str = "the SVG file") -> tuple[bytes, int | None, int | None]:
    """A safe copy of an SVG file and its size; UnsafeSvg names what was refused, ImageError other faults."""
    try:
        root = parse_xml(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise UnsafeSvg(f"{name} declares a DTD or entities, which are not allowed in an SVG here") from exc
    except ParseError as exc:
        raise ImageError(f"{name} is not well-formed XML: {exc}") from exc
    namespace, local = _local_name(root.tag)
    if namespace != SVG_NS or local != "svg":
        raise ImageError(f"{name} is not an SVG image (its root element is <{local}>, "
                         f"not <svg xmlns=\"{SVG_NS}\">)")
    try:
        _clean_element(root, [0])
    except UnsafeSvg as exc:
        raise UnsafeSvg(f"{name}: {exc}") from exc
    except ImageError as exc:
        raise ImageError(f"{name}: {exc}") from exc
    width, height = _svg_size(root)
    for element in root.iter():  # every tag is SVG's by now: write them plain under one xmlns
        element.tag = _local_name(element.tag)[1]
    root.set("xmlns", SVG_NS)
    body = tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8"), width, height


def image_tag(src: str, alt: str, title: str | None, images: Mapping[str, ShownImage] | None) -> str:
    """The HTML for a Markdown image: a bank's file by the address sync stored it under, an inline PNG or
    JPEG as written, and anything else (which the page's policy would block) as its alt text."""
    title_attr = f" title={quoteattr(title)}" if title else ""
    shown = (images or {}).get(src)
    if shown is not None:
        size = f' width="{shown.width}" height="{shown.height}"' if shown.width and shown.height else ""
        return (f'<img src="{shown.url}" alt={quoteattr(alt)}{title_attr}{size} class="question-image" '
                'loading="lazy" decoding="async">')
    if INLINE_IMAGE.match(src):
        return f"<img src={quoteattr(src)} alt={quoteattr(alt)}{title_attr}>"
    return f'<span class="image-missing">{escape(alt)}</span>'


# --------------------------------------------------------------------------- plots: the spec

SERIES_KINDS = ("line", "scatter", "bar")
PLOT_KEYS = ("title", "alt", "x_label", "y_label", "series", "table")
SERIES_KEYS = ("kind", "x", "y", "label")
MAX_SERIES = 8
MAX_POINTS = 2000


@dataclass(frozen=True)
class SeriesSpec:
    kind: str  # one of SERIES_KINDS
    y: str  # a name the solution (or a parameter) defines
    x: str | None = None  # None: 1, 2, 3, ...
    label: str = ""
    line: int = 0

    def describe(self, number: int) -> str:
        return f"series {number}" + (f" ({self.label})" if self.label else "")


@dataclass(frozen=True)
class PlotSpec:
    """`plot:` of a question: drawn for each variant from the names its solution defines."""

    title: str
    alt: str
    series: tuple[SeriesSpec, ...]
    x_label: str = ""
    y_label: str = ""
    line: int = 0
    table: bool = False  # the values also as a table under the plot (in a closed <details>)

    def names(self) -> set[str]:
        """Every name the plot reads: its series and the {{ name }}s of its texts."""
        found = {s.y for s in self.series} | {s.x for s in self.series if s.x}
        for text in (self.title, self.alt, self.x_label, self.y_label, *(s.label for s in self.series)):
            found |= set(_PLACEHOLDER.findall(text))
        return found


Finding = tuple[int, str]  # (file line, message): turned into a Problem by the validator


def _line_of(mapping: Any, key: Any, default: int) -> int:
    key_line: Callable[[Any], int] | None = getattr(mapping, "key_line", None)
    return key_line(key) if key_line is not None and key in mapping else default


def _item_line(items: Any, index: int, default: int) -> int:
    item_line: Callable[[int], int] | None = getattr(items, "item_line", None)
    return item_line(index) if item_line is not None else default


def _unknown_keys(mapping: dict[Any, Any], allowed: Sequence[str], line: int, what: str) -> list[Finding]:
    found = []
    for key in mapping:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f", did you mean '{close[0]}'?" if close else f"; {what} takes {', '.join(allowed)}"
            found.append((_line_of(mapping, key, line), f"unknown key '{key}' in {what}{hint}"))
    return found


def parse_plot(value: Any, line: int, known: set[str] | None) -> tuple[PlotSpec | None, list[Finding]]:
    """A question's `plot:` mapping as a PlotSpec, or every problem with it. `known`: the names the
    parameters and solution define (None when the solution could not be read, so names are not checked)."""
    example = "{title: ..., alt: ..., series: [{kind: line, x: epochs, y: loss}]}"
    if not isinstance(value, dict):
        return None, [(line, f"plot must be a mapping such as {example}")]
    findings = _unknown_keys(value, PLOT_KEYS, line, "plot")
    texts: dict[str, str] = {}
    for key in ("title", "alt", "x_label", "y_label"):
        if key not in value:
            if key in ("title", "alt"):
                why = "what the plot shows, for readers who cannot see it" if key == "alt" else "a heading"
                findings.append((line, f"plot needs {key}: {why}"))
            continue
        text = value[key]
        if not isinstance(text, str) or (key in ("title", "alt") and not text.strip()):
            wanted = "non-empty text" if key in ("title", "alt") else "text"
            findings.append((_line_of(value, key, line), f"plot {key} must be {wanted}"))
            continue
        texts[key] = text.strip()
    table = value.get("table", False)
    if not isinstance(table, bool):
        findings.append((_line_of(value, "table", line), f"plot table must be true or false, got {table!r}"))
    series = _parse_series(value, line, findings)
    if known is not None:
        findings += _unknown_names(value, texts, series or (), line, known)
    if findings or series is None:
        return None, findings
    spec = PlotSpec(texts["title"], texts["alt"], series, texts.get("x_label", ""), texts.get("y_label", ""), line,
                    table is True)
    return spec, []


def _parse_series(value: dict[Any, Any], line: int, findings: list[Finding]) -> tuple[SeriesSpec, ...] | None:
    items = value.get("series")
    where = _line_of(value, "series", line)
    if not isinstance(items, list) or not items:
        findings.append((where, "plot needs series: a list such as [{kind: line, x: epochs, y: loss}]"))
        return None
    if len(items) > MAX_SERIES:
        findings.append((where, f"plot has {len(items)} series; at most {MAX_SERIES} stay readable"))
        return None
    built: list[SeriesSpec] = []
    before = len(findings)
    for index, item in enumerate(items):
        item_line = _item_line(items, index, where)
        number = index + 1
        if not isinstance(item, dict):
            findings.append((item_line, f"plot series {number} must be a mapping such as {{kind: line, y: loss}}"))
            continue
        findings += _unknown_keys(item, SERIES_KEYS, item_line, f"plot series {number}")
        kind = item.get("kind")
        if kind not in SERIES_KINDS:
            got = "nothing" if kind is None else repr(kind)
            findings.append((_line_of(item, "kind", item_line),
                             f"plot series {number} needs kind: one of {', '.join(SERIES_KINDS)} (got {got})"))
        fields: dict[str, str] = {}
        for key in ("x", "y"):
            name = item.get(key)
            if name is None:
                if key == "y":
                    findings.append((item_line, f"plot series {number} needs y: the name of its values"))
                continue
            if not isinstance(name, str) or not name.isidentifier():
                findings.append((_line_of(item, key, item_line),
                                 f"plot series {number}: {key} must be a name the solution defines, got {name!r}"))
                continue
            fields[key] = name
        label = item.get("label", "")
        if not isinstance(label, (str, int, float)) or isinstance(label, bool):
            findings.append((_line_of(item, "label", item_line), f"plot series {number}: label must be text"))
            label = ""
        if len(findings) == before and isinstance(kind, str):
            built.append(SeriesSpec(kind, fields["y"], fields.get("x"), str(label).strip(), item_line))
    if len(findings) > before:
        return None
    if len(built) > 1 and not all(s.label for s in built):
        findings.append((where, "give every series a label when a plot has more than one: the legend names them"))
        return None
    return tuple(built)


def _unknown_names(value: dict[Any, Any], texts: dict[str, str], series: Iterable[SeriesSpec], line: int,
                   known: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    shown = ", ".join(sorted(known)) or "none"
    for number, item in enumerate(series, start=1):
        for key, name in (("x", item.x), ("y", item.y)):
            if name is not None and name not in known:
                findings.append((item.line, f"plot {item.describe(number)}: {key} '{name}' is not defined by the "
                                            f"params or the solution (they define: {shown})"))
    for key, text in texts.items():
        for name in _PLACEHOLDER.findall(text):
            if name not in known:
                findings.append((_line_of(value, key, line), f"unknown name '{name}' in plot {key}"))
    return findings


# --------------------------------------------------------------------------- plots: the data


class PlotDataError(ValueError):
    """A variant's values cannot be plotted; `line` is the series' line in the bank."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class SeriesData:
    spec: SeriesSpec
    x: tuple[float, ...]
    y: tuple[float, ...]


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {format_number(value)}"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        depth, inner = 1, value
        while inner and isinstance(inner[0], list):
            depth, inner = depth + 1, inner[0]
        return f"a {depth}-D array" if depth > 1 else "a list that is not all numbers"
    return type(value).__name__


def _values(names: Mapping[str, Any], name: str, what: str, spec: SeriesSpec) -> tuple[float, ...]:
    if name not in names:
        raise PlotDataError(f"{what}: '{name}' is not a number or an array of numbers in this variant "
                            "(the solution must assign it one)", spec.line)
    value = names[name]
    if not isinstance(value, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                              for v in value):
        raise PlotDataError(f"{what}: '{name}' must be a 1-D list of numbers, got {_describe(value)}", spec.line)
    if not value:
        raise PlotDataError(f"{what}: '{name}' is empty", spec.line)
    if len(value) > MAX_POINTS:
        raise PlotDataError(f"{what}: '{name}' has {len(value)} values; at most {MAX_POINTS} are drawn", spec.line)
    for index, v in enumerate(value):
        if not math.isfinite(v):
            raise PlotDataError(f"{what}: '{name}' holds {v} at index {index}; every value must be finite",
                                spec.line)
    return tuple(float(v) for v in value)


def plot_data(spec: PlotSpec, names: Mapping[str, Any]) -> list[SeriesData]:
    """The numbers of every series for one variant; PlotDataError names the series, the name and the fault."""
    found = []
    for number, series in enumerate(spec.series, start=1):
        what = f"plot {series.describe(number)}"
        y = _values(names, series.y, what, series)
        if series.x is None:
            x = tuple(float(i) for i in range(1, len(y) + 1))
        else:
            x = _values(names, series.x, what, series)
            if len(x) != len(y):
                raise PlotDataError(f"{what}: x '{series.x}' has {len(x)} values but y '{series.y}' has {len(y)}",
                                    series.line)
        found.append(SeriesData(series, x, y))
    return found


def plot_problem(spec: PlotSpec, names: Mapping[str, Any]) -> PlotDataError | None:
    try:
        plot_data(spec, names)
        _fill(spec.title, names)
    except PlotDataError as exc:
        return exc
    return None


# --------------------------------------------------------------------------- plots: drawing

PLOT_WIDTH, PLOT_HEIGHT = 600, 360
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 20, 48, 58
# Okabe and Ito's palette, told apart with colour blindness; lines also differ by dash and points by shape
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F7F7F", "#000000")
DASHES = ("", "7 4", "2 3", "8 3 2 3")
MARKERS = ("circle", "square", "triangle", "diamond")


def _fill(text: str, names: Mapping[str, Any]) -> str:
    """`{{ name }}` in a plot's title, alt text or labels, as plain text."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            raise PlotDataError(f"{{{{ {name} }}}} in the plot does not resolve", 0)
        found = names[name]
        if isinstance(found, bool) or not isinstance(found, (int, float)):
            return str(found)
        return format_number(found)

    return _PLACEHOLDER.sub(value, text)


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) covering [low, high], at most `most` + 1."""
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("tick bounds must be finite")
    if high < low:
        low, high = high, low
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / most
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(s * power for s in (1, 2, 2.5, 5, 10) if s * power >= raw)
    first = math.floor(low / step + 1e-9) * step
    last = math.ceil(high / step - 1e-9) * step
    count = round((last - first) / step)
    return [_tidy(first + i * step, step) for i in range(count + 1)]


def _tidy(value: float, step: float) -> float:
    digits = max(0, -math.floor(math.log10(step)) + 2)
    rounded = round(value, digits)
    return 0.0 if rounded == 0 else rounded


def tick_label(value: float, step: float) -> str:
    """A tick's text with as many decimals as its step needs: 0.25, 0.5, 0.75 or 1000, 2000."""
    if value == 0:
        return "0"
    magnitude = max(abs(value), abs(step))
    if magnitude >= 1e6 or magnitude < 1e-4:
        return f"{value:.3g}".replace("e-0", "e-").replace("e+0", "e")
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    if step * 10**decimals % 1 > 1e-6:  # 2.5 times a power of ten needs one digit more
        decimals += 1
    return f"{value:.{decimals}f}".replace("-", "\u2212")


def _minor_ticks(ticks: list[float]) -> list[float]:
    """Unlabelled grid lines between the ticks: fifths of a step of 1 or 5 (times a power of ten), halves
    of 2 or 2.5, so a value can be read to one unit of the finer grid."""
    step = ticks[1] - ticks[0]
    leading = round(step / 10 ** math.floor(math.log10(step) + 1e-9), 1)
    parts = 5 if leading in (1.0, 5.0) else 2
    return [_tidy(low + step * k / parts, step / parts) for low in ticks[:-1] for k in range(1, parts)]


def _marker(shape: str, x: float, y: float, colour: str, tip: str) -> str:
    tooltip = f"<title>{escape(tip)}</title>"
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">{tooltip}</circle>'
    if shape == "square":
        return f'<rect x="{x - 3.2:.1f}" y="{y - 3.2:.1f}" width="6.4" height="6.4" fill="{colour}">{tooltip}</rect>'
    if shape == "triangle":
        points = f"{x:.1f},{y - 4.2:.1f} {x + 4:.1f},{y + 3:.1f} {x - 4:.1f},{y + 3:.1f}"
    else:
        points = f"{x:.1f},{y - 4.5:.1f} {x + 4:.1f},{y:.1f} {x:.1f},{y + 4.5:.1f} {x - 4:.1f},{y:.1f}"
    return f'<polygon points="{points}" fill="{colour}">{tooltip}</polygon>'


@dataclass(frozen=True)
class _Axes:
    x_ticks: list[float]
    y_ticks: list[float]

    @property
    def width(self) -> float:
        return PLOT_WIDTH - _LEFT - _RIGHT

    @property
    def height(self) -> float:
        return PLOT_HEIGHT - _TOP - _BOTTOM

    def px(self, x: float) -> float:
        low, high = self.x_ticks[0], self.x_ticks[-1]
        return _LEFT + self.width * (x - low) / (high - low)

    def py(self, y: float) -> float:
        low, high = self.y_ticks[0], self.y_ticks[-1]
        return _TOP + self.height - self.height * (y - low) / (high - low)


def _bar_width(data: list[SeriesData], axes: _Axes) -> float:
    """Bars of all bar series side by side within 80 % of the smallest gap between x values."""
    xs = sorted({x for d in data if d.spec.kind == "bar" for x in d.x})
    gaps = [b - a for a, b in zip(xs, xs[1:], strict=False) if b > a]
    gap = min(gaps) if gaps else (axes.x_ticks[-1] - axes.x_ticks[0]) / 4
    bars = sum(1 for d in data if d.spec.kind == "bar")
    return abs(axes.px(gap) - axes.px(0)) * 0.8 / max(1, bars)


def _ranges(data: list[SeriesData]) -> _Axes:
    xs = [x for d in data for x in d.x]
    ys = [y for d in data for y in d.y]
    x_low, x_high = min(xs), max(xs)
    bar_xs = sorted({x for d in data if d.spec.kind == "bar" for x in d.x})
    if bar_xs:  # room for half a bar either side
        gaps = [b - a for a, b in zip(bar_xs, bar_xs[1:], strict=False) if b > a]
        half = (min(gaps) if gaps else 1.0) / 2
        x_low, x_high = min(x_low, bar_xs[0] - half), max(x_high, bar_xs[-1] + half)
    y_low, y_high = min(ys), max(ys)
    if any(d.spec.kind == "bar" for d in data):  # bars start at zero
        y_low, y_high = min(y_low, 0.0), max(y_high, 0.0)
    return _Axes(nice_ticks(x_low, x_high, 8), nice_ticks(y_low, y_high, 6))


def _series_svg(index: int, item: SeriesData, axes: _Axes, bars: tuple[float, int, int]) -> list[str]:
    """One series; `bars` is (width of one bar, bar series in all, this one's place among them)."""
    colour = PALETTE[index % len(PALETTE)]
    label = item.spec.label
    tips = [f"{label + ': ' if label else ''}({format_number(x)}, {format_number(y)})" for x, y in zip(item.x, item.y,
                                                                                                       strict=True)]
    parts = [f'<g class="plot-series plot-{item.spec.kind}">']
    if item.spec.kind == "bar":
        base = axes.py(min(max(0.0, axes.y_ticks[0]), axes.y_ticks[-1]))
        width, count, place = bars
        for x, y, tip in zip(item.x, item.y, tips, strict=True):
            left = axes.px(x) - width * count / 2 + width * place
            top, bottom = sorted((axes.py(y), base))
            parts.append(f'<rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="{bottom - top:.1f}" '
                         f'fill="{colour}"><title>{escape(tip)}</title></rect>')
    else:
        points = [(axes.px(x), axes.py(y)) for x, y in zip(item.x, item.y, strict=True)]
        if item.spec.kind == "line" and len(points) > 1:
            dash = DASHES[index % len(DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.2"{dash_attr} points="{path}"/>')
        if item.spec.kind == "scatter" or len(points) <= 40:
            shape = MARKERS[index % len(MARKERS)]
            parts += [_marker(shape, x, y, colour, tip) for (x, y), tip in zip(points, tips, strict=True)]
    parts.append("</g>")
    return parts


def _legend(data: list[SeriesData]) -> list[str]:
    if len(data) < 2 and not any(d.spec.label for d in data):
        return []
    parts = ['<g class="plot-legend">']
    x: float = _LEFT + 8
    y: float = _TOP - 16
    for index, item in enumerate(data):
        colour = PALETTE[index % len(PALETTE)]
        if item.spec.kind == "bar":
            parts.append(f'<rect x="{x:.1f}" y="{y - 5:.1f}" width="14" height="10" fill="{colour}"/>')
        elif item.spec.kind == "line":
            dash = DASHES[index % len(DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x + 22:.1f}" y2="{y:.1f}" stroke="{colour}" '
                         f'stroke-width="2.2"{dash_attr}/>')
        else:
            parts.append(_marker(MARKERS[index % len(MARKERS)], x + 7, y, colour, item.spec.label))
        label = item.spec.label
        parts.append(f'<text class="chart-tick plot-legend-label" x="{x + 28:.1f}" y="{y + 4:.1f}">'
                     f"{escape(label)}</text>")
        x += 44 + 8.5 * len(label)  # the legend's text is 15 px (style.css)
    parts.append("</g>")
    return parts


def plot_svg(spec: PlotSpec, names: Mapping[str, Any]) -> str:
    """The plot of one variant as SVG markup: a title, labelled axes with round ticks and grid lines,
    role="img" with the title and alt text as its name, a <desc>, and no style attribute (the CSP)."""
    data = plot_data(spec, names)
    title, alt = _fill(spec.title, names), _fill(spec.alt, names)
    x_label, y_label = _fill(spec.x_label, names), _fill(spec.y_label, names)
    data = [SeriesData(SeriesSpec(d.spec.kind, d.spec.y, d.spec.x, _fill(d.spec.label, names), d.spec.line), d.x, d.y)
            for d in data]
    axes = _ranges(data)
    x_step = axes.x_ticks[1] - axes.x_ticks[0]
    y_step = axes.y_ticks[1] - axes.y_ticks[0]
    name = f"{title}. {alt}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart plot" viewBox="0 0 {PLOT_WIDTH} {PLOT_HEIGHT}" '
        f'width="{PLOT_WIDTH}" height="{PLOT_HEIGHT}" role="img" aria-label={quoteattr(name)}>',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(alt)}</desc>",
        f'<text class="chart-title" x="{PLOT_WIDTH / 2:g}" y="20" text-anchor="middle">{escape(title)}</text>',
        '<g class="plot-grid" aria-hidden="true">',
    ]
    bottom, right = _TOP + axes.height, _LEFT + axes.width
    for value in axes.y_ticks:
        y = axes.py(value)
        parts.append(f'<line class="chart-grid" x1="{_LEFT}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#d0d7de"/>')
        parts.append(f'<text class="chart-tick" x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f"{tick_label(value, y_step)}</text>")
    for value in _minor_ticks(axes.x_ticks):  # e.g. every epoch between the labelled fives
        x = axes.px(value)
        parts.append(f'<line class="chart-grid plot-minor" x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{bottom}" '
                     'stroke="#eef1f4"/>')
    for value in axes.x_ticks:
        x = axes.px(value)
        parts.append(f'<line class="chart-grid" x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{bottom}" stroke="#d0d7de"/>')
        parts.append(f'<text class="chart-tick" x="{x:.1f}" y="{bottom + 18}" text-anchor="middle">'
                     f"{tick_label(value, x_step)}</text>")
    parts.append("</g>")
    bar_count = sum(1 for d in data if d.spec.kind == "bar")
    bar_width = _bar_width(data, axes) if bar_count else 0.0
    place = 0
    layers = {"bar": 0, "line": 1, "scatter": 2}  # bars behind lines, points on top
    for index, item in sorted(enumerate(data), key=lambda pair: layers[pair[1].spec.kind]):
        parts += _series_svg(index, item, axes, (bar_width, bar_count, place))
        place += item.spec.kind == "bar"
    if axes.y_ticks[0] < 0 < axes.y_ticks[-1]:
        zero = axes.py(0.0)
        parts.append(f'<line class="chart-axis" x1="{_LEFT}" y1="{zero:.1f}" x2="{right}" y2="{zero:.1f}" '
                     'stroke="#57606a" stroke-width="0.8"/>')
    parts += [
        f'<line class="chart-axis" x1="{_LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#57606a"/>',
        f'<line class="chart-axis" x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{bottom}" stroke="#57606a"/>',
        f'<text class="chart-axis-label" x="{_LEFT + axes.width / 2:g}" y="{PLOT_HEIGHT - 10}" '
        f'text-anchor="middle">{escape(x_label)}</text>',
        f'<text class="chart-axis-label" x="16" y="{_TOP + axes.height / 2:g}" text-anchor="middle" '
        f'transform="rotate(-90 16 {_TOP + axes.height / 2:g})">{escape(y_label)}</text>',
        *_legend(data),
        "</svg>",
    ]
    return "\n".join(parts)


def _cell(value: float) -> str:
    return format_number(value).replace("-", "\u2212")


def plot_table(spec: PlotSpec, names: Mapping[str, Any]) -> str:
    """The plotted values as an HTML table, for readers who cannot see the plot: one table when every
    series has the same x values (a column per series), else one per series."""
    data = plot_data(spec, names)
    x_head = escape(_fill(spec.x_label, names) or "x")
    y_head = escape(_fill(spec.y_label, names) or "y")
    heads = [escape(_fill(d.spec.label, names) or (y_head if len(data) == 1 else d.spec.y)) for d in data]
    groups = [data] if all(d.x == data[0].x for d in data) else [[d] for d in data]
    tables = []
    for group in groups:
        columns = "".join(f'<th scope="col">{heads[data.index(d)]}</th>' for d in group)
        rows = "".join(
            f'<tr><th scope="row">{_cell(x)}</th>' + "".join(f"<td>{_cell(d.y[i])}</td>" for d in group) + "</tr>"
            for i, x in enumerate(group[0].x)
        )
        tables.append(f'<table class="plot-table"><thead><tr><th scope="col">{x_head}</th>{columns}</tr></thead>'
                      f"<tbody>{rows}</tbody></table>")
    return "".join(tables)


def plot_html(spec: PlotSpec | None, names: Mapping[str, Any]) -> str:
    """The plot as the page shows it below the question's text (and its values as a table, if the author
    asked for one); empty without a plot."""
    if spec is None:
        return ""
    table = ""
    if spec.table:
        table = (f'<details class="plot-values"><summary>Values as a table</summary>{plot_table(spec, names)}'
                 "</details>\n")
    return f'<figure class="plot-figure">\n{plot_svg(spec, names)}\n{table}</figure>\n'
