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


def test_quiz_check_finds_nothing(bank):
    assert [str(p) for p in verify_bank(bank, variants=40)] == []
