"""Jinja filters the quiz and preview pages share: author text shown inline, with its math rendered."""
from __future__ import annotations

from markupsafe import Markup

from quizserver.render import render_inline

from . import bp


@bp.app_template_filter("inline_markdown")
def inline_markdown(text: str | None) -> Markup:
    """A choice's feedback or text as students read everything else an author writes: `$n \\times n$` as
    math, not as LaTeX source. Only for the author's text and the grader's fixed sentences; raw HTML is
    escaped by the renderer."""
    return Markup(render_inline(text or ""))  # nosec B704 -- render_inline escapes raw HTML
