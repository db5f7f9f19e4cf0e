"""A bank's figures as the validator and `quiz check` see them: every problem with its file and line."""
from __future__ import annotations

from pathlib import Path

import pytest

from quizserver.bank import load_bank, load_bank_file
from quizserver.bank.figures import attach_stored_images, image_urls, plot_problems
from quizserver.bank.pool import render_entries, shown_names
from quizserver.bank.verify import Sample
from quizserver.figures import ShownImage

HEAD = "version: 1\nweek: 3\ntitle: Figures\nquestions:\n"
PLOT_QUESTION = """\
  - id: curve
    type: integer
    points: 1
    text: |
      Read the plot.
    params:
      k: {randint: [2, 9]}
    solution: |
      epochs = np.arange(1, 11)
      loss = 1.0 / epochs + 0.01 * k
      answer = k
    plot:
      title: Loss
      alt: The loss falls.
      series:
        - {kind: line, x: epochs, y: %s, label: train}
"""
IMAGE_QUESTION = """\
  - id: picture
    type: numeric
    points: 1
    text: |
      Look at this.

      %s
    solution: answer = 1
"""


def _problems(text: str) -> list[str]:
    bank, problems = load_bank(HEAD + text, "week03.yaml")
    assert bank is None
    return [str(p) for p in problems]


@pytest.mark.parametrize(("body", "expected"), [
    pytest.param(PLOT_QUESTION % "los", "week03.yaml:20: curve: plot series 1 (train): y 'los' is not defined",
                 id="unknown-series-name"),
    pytest.param((PLOT_QUESTION % "loss").replace("      alt: The loss falls.\n", ""),
                 "week03.yaml:16: curve: plot needs alt", id="plot-without-alt"),
    pytest.param(PLOT_QUESTION.replace("kind: line", "kind: area") % "loss", "week03.yaml:20: curve: plot series 1 "
                 "needs kind", id="bad-kind"),
    pytest.param(IMAGE_QUESTION % "![](images/loss.svg)", "week03.yaml:11: picture: image images/loss.svg has no "
                 "alt text", id="image-without-alt"),
    pytest.param(IMAGE_QUESTION % "![curve](https://example.org/a.png)", "week03.yaml:11: picture: image "
                 "https://example.org/a.png is not a file of the bank", id="remote-image"),
    pytest.param(IMAGE_QUESTION % "![curve](../secret.png)", "week03.yaml:11: picture: image ../secret.png must be "
                 "a file in the images/ folder", id="outside-images"),
])
def test_figure_problems_have_file_and_line(body: str, expected: str) -> None:
    problems = _problems(body)
    assert any(p.startswith(expected) for p in problems), problems


def test_a_bank_without_figures_loads_as_before() -> None:
    bank, problems = load_bank(HEAD + IMAGE_QUESTION % "No picture.", "week03.yaml")
    assert problems == [] and bank is not None
    assert bank.questions[0].images == () and bank.questions[0].plot is None and bank.images == ()


def _write(folder: Path, image_line: str, files: dict[str, bytes]) -> Path:
    (folder / "images").mkdir(exist_ok=True)
    for name, data in files.items():
        (folder / "images" / name).write_bytes(data)
    path = folder / "week03.yaml"
    path.write_text(HEAD + IMAGE_QUESTION % image_line)
    return path


SAFE = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 4"><rect width="8" height="4"/></svg>'


def test_image_files_are_read_beside_the_bank_and_make_its_version(tmp_path: Path) -> None:
    path = _write(tmp_path, "![a black box](images/box.svg)", {"box.svg": SAFE})
    bank, problems = load_bank_file(path)
    assert problems == [] and bank is not None
    [ref] = bank.questions[0].images
    assert (ref.src, ref.alt, ref.line) == ("images/box.svg", "a black box", 11)
    assert ref.shown is not None and (ref.shown.width, ref.shown.height) == (8, 4)
    assert image_urls(bank.questions[0]) == {"images/box.svg": ref.shown}
    assert [f.src for f in bank.images] == ["images/box.svg"]
    text_only, _ = load_bank(path.read_text(), str(path))
    assert text_only is not None and bank.content_hash != text_only.content_hash

    (tmp_path / "images" / "box.svg").write_bytes(SAFE.replace(b'width="8"', b'width="7"'))
    edited, _ = load_bank_file(path)
    assert edited is not None and edited.content_hash != bank.content_hash  # a new image is a new version


@pytest.mark.parametrize(("files", "message"), [
    pytest.param({}, "week03.yaml:11: picture: image file images/box.svg not found (looked for images/box.svg)",
                 id="missing"),
    pytest.param({"box.svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'},
                 "week03.yaml:11: picture: images/box.svg: <svg> has an event handler (onload), which would run code",
                 id="unsafe"),
    pytest.param({"box.svg": b"not xml"}, "week03.yaml:11: picture: images/box.svg is not well-formed XML: "
                 "syntax error: line 1, column 0",
                 id="not-svg"),
])
def test_a_missing_or_unsafe_image_refuses_the_bank(tmp_path: Path, files: dict[str, bytes], message: str) -> None:
    path = _write(tmp_path, "![a black box](images/box.svg)", files)
    bank, problems = load_bank_file(path)
    assert bank is None
    assert [str(p).replace(str(tmp_path) + "/", "") for p in problems] == [message]


def test_a_stored_bank_gets_its_images_back_without_the_files(tmp_path: Path) -> None:
    path = _write(tmp_path, "![a black box](images/box.svg)", {"box.svg": SAFE})
    bank, _ = load_bank_file(path)
    assert bank is not None
    stored = {"images/box.svg": bank.images[0].shown.as_stored(), "images/gone.png": {"file": "../x"}}
    again = attach_stored_images(load_bank(path.read_text(), str(path))[0], stored)
    assert again is not None
    assert image_urls(again.questions[0]) == {"images/box.svg": ShownImage(bank.images[0].shown.file, 8, 4)}


def test_plot_data_problems_name_the_seed_and_the_series_line() -> None:
    bank, problems = load_bank(HEAD + PLOT_QUESTION % "loss", "week03.yaml")
    assert problems == [] and bank is not None
    question = bank.questions[0]
    good = Sample(1, {}, {"epochs": [1, 2, 3], "loss": [0.5, 0.4, 0.3]})
    short = Sample(77, {}, {"epochs": [1, 2, 3], "loss": [0.5, 0.4]})
    assert plot_problems(bank.path, question, [good]) == []
    [problem] = plot_problems(bank.path, question, [good, short])
    assert str(problem) == ("week03.yaml:20: curve: plot series 1 (train): x 'epochs' has 3 values but y 'loss' "
                            "has 2 (seed 77)")


MULTIPART = """\
  - id: curves
    text: |
      Both parts read this plot.

      ![the set-up](images/box.svg)
    params:
      k: {randint: [2, 9]}
    solution: |
      epochs = np.arange(1, 11)
      loss = 1.0 / epochs + 0.01 * k
      lowest = float(loss[-1])
      drawn = k
    plot:
      title: Loss
      alt: The loss falls.
      series:
        - {kind: line, x: epochs, y: loss}
    parts:
      - id: first
        type: integer
        points: 1
        text: What is k?
        answer: drawn
      - id: second
        type: numeric
        points: 1
        text: What is the last loss?
        answer: lowest
"""


def test_a_question_in_parts_shows_its_plot_and_images_above_every_part(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "box.svg").write_bytes(SAFE)
    path = tmp_path / "week03.yaml"
    path.write_text(HEAD + MULTIPART)
    bank, problems = load_bank_file(path)
    assert [str(p) for p in problems] == [] and bank is not None
    first, second = bank.questions
    assert first.plot is not None and first.plot == second.plot
    assert [r.src for r in first.images] == [r.src for r in second.images] == ["images/box.svg"]
    broken = Sample(5, {}, {"epochs": [1, 2], "loss": [0.5]})
    assert len(plot_problems(bank.path, first, [broken])) == 1
    assert plot_problems(bank.path, second, [broken]) == []  # reported once, not once per part

    names = {"epochs": [1, 2, 3], "loss": [0.5, 0.4, 0.3], "drawn": 3, "lowest": 0.3}
    assert {"epochs", "loss"} <= shown_names(second)
    [entry], render_problems = render_entries(bank.path, second, [Sample(5, {}, names)])
    assert render_problems == []
    text_html = entry.text_html
    assert text_html.index("/figures/") < text_html.index("<svg") < text_html.index("What is the last loss?")


def test_a_plot_under_a_part_is_refused() -> None:
    body = MULTIPART.replace("        answer: lowest\n", "        answer: lowest\n        plot: {title: t}\n")
    problems = _problems(body)
    assert any("unknown key 'plot'" in p for p in problems), problems
