import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizserver.render import (
    RENDER_VERSION,
    format_latex,
    latex_to_words,
    placeholder_names,
    render_markdown,
    render_template,
    substitute,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, "3"),
        (-12, "-12"),
        (3.0, "3"),
        (0.123456, "0.1235"),
        (-2.5, "-2.5"),
        (0.5, "0.5"),
        (12345.678, "12350"),
        (0.001, "0.001"),
        (1.23456e-5, r"1.235 \times 10^{-5}"),
        (-1.23456e-5, r"-1.235 \times 10^{-5}"),
        (1e-4, r"1 \times 10^{-4}"),
        (1234567, "1234567"),
        (2.5e6, "2500000"),
        (1234567.8, r"1.235 \times 10^{6}"),
        (-9.87654e16, r"-9.877 \times 10^{16}"),
        (999999.96, "1000000"),
        (0.0, "0"),
        (-0.0, "0"),
        (-1e-20, r"-1 \times 10^{-20}"),
        (True, r"\text{true}"),
        (False, r"\text{false}"),
        (float("inf"), r"\infty"),
        (float("-inf"), r"-\infty"),
        (float("nan"), r"\mathrm{NaN}"),
        (np.float64(0.25), "0.25"),
        (np.int64(7), "7"),
        (np.bool_(True), r"\text{true}"),
        ("ReLU", r"\text{ReLU}"),
        ("a{b}$c\\", r"\text{abc}"),
    ],
)
def test_format_latex_scalars(value, expected):
    assert format_latex(value) == expected


@pytest.mark.parametrize(
    ("value", "sig", "expected"),
    [
        (math.pi, 2, "3.1"),
        (math.pi, 6, "3.14159"),
        (2 / 3, 1, "0.7"),
        (1.23456e-7, 2, r"1.2 \times 10^{-7}"),
    ],
)
def test_format_latex_significant_digits(value, sig, expected):
    assert format_latex(value, sig=sig) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([1, 2, 3], r"\begin{bmatrix}1\\2\\3\end{bmatrix}"),
        ((0.5, -1.25), r"\begin{bmatrix}0.5\\-1.25\end{bmatrix}"),
        ([[1, 2], [3, 4]], r"\begin{bmatrix}1 & 2\\3 & 4\end{bmatrix}"),
        ([[0.5]], r"\begin{bmatrix}0.5\end{bmatrix}"),
        ([[1e-5, 2.0, 3.14159]], r"\begin{bmatrix}1 \times 10^{-5} & 2 & 3.142\end{bmatrix}"),
        (np.array([[1.0, -0.0], [2.5, 1.5e7]]), r"\begin{bmatrix}1 & 0\\2.5 & 15000000\end{bmatrix}"),
        (np.array([[0.5, 2.2e-9]]), r"\begin{bmatrix}0.5 & 2.2 \times 10^{-9}\end{bmatrix}"),
        (np.arange(3), r"\begin{bmatrix}0\\1\\2\end{bmatrix}"),
        ([], r"\begin{bmatrix}\end{bmatrix}"),
    ],
)
def test_format_latex_vectors_and_matrices(value, expected):
    assert format_latex(value) == expected


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ([[1], [2, 3]], ValueError),
        ([[[1]]], ValueError),
        ([1, [2]], ValueError),
        (None, TypeError),
        ({"a": 1}, TypeError),
        ([1, None], TypeError),
    ],
)
def test_format_latex_rejects_values_it_cannot_show(value, error):
    with pytest.raises(error):
        format_latex(value)


def _read_back(latex):
    mantissa, _, exponent = latex.partition(r" \times 10^")
    return float(mantissa) * 10 ** int(exponent.strip("{}") or 0)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
def test_number_latex_keeps_four_significant_digits(x):
    latex = format_latex(x)
    assert latex != "-0"
    assert _read_back(latex) == pytest.approx(x, rel=5e-4)


@given(st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_every_number_renders_as_mathml(x):
    html = render_markdown(f"${format_latex(x)}$")
    assert "<math" in html
    assert "math-error" not in html


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("no placeholders", set()),
        ("{{ a }} and {{b}} and {{  a  }}", {"a", "b"}),
        ("$W_{1} = {{ W_1 }}$", {"W_1"}),
        ("{{ 1a }} {{ a-b }} { a }", set()),
    ],
)
def test_placeholder_names(template, expected):
    assert placeholder_names(template) == expected


NAMES = {"a": -3, "x": 0.5, "W": [[1, 2], [3, 4]], "v": [1, 2], "tiny": 1.23456e-5, "ok": True}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("inline $y = {{ a }} x$", "inline $y = -3 x$"),
        ("$W = {{W}}$", r"$W = \begin{bmatrix}1 & 2\\3 & 4\end{bmatrix}$"),
        ("$$\nz = {{ v }}\n$$", "$$\nz = \\begin{bmatrix}1\\\\2\\end{bmatrix}\n$$"),
        ("Let x be {{ x }}.", "Let x be $0.5$."),
        ("{{ a }} at line start", "$-3$ at line start"),
        ("rate {{ tiny }}", r"rate $1.235 \times 10^{-5}$"),
        ("flag {{ ok }}", r"flag $\text{true}$"),
        ("both {{ x }} and $x={{ x }}$", "both $0.5$ and $x=0.5$"),
        (r"price \$ {{ a }}", r"price \$ $-3$"),
        ("code `W = {{ W }}`", "code `W = [[1, 2], [3, 4]]`"),
        ("```\nv = {{ v }}\n```", "```\nv = [1, 2]\n```"),
        ("    indented {{ tiny }}", "    indented 1.235e-05"),
        ("[see](http://example.org/{{ a }})", "[see](http://example.org/-3)"),
        ("**{{ x }}**", "**$0.5$**"),
    ],
)
def test_substitute(template, expected):
    assert substitute(template, NAMES) == expected


@pytest.mark.parametrize(
    ("template", "missing"),
    [
        ("{{ nope }}", "nope"),
        ("$x = {{ x }} + {{ y }}$", "y"),
        ("`{{ z }}`", "z"),
    ],
)
def test_substitute_unknown_name_raises_key_error(template, missing):
    with pytest.raises(KeyError) as raised:
        substitute(template, NAMES)
    assert raised.value.args == (missing,)


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("<script>alert(1)</script>", ["&lt;script&gt;alert(1)&lt;/script&gt;"], ["<script"]),
        ('<img src=x onerror="alert(1)">', ["&lt;img"], ["<img"]),
        (r"$\text{<script>alert(1)</script>}$", ["&lt;script&gt;"], ["<script"]),
        (r"$\href{javascript:alert(1)}{x}$", ["<mi>x</mi>"], [" href=", "<a "]),
        ("[x](javascript:alert(1))", ["[x](javascript:alert(1))"], ["<a "]),
        (r"$\text{a & b}$", ["&amp;"], [" & "]),
        (
            r"$\frac{1}{2}$",
            ['<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline" alttext="1 over 2"', "<mfrac"],
            [],
        ),
        (r"$\begin{bmatrix}1 & 2\\3 & 4\end{bmatrix}$", ["<mtable", "<mtr>", "<mtd><mn>4</mn></mtd>"], []),
        ("$$\n\\sum_{i=1}^n x_i\n$$", ['<div class="math block">', 'display="block"', "<munderover"], ["inline"]),
        ("text $$E = mc^2$$ more", ['display="block"'], ["$"]),
        (r"$\frac{1}{$ but $x$ fine", ['<code class="math-error">\\frac{1}{</code>', "<mi>x</mi>"], []),
        (r"$x^$", ['<code class="math-error">x^</code>'], ["<math"]),
        (r"$a < b$", ["<mi>a</mi><mo>&#x0003C;</mo>"], ["<mi><"]),
        ("- one\n- **two**\n\n1. first", ["<ul>", "<li>one</li>", "<strong>two</strong>", "<ol>"], []),
        ("Use `np.dot(W, x)` here", ["<code>np.dot(W, x)</code>"], []),
        ("code `$x$` stays", ["<code>$x$</code>"], ["<math"]),
        (r"costs \$5 and \$6", ["costs $5 and $6"], ["<math"]),
        ("| a | b |\n|---|---|\n| 1 | $x$ |", ["<table>", "<td><span class=\"math inline\"><math"], []),
    ],
)
def test_render_markdown(text, present, absent):
    html = render_markdown(text)
    for fragment in present:
        assert fragment in html
    for fragment in absent:
        assert fragment not in html


COURSE_LATEX = [
    r"\frac{\partial L}{\partial w}",
    r"\tfrac{1}{2}",
    r"\mathrm{d}x",
    r"\hat{y}",
    r"W^\top x",
    r"\sum_{i=1}^n x_i",
    r"a \odot b",
    r"\sigma(z)",
    r"\lVert x\rVert_2^2",
    r"\operatorname{softmax}(z)_i",
    r"\mathbb{E}[X]",
    r"\text{if } x > 0",
    r"\begin{bmatrix}1 & 2\\3 & 4\end{bmatrix}",
    r"a \cdot b",
    r"\log p",
    r"\exp(-x)",
    r"\max(0, x)",
    r"\nabla_W L",
    r"x_i^{(t+1)}",
    r"\left( \frac{1}{n} \right)",
]


@pytest.mark.parametrize("latex", COURSE_LATEX)
def test_course_latex_converts(latex):
    html = render_markdown(f"${latex}$")
    assert "<math" in html
    assert "math-error" not in html


@pytest.mark.parametrize(
    ("template", "present"),
    [
        ("Compute $W x$ for $W = {{ W }}$, $x = {{ v }}$.", ["<mtable", "<mn>4</mn>"]),
        ("The step is {{ x }}.", ['<span class="math inline"><math', "<mn>0.5</mn>"]),
        ("Type `{{ W }}` like this.", ["<code>[[1, 2], [3, 4]]</code>"]),
        ("$$\n{{ W }}\n$$", ['display="block"', "<mtable"]),
    ],
)
def test_render_template(template, present):
    html = render_template(template, NAMES)
    for fragment in present:
        assert fragment in html
    assert "{{" not in html


# --------------------------------------------------------------------------- math in words


@pytest.mark.parametrize(
    ("latex", "words"),
    [
        (r"\frac{a}{b}", "a over b"),
        (r"\tfrac12", "1 over 2"),
        (r"y_i", "y sub i"),
        (r"W_{ij}", "W sub i j end sub"),
        (r"x^2 + x^3", "x squared plus x cubed"),
        (r"e^{-z}", "e to the power minus z"),
        (r"h^{(l)}", "h superscript open paren l close paren"),
        (r"X^\top X", "X transpose X"),
        (r"\hat{y}_i", "y hat sub i"),
        (r"\frac{\partial L}{\partial W_1}", "start fraction partial L over partial W sub 1 end fraction"),
        (
            r"\mathrm{MSE} = \frac{1}{n} \sum_{i=1}^{n} (\hat y_i - y_i)^2",
            "MSE equals 1 over n sum from i equals 1 to n open paren y hat sub i minus y sub i close paren squared",
        ),
        (r"\sum_i w_i", "sum over i w sub i"),
        (r"\sigma(\mathbf w^\top \mathbf x)", "sigma open paren bold w transpose bold x close paren"),
        (r"\Phi \ne \varepsilon", "capital phi not equal to epsilon"),
        (r"\sqrt{d_k}", "square root of d sub k"),
        (r"\lVert w \rVert^2", "norm of w end norm squared"),
        (r"P(y \mid x) \approx 0.5", "P open paren y given x close paren approximately equals 0.5"),
        (r"1.5 \times 10^{-5}", "1.5 times 10 to the power minus 5"),
        (r"\operatorname{ReLU}(z)", "ReLU open paren z close paren"),
        (r"x \in \mathbb{R}^n", "x in the real numbers to the power n"),
        (
            r"\begin{bmatrix}1 & 2 & 3\\ -4 & 5 & 6\end{bmatrix}",
            "2 by 3 matrix; row 1: 1, 2, 3; row 2: minus 4, 5, 6; end matrix",
        ),
        (r"\begin{bmatrix}0.5\\2\end{bmatrix}", "column vector with entries 0.5, 2"),
        (r"a = 1, \qquad b = 2.", "a equals 1, b equals 2"),
        (r"\text{loss} \to 0", "loss to 0"),
    ],
)
def test_latex_to_words(latex, words):
    assert latex_to_words(latex) == words


@pytest.mark.parametrize("latex", [r"\unknowncommand x", r"\begin{tikzpicture}\end{tikzpicture}", "}", "x^", "a & b"])
def test_latex_to_words_gives_none_for_what_it_cannot_read(latex):
    assert latex_to_words(latex) is None


def _math_names(html):
    return re.findall(r'<math[^>]* alttext="([^"]*)" aria-label="([^"]*)"', html)


def test_every_formula_has_a_name_in_words_and_its_source_as_annotation():
    html = render_markdown(r"Minimise $\frac{1}{n}\sum_i (y_i - t_i)^2$ over $\unknowncommand{w}$.")
    assert html.count("<math") == 2
    assert _math_names(html) == [
        ("1 over n sum over i open paren y sub i minus t sub i close paren squared",) * 2,
        (r"\unknowncommand{w}",) * 2,  # no words for it: the source is the name
    ]
    assert '<annotation encoding="application/x-tex">\\frac{1}{n}\\sum_i (y_i - t_i)^2</annotation>' in html
    assert html.count("<semantics>") == 2


def test_names_and_annotations_are_escaped():
    html = render_markdown(r'$\text{"><script>alert(1)</script>} < \text{&#60;b}$')
    assert "<script" not in html
    name, _ = _math_names(html)[0]
    assert name == "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt; less than &amp;#60;b"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;} &lt; \\text{&amp;#60;b}</annotation>" in html


def test_render_version_is_an_int():
    assert isinstance(RENDER_VERSION, int) and RENDER_VERSION >= 2
