"""What `quiz check` tells an author reads in German: each validation problem matches a template."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from quizserver.bank import load_bank
from quizserver.bank.messages import translate_problem, translate_problem_line, translate_summary

GERMAN_PO = Path(__file__).resolve().parents[2] / "translations" / "de" / "LC_MESSAGES" / "messages.po"

BANK = """\
version: 1
week: 3
title: Test
questions:
  - id: q1
    type: numeric
    points: 1
    text: Compute {{ a }}.
    params:
      a: {randint: [1, 5]}
    solution: |
      answer = a * 2
"""


@pytest.fixture(scope="module")
def german() -> Callable[[str], str]:
    with GERMAN_PO.open("rb") as fh:
        catalog = read_po(fh, locale="de")

    def translate(message: str) -> str:
        entry = catalog.get(message)
        return entry.string if entry is not None and entry.string and not entry.fuzzy else message

    return translate


# (what is changed in the valid bank, a German phrase of the problem the author reads)
BROKEN = [
    (("    solution: |", "    solutoin: |"), "meinten Sie „solution“?"),
    (("points: 1", "points: many"), "muss eine ganze Zahl sein, angegeben ist 'many'"),
    (("version: 1", "version: 7"), "version muss"),
    (("type: numeric", "type: numerik"), "unbekannter Typ „numerik“"),
    (("{randint: [1, 5]}", "{randint: [5, 1]}"), "hat die untere Grenze 5 über der oberen 1"),
    (("{randint: [1, 5]}", "{uniform: [0, 1], normal: [0, 1]}"), "geben Sie genau eine davon an"),
    (("      answer = a * 2\n", "      y = a * 2\n"), "solution weist answer nie einen Wert zu"),
    (("  - id: q1", "  - id: Q 1"), "darf nur"),
    (("Compute {{ a }}.", "Compute {{ b }}."), "unbekannter Name „b“ in text"),
    (("title: Test\n", "title: Test\ntitle: Again\n"), "doppelter Schlüssel „title“"),
]


@pytest.mark.parametrize(("change", "german_phrase"), BROKEN)
def test_a_validation_problem_reads_in_german(german, change: tuple[str, str], german_phrase: str) -> None:
    text = BANK.replace(*change, 1)
    assert text != BANK
    _, problems = load_bank(text, "questions/week03.yaml")
    assert problems, "the change should make the bank invalid"
    shown = [translate_problem(p.message, german) for p in problems]
    assert any(german_phrase in line for line in shown), shown


def test_a_problem_line_keeps_its_place_and_names_a_warning(german) -> None:
    line = "questions/week03.yaml:7: q1: warning: any_of names the same key twice"
    assert translate_problem_line(line, "any_of names the same key twice", german) == (
        "questions/week03.yaml:7: q1: Warnung: any_of nennt denselben Schlüssel zweimal"
    )


def test_the_authors_own_error_is_shown_as_written(german) -> None:
    message = "ZeroDivisionError: division by zero (3 of 20 variants; first seed 7)"
    assert translate_problem(message, german) == message


def test_the_summary_reads_in_german(german) -> None:
    line = "FAILED: 2 banks, 5 questions, 1 errors, 0 warnings; 40 variants: 38 ran, 2 failed, 0 not run"
    assert translate_summary(line, german) == (
        "FEHLGESCHLAGEN: 2 Aufgabensammlungen, 5 Aufgaben, 1 Fehler, 0 Warnungen; 40 Varianten: 38 ausgeführt, "
        "2 fehlgeschlagen, 0 nicht ausgeführt"
    )
