"""YAML with line numbers, reading bank files and folders, and problems across files."""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from quizserver.bank import Bank, bank_paths, content_hash, load_bank, load_bank_file, load_banks
from quizserver.bank.loader import DuplicateKey, LineDict, LineList, parse_yaml

SAMPLE = """\
title: Week 3
solution: |
  z = 1

  answer = z
tolerance: {rtol: 0.01}
items:
  - first
  -
    nested: 1
"""


def bank_text(week: int, question_id: str = "q1") -> str:
    return (
        f"version: 1\nweek: {week}\ntitle: Week {week}\nquestions:\n"
        f"  - id: {question_id}\n    type: numeric\n    points: 1\n    text: Two plus two?\n"
        "    solution: answer = 2 + 2\n"
    )


def test_mappings_carry_the_lines_of_their_keys_and_values() -> None:
    data = parse_yaml(SAMPLE).data
    assert isinstance(data, LineDict) and data.line == 1
    assert data.key_lines == {"title": 1, "solution": 2, "tolerance": 6, "items": 7}
    # a `|` block starts on the line after its key
    assert data.value_lines["solution"] == 3 and data.value_styles["solution"] == "|"
    assert data["tolerance"].line == 6 and data["tolerance"].key_line("rtol") == 6


# (key, line inside the value, file line): only a literal block keeps its lines as written
TEXT_LINE_ROWS = [
    ("solution", 0, 3),
    ("solution", 2, 5),  # the blank line inside the block counts
    ("title", 0, 1),
    ("title", 3, 1),
    ("missing", 0, 1),  # an absent key falls back to the mapping's own line
]


@pytest.mark.parametrize(("key", "offset", "line"), TEXT_LINE_ROWS)
def test_text_line_maps_a_line_inside_a_value_to_the_file(key: str, offset: int, line: int) -> None:
    assert parse_yaml(SAMPLE).data.text_line(key, offset) == line


def test_sequences_carry_their_item_lines() -> None:
    items = parse_yaml(SAMPLE).data["items"]
    assert isinstance(items, LineList)
    assert items == ["first", {"nested": 1}]
    assert items.line == 8 and items.item_lines == [8, 10]
    assert items[1].line == 10 and items[1].key_line("nested") == 10


def test_repeated_keys_are_recorded_where_pyyaml_would_drop_them() -> None:
    parsed = parse_yaml("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n")
    assert parsed.data == {"a": 3, "b": {"c": 2}}
    assert parsed.duplicate_keys == (DuplicateKey("a", 5, 1), DuplicateKey("c", 4, 3))
    assert parsed.data.duplicate_keys == [DuplicateKey("a", 5, 1)]
    assert parsed.data["b"].duplicate_keys == [DuplicateKey("c", 4, 3)]


def test_a_merge_key_override_is_not_a_repeated_key() -> None:
    parsed = parse_yaml("base: &base {rtol: 0.1, atol: 0.5}\nq:\n  <<: *base\n  rtol: 0.2\n")
    assert parsed.data["q"] == {"rtol": 0.2, "atol": 0.5}
    assert parsed.duplicate_keys == ()


# (YAML scalar, value): PyYAML's safe types, with YAML 1.2 booleans and exponent floats
SCALAR_ROWS = [
    ("2026-04-24T00:00:00+02:00", datetime(2026, 4, 24, tzinfo=timezone(timedelta(hours=2)))),
    ("2026-04-24", date(2026, 4, 24)),
    ("1e-6", 1e-6),
    ("-2.5E+3", -2500.0),
    ("1.0e-6", 1e-6),
    ("3", 3),
    ("true", True),
    ("False", False),
    ("no", "no"),
    ("Yes", "Yes"),
    ("on", "on"),
    ("null", None),
    ("'1e-6'", "1e-6"),
]


@pytest.mark.parametrize(("scalar", "value"), SCALAR_ROWS)
def test_scalars_are_read_as_authors_expect(scalar: str, value: Any) -> None:
    read = parse_yaml(f"v: {scalar}\n").data["v"]
    assert read == value and type(read) is type(value)


def test_pyyamls_own_safe_loader_is_left_as_it_was() -> None:
    assert yaml.safe_load("v: no") == {"v": False}
    assert yaml.safe_load("v: 1e-6") == {"v": "1e-6"}


# (file text, line, column, message fragment)
SYNTAX_ERROR_ROWS = [
    ("version: 1\nweek: 3\ntitle: Why: because\n", 3, 11,
     "(text containing ': ' must be quoted or written as a | block)"),
    ("version: 1\nweek:\n\t3\n", 3, 1, "(indent with spaces, not tabs)"),
    ("version: 1\nweek: [3\n", 3, 1, "YAML syntax error: "),
    ("version: 1\n---\nweek: 3\n", 2, 1, "but found another document"),
    ("version: 1\nweek: !!python/name:os.system 3\n", 2, 7, "could not determine a constructor"),
]


@pytest.mark.parametrize(("text", "line", "column", "fragment"), SYNTAX_ERROR_ROWS)
def test_a_syntax_error_is_reported_with_line_and_column(text: str, line: int, column: int, fragment: str) -> None:
    bank, problems = load_bank(text, "w.yaml")
    assert bank is None
    assert [(p.line, p.column) for p in problems] == [(line, column)]
    assert str(problems[0]).startswith(f"w.yaml:{line}:{column}: YAML syntax error: ")
    assert fragment in problems[0].message


def test_a_control_character_is_reported_on_its_line() -> None:
    bank, problems = load_bank("version: 1\nweek: 3\x07\n", "w.yaml")
    assert bank is None
    assert [(p.line, p.message) for p in problems] == [
        (2, "the file contains a control character (#x0007) that YAML does not allow")
    ]


def test_content_hash_is_the_sha256_of_the_utf8_text() -> None:
    text = "title: Übung 3\n"
    assert content_hash(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert content_hash(text) != content_hash(text + " ")


def test_a_bank_file_is_read_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "week03.yaml"
    text = bank_text(3).replace("Week 3", "Übung 3")
    path.write_text(text, encoding="utf-8")
    bank, problems = load_bank_file(path)
    assert problems == []
    assert isinstance(bank, Bank)
    assert (bank.title, bank.path, bank.content_hash) == ("Übung 3", str(path), content_hash(text))


# (file bytes or None for no file, expected line, message fragment)
UNREADABLE_ROWS = [
    (None, 1, "cannot read the file"),
    (b"version: 1\nweek: 3\ntitle: \xfcbung\n", 3, "the file is not UTF-8 text (byte 0xfc)"),
]


@pytest.mark.parametrize(("content", "line", "fragment"), UNREADABLE_ROWS)
def test_an_unreadable_file_is_a_problem(tmp_path: Path, content: bytes | None, line: int, fragment: str) -> None:
    path = tmp_path / "week03.yaml"
    if content is not None:
        path.write_bytes(content)
    bank, problems = load_bank_file(path)
    assert bank is None
    assert [(p.path, p.line) for p in problems] == [(str(path), line)]
    assert fragment in problems[0].message


def test_bank_paths_takes_files_as_given_and_folders_sorted(tmp_path: Path) -> None:
    folder = tmp_path / "questions"
    folder.mkdir()
    for name in ("week02.yml", "week01.yaml", "notes.md", ".#week01.yaml", "week10.yaml"):
        (folder / name).write_text("x: 1\n")
    (folder / "old.yaml").mkdir()
    extra = tmp_path / "extra.yaml"
    extra.write_text("x: 1\n")
    paths = bank_paths([extra, str(folder), folder / "week01.yaml"])
    assert paths == [extra, folder / "week01.yaml", folder / "week02.yml", folder / "week10.yaml"]


def test_load_banks_refuses_a_second_bank_for_the_same_week(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(bank_text(3))
    (tmp_path / "b.yaml").write_text(bank_text(4))
    (tmp_path / "c.yaml").write_text(bank_text(3, "other"))
    banks, problems = load_banks([tmp_path])
    assert [(b.week, Path(b.path).name) for b in banks] == [(3, "a.yaml"), (4, "b.yaml")]
    assert [(Path(p.path).name, p.line, p.severity) for p in problems] == [("c.yaml", 2, "error")]
    assert problems[0].message == f"week 3 is also defined in {tmp_path / 'a.yaml'}:2"


def test_load_banks_reports_every_file_and_keeps_the_good_ones(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(bank_text(1))
    (tmp_path / "b.yaml").write_text(bank_text(2).replace("points: 1", "points: lots"))
    (tmp_path / "c.yaml").write_text("week: [\n")
    banks, problems = load_banks([tmp_path])
    assert [b.week for b in banks] == [1]
    assert [(Path(p.path).name, p.line, p.question) for p in problems] == [
        ("b.yaml", 7, "q1"),
        ("c.yaml", 2, None),
    ]
