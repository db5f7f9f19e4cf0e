"""What every weekly bank must meet, checked on every file in questions/ (new weeks included)."""
from __future__ import annotations

import pytest

from quizserver.bank.verify import verify_bank

from ._util import QUESTIONS_DIR, bank_bar, load_week

BANK_FILES = sorted(p.name for p in QUESTIONS_DIR.glob("week*.yaml"))


def test_there_are_twelve_weeks():
    assert len(BANK_FILES) >= 12, BANK_FILES


@pytest.fixture(scope="module", params=BANK_FILES)
def bank(request):
    return load_week(request.param)[0]


def test_bank_meets_the_bar(bank):
    bar = bank_bar(bank)
    assert all(bar.values()), bar


# Questions whose answers are few by design (a count, XOR's truth table, a choice of crop sizes): quiz check's
# "students share answers" warning is expected for them, and for nothing else.
FEW_ANSWERS = {
    "xor-network", "init-scales", "early-stopping", "crop-augmentation", "vanishing-steps",
    "gnn-laplacian-zero-eigenvalues", "ae-parameter-count", "perplexity", "pca-discarded-variance",
}


def test_quiz_check_finds_nothing(bank):
    problems = verify_bank(bank, variants=40)
    expected = [p for p in problems if p.severity == "warning" and "distinct answers" in p.message]
    assert {p.question for p in expected} <= FEW_ANSWERS
    assert [str(p) for p in problems if p not in expected] == []
