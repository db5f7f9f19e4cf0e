"""Figures in questions: SVG sanitising, image references and files, plot specs, plot data and the drawn SVG."""
from __future__ import annotations

import math
import os
import struct
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest

from quizserver import figures
from quizserver.figures import ImageError, UnsafeSvg

SVG = "{http://www.w3.org/2000/svg}"
OPEN = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 40 20">'


def svg(body: str, root: str = OPEN) -> bytes:
    return (root + body + "</svg>").encode()


def png(width: int = 3, height: int = 2) -> bytes:
    """A real (tiny, grey) PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


# ---------------------------------------------------------------- SVG sanitising

REFUSED = [
    pytest.param(svg("<script>alert(1)</script>"), "<script> is not allowed", id="script"),
    pytest.param(svg('<g><script xlink:href="x.js"/></g>'), "<script> is not allowed", id="nested-script"),
    pytest.param(svg("", OPEN.replace("<svg ", '<svg onload="alert(1)" ')), "event handler (onload)", id="onload"),
    pytest.param(svg('<rect width="1" height="1" onclick="steal()"/>'), "event handler (onclick)", id="onclick"),
    pytest.param(svg('<rect width="1" height="1" ONMOUSEOVER="x()"/>'), "event handler", id="upper-case-handler"),
    pytest.param(svg('<use xlink:href="https://evil.example/sprite.svg#a"/>'), "may refer only to its own parts",
                 id="external-xlink-href"),
    pytest.param(svg('<use href="//evil.example/a.svg#x"/>'), "may refer only to its own parts", id="external-href"),
    pytest.param(svg('<image href="https://evil.example/track.png" width="1" height="1"/>'),
                 "may refer only to its own parts", id="external-image"),
    pytest.param(svg('<image href="data:image/svg+xml;base64,PHN2Zz4=" width="1" height="1"/>'),
                 "may refer only to its own parts", id="nested-svg-data"),
    pytest.param(svg('<a href="javascript:alert(1)"><text>x</text></a>'), "<a> is not allowed", id="link"),
    pytest.param(svg("<foreignObject><div xmlns='http://www.w3.org/1999/xhtml'>x</div></foreignObject>"),
                 "<foreignObject> is not allowed", id="foreignObject"),
    pytest.param(svg('<set attributeName="fill" to="red"/>'), "<set> is not allowed", id="set"),
    pytest.param(svg('<rect width="1" height="1"><animate attributeName="x" values="0;1"/></rect>'),
                 "<animate> is not allowed", id="animate"),
    pytest.param(svg('<iframe src="https://evil.example"/>'), "<iframe> is not allowed", id="iframe"),
    pytest.param(svg('<rect width="1" height="1" fill="url(https://evil.example/p.svg#g)"/>'),
                 "only url(#id) inside the file", id="external-url-attribute"),
    pytest.param(svg('<rect width="1" height="1" style="fill: url(\'http://evil.example/x\')"/>'),
                 "only url(#id) inside the file", id="external-url-style"),
    pytest.param(svg("<style>@import url(https://evil.example/a.css);</style>"), "@import", id="style-import"),
    pytest.param(svg("<style>rect { background: url(http://evil.example/) }</style>"), "only url(#id)",
                 id="style-url"),
    pytest.param(svg('<rect width="1" height="1" fill="javascript:alert(1)"/>'), "javascript:", id="javascript-value"),
    pytest.param(svg("<blink/>"), "not a static SVG element", id="unknown-element"),
    pytest.param(b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
                 + svg("<text>&lol2;</text>"), "DTD or entities", id="entities"),
    pytest.param(b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + svg("<text>&x;</text>"),
                 "DTD or entities", id="external-entity"),
]


@pytest.mark.parametrize(("data", "message"), REFUSED)
def test_unsafe_svg_is_refused_with_what_to_remove(data: bytes, message: str) -> None:
    with pytest.raises(UnsafeSvg) as raised:
        figures.sanitize_svg(data, "images/x.svg")
    assert message in str(raised.value)
    assert str(raised.value).startswith("images/x.svg")


@pytest.mark.parametrize(("data", "message"), [
    pytest.param(b"<svg", "not well-formed XML", id="malformed"),
    pytest.param(b"<html><body/></html>", "not an SVG image", id="html"),
    pytest.param(b"<svg><rect/></svg>", "not an SVG image", id="no-namespace"),
    pytest.param(b"\x89PNG\r\n\x1a\n", "not well-formed XML", id="binary"),
])
def test_a_file_that_is_not_svg_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        figures.sanitize_svg(data, "images/x.svg")


def test_sanitising_keeps_the_drawing_and_drops_editor_markup() -> None:
    data = svg(
        '<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>'
        '<sodipodi:namedview xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"/>'
        '<html:script xmlns:html="http://www.w3.org/1999/xhtml">alert(1)</html:script>'
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient>'
        '<path id="dot" d="M0 0h1v1z"/></defs>'
        '<rect width="10" height="10" fill="url(#g)" data-note="x" inkscape:label="a" '
        'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"/>'
        '<use xlink:href="#dot" x="3"/><text x="1" y="9" font-size="4">loss &lt; 1</text>'
        '<image href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/>',
        OPEN.replace("<svg ", '<svg width="400px" height="200" '),
    )
    clean, width, height = figures.sanitize_svg(data)
    root = ET.fromstring(clean)
    tags = [element.tag.removeprefix(SVG) for element in root.iter()]
    assert tags == ["svg", "defs", "linearGradient", "stop", "path", "rect", "use", "text", "image"]
    assert (width, height) == (400, 200)
    text = clean.decode()
    assert "alert" not in text and "metadata" not in text and "inkscape" not in text and "data-note" not in text
    assert 'fill="url(#g)"' in text and 'xlink:href="#dot"' in text and "loss &lt; 1" in text


@pytest.mark.parametrize(("root", "size"), [
    ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 300">', (640, 300)),
    ('<svg xmlns="http://www.w3.org/2000/svg" width="10cm" height="5cm" viewBox="0,0,100,50">', (100, 50)),
    ('<svg xmlns="http://www.w3.org/2000/svg" width="100%">', (None, None)),
])
def test_svg_size_comes_from_width_and_height_or_the_viewbox(root: str, size: tuple) -> None:
    assert figures.sanitize_svg(svg("", root))[1:] == size


# ---------------------------------------------------------------- images in Markdown

IMAGE_TEXTS = [
    pytest.param("See ![a loss curve](images/loss.svg).", None, id="fine"),
    pytest.param("![pixels](images/sub/digit.png)", None, id="subfolder"),
    pytest.param("![dot](data:image/png;base64,iVBORw0KGgo=)", None, id="inline-png"),
    pytest.param("![](images/loss.svg)", "has no alt text", id="no-alt"),
    pytest.param("![   ](images/loss.svg)", "has no alt text", id="blank-alt"),
    pytest.param("![curve](https://example.org/loss.png)", "not a file of the bank", id="url"),
    pytest.param("![curve](//example.org/loss.png)", "not a file of the bank", id="protocol-relative"),
    pytest.param("![curve](ftp://example.org/loss.png)", "not a file of the bank", id="ftp"),
    pytest.param("![curve](/etc/passwd.png)", "in the images/ folder", id="absolute"),
    pytest.param("![curve](images/../../secret.png)", "in the images/ folder", id="traversal"),
    pytest.param("![curve](loss.png)", "in the images/ folder", id="not-in-images"),
    pytest.param("![curve](images/loss.gif)", ".png, .jpg or .svg", id="extension"),
    pytest.param("![curve](images/{{name}}.png)", "cannot hold", id="placeholder"),
    pytest.param("![c](data:image/svg+xml;base64,PHN2Zz4=)", "SVG data: URI", id="svg-data-uri"),
]


@pytest.mark.parametrize(("text", "problem"), IMAGE_TEXTS)
def test_image_references_are_checked_as_written(text: str, problem: str | None) -> None:
    found = figures.find_images(text)
    assert len(found) == 1
    if problem is None:
        assert found[0].problem is None
    else:
        assert found[0].problem is not None and problem in found[0].problem


def test_found_images_know_their_line_and_alt_text() -> None:
    text = "First line.\n\nA paragraph\nwith ![the *training* loss](images/a.svg) and\n![b](images/b.png)\n"
    found = figures.find_images(text)
    assert [(f.offset, f.src, f.alt) for f in found] == [(3, "images/a.svg", "the training loss"),
                                                         (4, "images/b.png", "b")]
    assert figures.find_images("$![not an image](images/a.svg)$ and `![code](x)`") == []


# ---------------------------------------------------------------- image files


@pytest.fixture
def bank_folder(tmp_path: Path) -> Path:
    (tmp_path / "images").mkdir()
    return tmp_path


def test_read_image_checks_and_describes_each_kind_of_file(bank_folder: Path) -> None:
    (bank_folder / "images" / "dot.png").write_bytes(png(3, 2))
    (bank_folder / "images" / "plot.svg").write_bytes(svg('<rect width="4" height="4"/>'))
    (bank_folder / "images" / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 20)
    dot = figures.read_image(bank_folder, "images/dot.png")
    assert (dot.media_type, dot.width, dot.height) == ("image/png", 3, 2)
    assert dot.shown.file == dot.digest + ".png" and dot.shown.url == f"/figures/{dot.digest}.png"
    plot = figures.read_image(bank_folder, "images/plot.svg")
    assert plot.media_type == "image/svg+xml" and (plot.width, plot.height) == (40, 20)
    assert figures.read_image(bank_folder, "images/photo.jpg").shown.file.endswith(".jpg")


@pytest.mark.parametrize(("name", "content", "message"), [
    pytest.param("missing.png", None, "not found", id="missing"),
    pytest.param("fake.png", b"GIF89a....", "is not a PNG image", id="not-png"),
    pytest.param("fake.jpg", b"\x89PNG", "is not a JPEG image", id="not-jpeg"),
    pytest.param("bad.svg", svg("<script/>"), "<script> is not allowed", id="unsafe-svg"),
])
def test_read_image_refuses_what_cannot_be_shown(bank_folder: Path, name: str, content: bytes | None,
                                                 message: str) -> None:
    if content is not None:
        (bank_folder / "images" / name).write_bytes(content)
    with pytest.raises(ImageError, match=message):
        figures.read_image(bank_folder, f"images/{name}")


def test_read_image_refuses_a_link_out_of_the_folder_and_a_huge_file(bank_folder: Path, tmp_path_factory,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "secret.png"
    outside.write_bytes(png())
    os.symlink(outside, bank_folder / "images" / "link.png")
    with pytest.raises(ImageError, match="outside the images/ folder"):
        figures.read_image(bank_folder, "images/link.png")
    (bank_folder / "images" / "big.png").write_bytes(png())
    monkeypatch.setattr(figures, "MAX_IMAGE_BYTES", 10)
    with pytest.raises(ImageError, match="make it smaller"):
        figures.read_image(bank_folder, "images/big.png")


@pytest.mark.parametrize("value", [None, "x", {"file": "../../etc/passwd"}, {"file": "a" * 64 + ".exe"},
                                   {"width": 3}])
def test_a_stored_image_entry_that_is_not_one_is_ignored(value: object) -> None:
    assert figures.ShownImage.from_stored(value) is None


def test_a_stored_image_entry_round_trips() -> None:
    shown = figures.ShownImage("b" * 64 + ".svg", 640, None)
    assert figures.ShownImage.from_stored(shown.as_stored()) == shown


# ---------------------------------------------------------------- plot specs

GOOD_PLOT = {"title": "Loss", "alt": "Loss falls", "x_label": "epoch", "y_label": "loss",
             "series": [{"kind": "line", "x": "epochs", "y": "loss", "label": "train"}]}
KNOWN = {"epochs", "loss", "val", "n"}

PLOT_PROBLEMS = [
    pytest.param([1, 2], "plot must be a mapping", id="not-a-mapping"),
    pytest.param({**GOOD_PLOT, "title": ""}, "plot title must be non-empty text", id="empty-title"),
    pytest.param({k: v for k, v in GOOD_PLOT.items() if k != "alt"}, "plot needs alt", id="no-alt"),
    pytest.param({**GOOD_PLOT, "tittle": "x"}, "unknown key 'tittle' in plot, did you mean 'title'?", id="typo"),
    pytest.param({**GOOD_PLOT, "series": []}, "plot needs series", id="no-series"),
    pytest.param({**GOOD_PLOT, "series": [{"kind": "pie", "y": "loss"}]}, "needs kind: one of line, scatter, bar",
                 id="bad-kind"),
    pytest.param({**GOOD_PLOT, "series": [{"kind": "line"}]}, "needs y", id="no-y"),
    pytest.param({**GOOD_PLOT, "series": [{"kind": "line", "y": "los"}]}, "y 'los' is not defined", id="unknown-y"),
    pytest.param({**GOOD_PLOT, "series": [{"kind": "line", "x": "epoch", "y": "loss"}]}, "x 'epoch' is not defined",
                 id="unknown-x"),
    pytest.param({**GOOD_PLOT, "series": [{"kind": "line", "y": "np.log(loss)"}]}, "must be a name", id="expression"),
    pytest.param({**GOOD_PLOT, "series": [{"kind": "line", "y": "loss"}, {"kind": "bar", "y": "val"}]},
                 "give every series a label", id="unlabelled"),
    pytest.param({**GOOD_PLOT, "series": [{"kind": "line", "y": "loss", "label": str(i)} for i in range(9)]},
                 "at most 8", id="too-many"),
    pytest.param({**GOOD_PLOT, "alt": "after {{ m }} epochs"}, "unknown name 'm' in plot alt", id="alt-name"),
    pytest.param({**GOOD_PLOT, "series": [{"kind": "line", "y": "loss", "colour": "red"}]},
                 "unknown key 'colour' in plot series 1", id="series-key"),
]


@pytest.mark.parametrize(("value", "message"), PLOT_PROBLEMS)
def test_plot_spec_problems_are_reported(value: object, message: str) -> None:
    spec, findings = figures.parse_plot(value, 7, KNOWN)
    assert spec is None
    assert any(message in text for _, text in findings), findings


def test_a_good_plot_spec_reads_its_names() -> None:
    spec, findings = figures.parse_plot({**GOOD_PLOT, "title": "Loss after {{ n }} epochs"}, 7, KNOWN)
    assert findings == [] and spec is not None
    assert spec.names() == {"epochs", "loss", "n"}
    assert spec.series[0].kind == "line" and spec.line == 7


def test_plot_names_are_not_checked_when_the_solution_could_not_be_read() -> None:
    spec, findings = figures.parse_plot({**GOOD_PLOT, "series": [{"kind": "line", "y": "anything"}]}, 1, None)
    assert findings == [] and spec is not None


# ---------------------------------------------------------------- plot data

SPEC = figures.PlotSpec("Loss", "falls", (figures.SeriesSpec("line", "loss", "epochs", "train", line=12),))

DATA_PROBLEMS = [
    pytest.param({"epochs": [1, 2, 3]}, "'loss' is not a number or an array", id="missing"),
    pytest.param({"epochs": [1, 2, 3], "loss": [1.0, 0.5]}, "x 'epochs' has 3 values but y 'loss' has 2",
                 id="lengths"),
    pytest.param({"epochs": [1, 2], "loss": [1.0, math.nan]}, "holds nan at index 1", id="nan"),
    pytest.param({"epochs": [1, 2], "loss": [math.inf, 1.0]}, "holds inf at index 0", id="inf"),
    pytest.param({"epochs": [1, 2], "loss": [[1.0], [2.0]]}, "1-D list of numbers, got a 2-D array", id="matrix"),
    pytest.param({"epochs": [1, 2], "loss": 0.5}, "got the number 0.5", id="scalar"),
    pytest.param({"epochs": [1, 2], "loss": "low"}, "got text", id="text"),
    pytest.param({"epochs": [], "loss": []}, "'loss' is empty", id="empty"),
]


@pytest.mark.parametrize(("names", "message"), DATA_PROBLEMS)
def test_plot_data_problems_name_the_series_and_line(names: dict, message: str) -> None:
    fault = figures.plot_problem(SPEC, names)
    assert fault is not None and message in str(fault)
    assert "plot series 1 (train)" in str(fault) and fault.line == 12


def test_a_series_without_x_is_plotted_against_1_2_3() -> None:
    spec = figures.PlotSpec("t", "a", (figures.SeriesSpec("bar", "counts"),))
    [data] = figures.plot_data(spec, {"counts": [4, 5, 6]})
    assert data.x == (1.0, 2.0, 3.0) and data.y == (4.0, 5.0, 6.0)


# ---------------------------------------------------------------- drawing


def _plot(kinds: tuple[str, ...] = ("line", "scatter", "bar"), **names: object) -> ET.Element:
    series = tuple(figures.SeriesSpec(kind, f"y{i}", "x", f"<{kind}> & co") for i, kind in enumerate(kinds))
    spec = figures.PlotSpec("Loss after {{ n }} epochs", "Falls, then <rises>", series, "epoch", "loss")
    values = {"x": [1, 2, 3, 4], "n": 4, **{f"y{i}": [1.0, 0.5, -0.2, 0.4] for i in range(len(kinds))}, **names}
    text = figures.plot_svg(spec, values)
    assert "style=" not in text and "<script" not in text  # the page's CSP allows neither
    return ET.fromstring(text)


def test_plot_svg_is_an_accessible_image_with_title_and_description() -> None:
    root = _plot()
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.get("aria-label") == "Loss after 4 epochs. Falls, then <rises>"
    assert root.find(f"{SVG}title").text == "Loss after 4 epochs"
    assert root.find(f"{SVG}desc").text == "Falls, then <rises>"
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"Loss after 4 epochs", "epoch", "loss", "<line> & co", "<bar> & co"} <= texts


def test_each_kind_of_series_is_drawn() -> None:
    root = _plot()
    groups = {g.get("class"): g for g in root.iter(f"{SVG}g") if (g.get("class") or "").startswith("plot-series")}
    assert set(groups) == {"plot-series plot-line", "plot-series plot-scatter", "plot-series plot-bar"}
    assert len(groups["plot-series plot-line"].findall(f"{SVG}polyline")) == 1
    assert len(groups["plot-series plot-bar"].findall(f"{SVG}rect")) == 4
    assert len(groups["plot-series plot-scatter"].findall(f"{SVG}rect")) == 4  # square markers
    tips = [t.text for t in groups["plot-series plot-line"].iter(f"{SVG}title")]
    assert tips[0] == "<line> & co: (1, 1)"


def test_bars_start_at_zero_and_negative_values_hang_below_it() -> None:
    root = _plot(("bar",))
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert "0" in ticks and any(t.startswith("\u2212") for t in ticks)  # a minus sign, not a hyphen


@pytest.mark.parametrize(("low", "high", "expected"), [
    (0, 1, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
    (1, 30, [0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0]),
    (-0.3, 2.1, [-0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5]),
    (5, 5, [4.4, 4.6, 4.8, 5.0, 5.2, 5.4, 5.6]),
    (1e-4, 3e-4, [0.0001, 0.00015, 0.0002, 0.00025, 0.0003]),
])
def test_nice_ticks_are_round_and_cover_the_range(low: float, high: float, expected: list[float]) -> None:
    assert figures.nice_ticks(low, high) == pytest.approx(expected)


@pytest.mark.parametrize(("value", "step", "text"), [
    (0.5, 0.25, "0.50"), (0.25, 0.25, "0.25"), (2000, 1000, "2000"), (-1.5, 0.5, "\u22121.5"), (0, 0.1, "0"),
    (2e-5, 1e-5, "2e-5"),
])
def test_tick_labels_have_the_digits_their_step_needs(value: float, step: float, text: str) -> None:
    assert figures.tick_label(value, step) == text


def test_image_tag_shows_stored_files_inline_images_and_nothing_else() -> None:
    stored = {"images/a.svg": figures.ShownImage("c" * 64 + ".svg", 40, 20)}
    tag = figures.image_tag("images/a.svg", 'a "curve"', None, stored)
    assert tag.startswith(f'<img src="/figures/{"c" * 64}.svg" alt=\'a "curve"\' width="40" height="20"')
    assert figures.image_tag("https://evil.example/x.png", "x <y>", None, stored) == \
        '<span class="image-missing">x &lt;y&gt;</span>'


def test_a_plot_can_give_its_values_as_a_table() -> None:
    spec, findings = figures.parse_plot({**GOOD_PLOT, "table": True, "series": [
        {"kind": "line", "x": "epochs", "y": "loss", "label": "train"},
        {"kind": "line", "x": "epochs", "y": "val", "label": "<val>"}]}, 1, KNOWN)
    assert findings == [] and spec is not None and spec.table
    html = figures.plot_html(spec, {"epochs": [1, 2], "loss": [0.5, 0.25], "val": [0.75, -1.5]})
    assert '<details class="plot-values"><summary>Values as a table</summary>' in html
    assert ('<thead><tr><th scope="col">epoch</th><th scope="col">train</th><th scope="col">&lt;val&gt;</th></tr>'
            "</thead>") in html
    assert '<tr><th scope="row">2</th><td>0.25</td><td>\u22121.5</td></tr>' in html
    assert "<details" not in figures.plot_html(figures.parse_plot(GOOD_PLOT, 1, KNOWN)[0], {
        "epochs": [1, 2], "loss": [0.5, 0.25]})


def test_series_on_different_x_values_get_a_table_each() -> None:
    spec = figures.PlotSpec("t", "a", (figures.SeriesSpec("line", "u", "x1", "first"),
                                       figures.SeriesSpec("scatter", "v", "x2", "second")), table=True)
    html = figures.plot_table(spec, {"x1": [1, 2], "u": [3, 4], "x2": [5], "v": [6]})
    assert html.count("<table") == 2 and '<th scope="col">second</th>' in html


def test_plot_table_must_be_true_or_false() -> None:
    _, findings = figures.parse_plot({**GOOD_PLOT, "table": "yes"}, 3, KNOWN)
    assert findings == [(3, "plot table must be true or false, got 'yes'")]
