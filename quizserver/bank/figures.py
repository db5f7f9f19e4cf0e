"""A bank's figures: its Markdown images and `plot:` keys, as the validator, `quiz check` and sync meet them.

quizserver.figures does the work (finding images, reading and sanitising files, reading and drawing
plots); this module turns its findings into Problems with the bank's file and line, and puts what it
found on the Questions and the Bank. No Flask, no SQLAlchemy; no author code runs here.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from quizserver.figures import (
    INLINE_IMAGE,
    ImageError,
    ImageFile,
    ImageRef,
    PlotSpec,
    ShownImage,
    find_images,
    parse_plot,
    plot_problem,
    read_image,
)

from .fields import key_line, text_line
from .model import Bank, Problem, Question

Report = Callable[[int, str], None]  # the validator's error(line, message)


def question_images(item: Mapping[str, Any], line: int, error: Report) -> tuple[ImageRef, ...]:
    """Every Markdown image in a question's text, explanation and choices; each one's faults reported."""
    texts: list[tuple[Any, str]] = [(item, "text"), (item, "explanation")]
    choices = item.get("choices")
    if isinstance(choices, list):
        texts += [(choice, "text") for choice in choices if isinstance(choice, dict)]
    refs: list[ImageRef] = []
    for mapping, key in texts:
        value = mapping.get(key)
        if not isinstance(value, str):
            continue
        for found in find_images(value):
            where = text_line(mapping, key, found.offset, key_line(mapping, key, line))
            if found.problem is not None:
                error(where, found.problem)
            else:
                refs.append(ImageRef(found.src, found.alt, where))
    return tuple(refs)


def question_plot(item: Mapping[str, Any], line: int, known: set[str] | None, error: Report) -> PlotSpec | None:
    """The question's `plot:`; `known` are the names its params and solution define (None: unknown)."""
    spec, findings = parse_plot(item["plot"], key_line(item, "plot", line), known)
    for where, message in findings:
        error(where, message)
    return spec


# --------------------------------------------------------------------------- image files


def _file_refs(bank: Bank) -> Iterable[tuple[Question, ImageRef]]:
    for question in bank.questions:
        for ref in question.images:
            if not INLINE_IMAGE.match(ref.src):
                yield question, ref


def _with_shown(bank: Bank, shown: Mapping[str, ShownImage], **changes: Any) -> Bank:
    questions = tuple(
        replace(q, images=tuple(replace(ref, shown=shown.get(ref.src)) for ref in q.images)) if q.images else q
        for q in bank.questions
    )
    return replace(bank, questions=questions, **changes)


def attach_image_files(bank: Bank | None, problems: list[Problem], folder: Path) -> tuple[Bank | None, list[Problem]]:
    """Read every image file the bank's texts name, from `folder` (the bank file's), check it and make an
    SVG safe. A file that is missing, too large, not the image its name says, or an unsafe SVG is a
    problem at the line that names it. The bank's version then covers its images too: an edited image
    makes a new version, so sync stores it and pages show it."""
    if bank is None:
        return bank, problems
    files: dict[str, ImageFile] = {}
    found: list[Problem] = []
    for question, ref in _file_refs(bank):
        if ref.src in files:
            continue
        try:
            files[ref.src] = read_image(folder, ref.src)
        except ImageError as exc:
            found.append(Problem(bank.path, ref.line, str(exc), question.id))
    if found:
        return None, sorted(problems + found, key=lambda p: p.line)
    if not files:
        return bank, problems
    combined = bank.content_hash + "".join(f"\n{src}={files[src].digest}" for src in sorted(files))
    version = hashlib.sha256(combined.encode("utf-8")).hexdigest()
    shown = {src: file.shown for src, file in files.items()}
    return _with_shown(bank, shown, images=tuple(files.values()), content_hash=version), problems


def attach_stored_images(bank: Bank | None, stored: Mapping[str, Any] | None) -> Bank | None:
    """A bank read back from its stored source, with the image files sync stored for that version
    (BankVersion.images), so its text renders again without the files on disk."""
    if bank is None or not stored:
        return bank
    shown = {src: found for src, value in stored.items() if (found := ShownImage.from_stored(value)) is not None}
    return _with_shown(bank, shown)


def image_urls(question: Question) -> dict[str, ShownImage]:
    """What render_template needs to show the question's images: address as written -> stored file."""
    return {ref.src: ref.shown for ref in question.images if ref.shown is not None}


# --------------------------------------------------------------------------- plots


def plot_names(question: Question) -> set[str]:
    """The names a question's plot reads: stored with each variant, so its HTML can be made again."""
    return question.plot.names() if question.plot is not None else set()


def plot_problems(path: str, question: Question, samples: Iterable[Any]) -> list[Problem]:
    """The first variant whose values cannot be plotted (a name missing, lengths that differ, a value
    that is not finite), as a problem at the series' line with the seed to reproduce it."""
    if question.plot is None or question.label not in ("", "a"):  # the parts of a question share one plot
        return []
    for sample in samples:
        fault = plot_problem(question.plot, sample.names)
        if fault is not None:
            line = fault.line or question.plot.line
            return [Problem(path, line, f"{fault} (seed {sample.seed})", question.id)]
    return []


__all__ = [
    "attach_image_files",
    "attach_stored_images",
    "image_urls",
    "plot_names",
    "plot_problems",
    "question_images",
    "question_plot",
]
