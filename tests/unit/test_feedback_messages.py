"""The grader's English feedback, shown in German: every sentence it writes is a known template."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from quizserver.grading import AnswerSpec, ChoiceOption, Tolerance, grade
from quizserver.grading.messages import (
    PHRASES,
    ROW_LABEL,
    SENTENCES,
    fill,
    translate_feedback,
    translate_hint,
    untranslated_parts,
)

GERMAN_PO = Path(__file__).resolve().parents[2] / "translations" / "de" / "LC_MESSAGES" / "messages.po"


@pytest.fixture(scope="module")
def german() -> Callable[[str], str]:
    with GERMAN_PO.open("rb") as fh:
        catalog = read_po(fh, locale="de")

    def translate(message: str) -> str:
        entry = catalog.get(message)
        return entry.string if entry is not None and entry.string and not entry.fuzzy else message

    return translate


CHOICES = (ChoiceOption("a", True), ChoiceOption("b", False, "Think of the bound."), ChoiceOption("c", False))

# (question type, key, typed answer, partial, the German the student reads)
ANSWERS = [
    ("numeric", 0.5, "0.5", False, "Richtig."),
    ("numeric", 0.5, "-0.5", False, "Nicht richtig. Das Vorzeichen ist vertauscht."),
    ("numeric", 0.5, "1", False, "Nicht richtig. Ihre Antwort weicht um einen konstanten Faktor von etwa 2 ab."),
    ("numeric", 0.5, "0.25", False, "Nicht richtig. Ihre Antwort weicht um einen konstanten Faktor von etwa 0,5 ab."),
    ("numeric", 0.5, "0.52", False, "Fast richtig, aber außerhalb der Toleranz (relativ 1 %): Rechnen Sie mit mehr "
                                    "Stellen."),
    ("numeric", 0.5, "7", False, "Nicht richtig."),
    ("numeric", 0.5, "", False, "Die Antwort ist leer."),
    ("numeric", 0.5, "1/0", False, "Division durch null."),
    ("numeric", 0.5, "sqrt(-1)", False, "Die Wurzel aus einer negativen Zahl ist keine reelle Zahl."),
    ("numeric", 0.5, "log(0)", False, "Der Logarithmus von null oder einer negativen Zahl ist keine reelle Zahl."),
    ("numeric", 0.5, "foo(2)", False, "Unbekannte Funktion „foo“."),
    ("numeric", 0.5, "x", False, "Unbekannter Name „x“."),
    ("numeric", 0.5, "2pi", False, "Schreiben Sie das Malzeichen * aus, z. B. 2*pi oder 3*(1+x)."),
    ("numeric", 0.5, "sqrt", False, "sqrt ist eine Funktion: Schreiben Sie sqrt(...)."),
    ("numeric", 0.5, "(1", False, "In der Antwort fehlt eine schließende )."),
    ("numeric", 0.5, "1)", False, "Zu ) fehlt die öffnende Klammer (bei „1)“)."),
    ("numeric", 0.5, "1e999", False, "Die Zahl ist zu groß."),
    ("numeric", 0.5, "nan", False, "nan (keine Zahl) ist als Antwort nicht zulässig."),
    ("numeric", 0.5, "inf", False, "Unendliche Werte sind als Antwort nicht zulässig."),
    ("numeric", 0.5, "07", False, "Eine Zahl darf nur dann mit 0 beginnen, wenn ein Dezimaltrennzeichen folgt "
                                  "(schreiben Sie 7, nicht 07)."),
    ("numeric", 0.5, "0,5", False, "Geben Sie eine einzelne Zahl ein."),
    ("numeric", 0.5, "[1, 2]", False, "Geben Sie eine einzelne Zahl ein, nicht 2 Einträge."),
    ("numeric", 0.5, "2*[1]", False, "Eckige Klammern stehen um einen ganzen Vektor oder eine ganze Matrix"),
    ("numeric", 0.5, "{1}", False, "keine geschweiften { }."),
    ("numeric", 0.5, "(-8)^(1/3)", False,
     "Eine negative Zahl hoch einem gebrochenen Exponenten ist keine reelle Zahl."),
    ("integer", 2, "2.5", False, "Erwartet wird eine ganze Zahl, Ihre Antwort ist 2,5."),
    ("integer", 2, "-2", False, "Nicht richtig. Das Vorzeichen ist vertauscht."),
    ("matrix", [[1, 2], [3, 4]], "[[1, 3], [2, 4]]", False,
     "Nicht richtig. Ihre Antwort ist die Transponierte der erwarteten Antwort."),
    ("matrix", [1, 2], "[1, 2, 3]", False, "Erwartet wird ein Vektor mit 2 Einträgen, Ihre Antwort hat 3."),
    ("matrix", [[1, 2], [3, 4]], "[1, 2]", False,
     "Erwartet wird eine 2×2-Matrix, Ihre Antwort ist ein Vektor mit 2 Einträgen."),
    ("matrix", [[1, 2], [3, 4]], "[[1, 2, 3], [4, 5, 6]]", False,
     "Erwartet wird eine 2×2-Matrix, Ihre Antwort ist eine 2×3-Matrix."),
    ("matrix", [[1, 2], [3, 4]], "[[1, 2], [3, x]]", False, "Zeile 2: Unbekannter Name „x“."),
    ("matrix", [[1, 2], [3, 4]], "[[1, 2], [3]]", False, "Zeile 2 hat 1 Eintrag, Zeile 1 hat 2."),
    ("matrix", [[1, 2], [3, 4]], "[[1, 2], [3, 4]", False, "In der Antwort fehlt eine schließende ]."),
    ("matrix", [[1, 2], [3, 4]], "[[1, 2] [3, 4]]", False, ""),
    ("matrix", [[1, 2], [3, 4]], "[1, 2; [3, 4]]", False, ""),
    ("matrix", [1, 2], "[1,,2]", False, "Ein Eintrag ist leer"),
    ("matrix", [1, 2], "[1 -2, 3]", False, ""),
    ("matrix", [[1, 2], [3, 4]], "[[1, 2], [3, 5]]", True, "3 von 4 Einträgen sind richtig."),
    ("matrix", [[1, 2], [3, 4]], "[[1, 5], [6, 7]]", True, "1 von 4 Einträgen ist richtig."),
    ("matrix", [1, 2], "[]", False, ""),
    ("single_choice", ["a"], "b", False, "Think of the bound."),  # the author's own words stay as written
    ("single_choice", ["a"], "a,b", False, "Wählen Sie nur eine Antwort aus."),
    ("single_choice", ["a"], "", False, "Es ist keine Antwort ausgewählt."),
    ("single_choice", ["a"], "zz", False, "Unbekannte Auswahl „zz“."),
    ("multiple_choice", ["a"], "c", False,
     "Eine ausgewählte Antwort ist nicht richtig. Eine richtige Antwort wurde nicht ausgewählt."),
    ("multiple_choice", ["a"], "a,b", False, "Think of the bound."),
]


def _graded(qtype: str, key: object, raw: str, partial: bool) -> str:
    spec = AnswerSpec(qtype, partial=partial, choices=CHOICES if "choice" in qtype else ())
    return grade(spec, key, raw).message


@pytest.mark.parametrize(("qtype", "key", "raw", "partial", "expected"), ANSWERS)
def test_the_grader_message_in_german(german, qtype: str, key: object, raw: str, partial: bool,
                                      expected: str) -> None:
    english = _graded(qtype, key, raw, partial)
    author_text = [part for part in untranslated_parts(english) if part == "Think of the bound."]
    assert untranslated_parts(english) == author_text, f"no template for a sentence of {english!r}"
    shown = translate_feedback(english, german)
    assert expected in shown
    if not author_text:
        assert shown != english, f"{english!r} was not translated"


def test_precision_feedback_reads_in_german(german) -> None:
    english = "Not correct. Not enough precision: give 3 significant figures."
    assert translate_feedback(english, german) == (
        "Nicht richtig. Nicht genau genug: Geben Sie 3 signifikante Stellen an."
    )


def test_parameters_are_read_back_and_refilled() -> None:
    shouted = {template: template.upper().replace("{NUMBER}", "{number}") for template in SENTENCES + PHRASES}
    message = "Not correct. It is off by a constant factor of about 0.5."
    assert translate_feedback(message, lambda s: shouted.get(s, s)) == (
        "NOT CORRECT. IT IS OFF BY A CONSTANT FACTOR OF ABOUT 0.5."  # the fake catalog writes a point
    )


def test_unknown_text_is_kept_between_known_sentences() -> None:
    loud = {t: t.upper() for t in SENTENCES}
    message = "Check the derivative. A selected choice is not correct. A correct choice was not selected."
    assert translate_feedback(message, lambda s: loud.get(s, s)) == (
        "Check the derivative. A SELECTED CHOICE IS NOT CORRECT. A CORRECT CHOICE WAS NOT SELECTED."
    )
    assert untranslated_parts(message) == ["Check the derivative."]


def test_an_english_reader_gets_the_message_unchanged() -> None:
    assert translate_feedback("Not correct. The sign is flipped.", lambda s: s) == "Not correct. The sign is flipped."
    assert fill(ROW_LABEL, {"row": "2", "message": "Division by zero."}) == "Row 2: Division by zero."
    assert translate_feedback("", lambda s: s) == ""


def test_the_students_own_text_is_never_translated(german) -> None:
    shown = translate_feedback("Unknown name 'Correct.'.", german)
    assert shown == "Unbekannter Name „Correct.“."


def test_tolerance_phrase_with_an_absolute_bound(german) -> None:
    english = _graded_with_tolerance(0.0, "0.000005", Tolerance(rtol=0.0, atol=1e-6))
    assert "absolut 1e-06" in translate_feedback(english, german)


def _graded_with_tolerance(key: float, raw: str, tolerance: Tolerance) -> str:
    return grade(AnswerSpec("numeric", tolerance=tolerance), key, raw).message


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        ("a number", "eine Zahl"),
        ("a whole number", "eine ganze Zahl"),
        ("a number, 3 significant figures", "eine Zahl, 3 signifikante Stellen"),
        ("a number, 1 decimal place", "eine Zahl, 1 Nachkommastelle"),
        ("a vector of 3 entries, e.g. [1, 2, 3]", "ein Vektor mit 3 Einträgen, z. B. [1, 2, 3]"),
        ("a 2×3 matrix, e.g. [[1, 2], [3, 4]] or [1 2; 3 4], 2 decimal places",
         "eine 2×3-Matrix, z. B. [[1, 2], [3, 4]] oder [1 2; 3 4], 2 Nachkommastellen"),
        ("", ""),
        ("pick one", "pick one"),  # unknown: as given
    ],
)
def test_answer_hints_read_in_german(german, hint: str, expected: str) -> None:
    assert translate_hint(hint, german) == expected
