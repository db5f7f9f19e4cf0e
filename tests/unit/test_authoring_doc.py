"""Every complete bank in docs/authoring.md passes `quiz check`, so the guide's examples work as written."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from quizserver.checking import check_paths
from quizserver.config import PROJECT_ROOT

GUIDE = PROJECT_ROOT / "docs" / "authoring.md"
YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```$", re.S | re.M)


def complete_banks() -> list[str]:
    return [block for block in YAML_BLOCK.findall(GUIDE.read_text()) if re.search(r"^version:", block, re.M)]


def test_the_guide_has_complete_examples() -> None:
    banks = complete_banks()
    assert len(banks) >= 2
    text = "\n".join(banks)
    for qtype in ("numeric", "integer", "matrix", "single_choice", "multiple_choice"):
        assert f"type: {qtype}\n" in text
    for key in ("gradient_of:", "equals:", "require:", "tolerance:", "partial:", "max_attempts:", "penalty:", "plot:",
                "](images/"):
        assert key in text


def test_every_key_of_richer_questions_has_a_working_example() -> None:
    """parts, after, answer names, any_of, the digit tolerances and constant parameters each appear in a
    complete bank, which the test below runs through `quiz check`."""
    text = "\n".join(complete_banks())
    for key in ("parts:", "after:", "answer: y", "any_of:", "sigfig:", "decdig:", "eps: 1.0e-5"):
        assert key in text, key


@pytest.mark.parametrize("index", range(len(complete_banks())))
def test_example_passes_quiz_check(tmp_path: Path, index: int) -> None:
    path = tmp_path / f"example{index}.yaml"
    path.write_text(complete_banks()[index])
    shutil.copytree(PROJECT_ROOT / "questions" / "images", tmp_path / "images")  # as in questions/
    result = check_paths([path], variants=20, seed=0)  # the same random draws every run
    assert [str(p) for p in result.problems] == []
    assert result.banks == 1 and result.questions >= 1


def test_the_readme_links_the_guide() -> None:
    assert "docs/authoring.md" in (PROJECT_ROOT / "README.md").read_text()
