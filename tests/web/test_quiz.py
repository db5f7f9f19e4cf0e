from __future__ import annotations

import re

import numpy as np
import pytest

from tests.web.helpers import answer, attempts_of, key_of, post_action, state_of, typed


def week_page(client, week=1) -> str:
    response = client.get(f"/weeks/{week}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def score_line(page: str) -> str:
    return re.search(r'id="week-score">(.*?)</p>', page, re.S).group(1)


def test_weeks_lists_open_and_closed_banks_with_my_score(client, student):
    page = client.get("/weeks").get_data(as_text=True)
    assert "Week 1: Test week" in page and "Week 2: A closed week" in page
    assert "Closed" in page and "Open" in page
    assert "0.0 / 6" in page
    assert "<progress" in page


def test_quiz_page_shows_every_question_with_math_and_no_key(app, client, student):
    page = week_page(client)
    for qid in ("scale", "outer", "count", "relu", "convex"):
        assert f'id="q-{qid}"' in page
    assert "<math" in page
    assert "SECRET-EXPLANATION-MARKER" not in page
    assert "a 2×3 matrix" in page


def test_reload_shows_the_same_numbers(app, client, student):
    first = week_page(client)
    second = week_page(client)
    assert first.count("<math") == second.count("<math")
    strip = lambda html: re.sub(r'name="(csrf_token|token)" value="[^"]+"', "", html)  # noqa: E731
    assert strip(first) == strip(second)
    assert state_of(app, student.id, 1, "scale").variant.seed == state_of(app, student.id, 1, "scale").variant.seed


def test_students_get_different_variants(app, client, make_user, auth):
    seeds = set()
    for _ in range(4):
        user = make_user("student")
        auth.login(user.email)
        week_page(client)
        seeds.add(state_of(app, user.id, 1, "outer").variant.seed)
        auth.logout()
    assert len(seeds) == 4


def test_correct_answer_scores_and_shows_the_explanation(app, client, student):
    week_page(client)
    key = key_of(app, student.id, 1, "scale")
    response = answer(client, 1, "scale", typed(key))
    assert response.status_code == 302 and response.headers["Location"].endswith("#q-scale")
    page = week_page(client)
    assert "Correct." in page and "SECRET-EXPLANATION-MARKER" in page
    assert "1.0 / 6" in score_line(page)
    state = state_of(app, student.id, 1, "scale")
    assert state.credit == 1.0 and state.solved_at is not None and state.attempts == 1


def test_incorrect_answer_uses_an_attempt_and_gives_specific_feedback(app, client, student):
    week_page(client)
    key = key_of(app, student.id, 1, "scale")
    answer(client, 1, "scale", typed(-key))
    page = week_page(client)
    assert "Not correct" in page and "sign" in page
    assert "0.0 / 6" in score_line(page)
    state = state_of(app, student.id, 1, "scale")
    assert state.attempts == 1 and state.wrong == 1 and state.credit == 0


@pytest.mark.parametrize("raw", ["", "   ", "[1, 2", "abc", "1/0", "nan", "[[1, 2], [3]]"])
def test_invalid_answer_says_why_and_uses_no_attempt(app, client, student, raw):
    week_page(client)
    answer(client, 1, "outer", raw)
    page = week_page(client)
    assert "Could not read your answer" in page and "did not use up an attempt" in page
    assert state_of(app, student.id, 1, "outer").attempts == 0
    rows = attempts_of(app, student.id, "outer")
    assert [r.status for r in rows] == ["invalid"] and rows[0].raw_answer == raw


def test_wrong_shape_and_transposed_matrix_feedback(app, client, student):
    week_page(client)
    key = np.array(key_of(app, student.id, 1, "outer"))
    answer(client, 1, "outer", typed(key.T))
    page = week_page(client)
    assert "Expected 2x3, got 3x2" in page and "transposed" in page
    assert state_of(app, student.id, 1, "outer").attempts == 1


def test_matlab_style_matrix_is_accepted(app, client, student):
    week_page(client)
    key = np.array(key_of(app, student.id, 1, "outer"))
    matlab = "[" + "; ".join(" ".join(str(int(v)) for v in row) for row in key) + "]"
    answer(client, 1, "outer", matlab)
    assert state_of(app, student.id, 1, "outer").credit == 1.0


def test_penalty_and_max_attempts(app, client, student):
    week_page(client)
    key = key_of(app, student.id, 1, "count")
    answer(client, 1, "count", str(key + 1))
    answer(client, 1, "count", str(key))
    state = state_of(app, student.id, 1, "count")
    assert state.credit == pytest.approx(0.75)  # 1 - 0.25 * one earlier wrong attempt
    assert state.attempts == 2 and state.attempts_to_correct == 2


def test_no_attempts_left_is_graded_as_practice(app, client, student):
    week_page(client)
    key = key_of(app, student.id, 1, "count")
    answer(client, 1, "count", str(key + 1))
    answer(client, 1, "count", str(key + 2))
    answer(client, 1, "count", str(key))
    page = week_page(client)
    assert "used all 2 attempts" in page
    state = state_of(app, student.id, 1, "count")
    assert state.attempts == 2 and state.credit == 0
    assert [a.counted for a in attempts_of(app, student.id, "count")] == [True, True, False]


def test_reveal_shows_the_solution_and_locks_credit(app, client, student):
    week_page(client)
    post_action(client, 1, "scale", "reveal")
    page = week_page(client)
    assert "SECRET-EXPLANATION-MARKER" in page and "Worked solution" in page
    key = key_of(app, student.id, 1, "scale")
    answer(client, 1, "scale", typed(key))
    state = state_of(app, student.id, 1, "scale")
    assert state.credit == 0 and state.revealed_at is not None
    assert attempts_of(app, student.id, "scale")[-1].counted is False


def test_new_numbers_only_after_solving_or_revealing(app, client, student):
    week_page(client)
    before = state_of(app, student.id, 1, "scale").variant_id
    post_action(client, 1, "scale", "new")
    assert state_of(app, student.id, 1, "scale").variant_id == before
    answer(client, 1, "scale", typed(key_of(app, student.id, 1, "scale")))
    post_action(client, 1, "scale", "new")
    state = state_of(app, student.id, 1, "scale")
    assert state.variant_id != before and state.practice_round == 1 and state.credit == 1.0


def test_single_choice_feedback_and_credit(app, client, student):
    week_page(client)
    answer(client, 1, "relu", ["b"])
    assert "bounded by 1" in week_page(client)
    answer(client, 1, "relu", ["a"])
    assert state_of(app, student.id, 1, "relu").credit == 1.0


def test_multiple_choice_needs_every_correct_choice(app, client, student):
    week_page(client)
    answer(client, 1, "convex", ["a"])
    assert state_of(app, student.id, 1, "convex").credit == 0
    answer(client, 1, "convex", ["a", "b"])
    assert state_of(app, student.id, 1, "convex").credit == 1.0


def test_choice_with_nothing_selected_is_invalid(app, client, student):
    week_page(client)
    answer(client, 1, "relu", [])
    assert state_of(app, student.id, 1, "relu").attempts == 0
    assert attempts_of(app, student.id, "relu")[0].status == "invalid"


def test_closed_week_counts_as_practice(app, client, student):
    page = week_page(client, 2)
    assert "This week is closed" in page
    key = key_of(app, student.id, 2, "double")
    answer(client, 2, "double", typed(key))
    state = state_of(app, student.id, 2, "double")
    assert state.credit == 0 and state.attempts == 0
    rows = attempts_of(app, student.id, "double")
    assert rows[0].status == "correct" and rows[0].counted is False


def test_closed_week_shows_the_solution(app, client, student):
    page = week_page(client, 2)
    assert "Worked solution" in page


def test_double_submitted_form_records_once(app, client, student):
    week_page(client)
    key = key_of(app, student.id, 1, "scale")
    answer(client, 1, "scale", typed(-key), token="form-token-1")
    answer(client, 1, "scale", typed(-key), token="form-token-1")
    assert len(attempts_of(app, student.id, "scale")) == 1
    assert state_of(app, student.id, 1, "scale").attempts == 1


def test_every_attempt_stores_version_seed_and_answer(app, client, student):
    week_page(client)
    answer(client, 1, "scale", "42")
    row = attempts_of(app, student.id, "scale")[0]
    state = state_of(app, student.id, 1, "scale")
    assert row.seed == state.variant.seed and len(row.bank_hash) == 64
    assert row.raw_answer == "42" and row.status in ("correct", "incorrect") and row.created_at is not None


def test_progress_page(app, client, student):
    week_page(client)
    answer(client, 1, "scale", typed(key_of(app, student.id, 1, "scale")))
    page = client.get("/progress").get_data(as_text=True)
    assert "1.0 / 6" in page and "1 / 5" in page


def test_unknown_week_and_question_are_404(client, student):
    assert client.get("/weeks/99").status_code == 404
    week_page(client)
    assert answer(client, 1, "no-such-question", "1").status_code == 404


def test_answer_without_csrf_is_refused(app, client, student):
    week_page(client)
    response = client.post("/weeks/1/scale/answer", data={"answer": "1"})
    assert response.status_code in (302, 400)
    assert attempts_of(app, student.id, "scale") == []


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["ok"] is True


def test_choice_inputs_post_shuffled_positions_not_the_authors_ids(app, client, student):
    page = week_page(client)
    values = re.findall(r'name="choice" value="([^"]+)"', page)
    assert sorted(values) == ["1", "1", "2", "2", "3", "3"]  # two questions of three choices
    order = state_of(app, student.id, 1, "relu").variant.choice_order
    assert sorted(order) == ["a", "b", "c"]
    answer(client, 1, "relu", ["a"])
    assert state_of(app, student.id, 1, "relu").credit == 1.0


def _feedback(page: str, question_id: str) -> str:
    return re.search(rf'id="q-{question_id}-feedback"(.*?)</div>', page, re.S).group(1)


@pytest.mark.parametrize(
    ("setup", "note"),
    [
        ("solve", "You already solved this question: this answer is practice."),
        ("reveal", "You revealed the solution: this answer is practice"),
    ],
)
def test_a_practice_answer_says_why_next_to_its_feedback(app, client, student, setup, note):
    week_page(client)
    key = key_of(app, student.id, 1, "scale")
    if setup == "solve":
        answer(client, 1, "scale", typed(key))
    else:
        post_action(client, 1, "scale", "reveal")
    response = answer(client, 1, "scale", typed(key * 2))
    # The note is read off the stored attempt, so a plain form post needs no flash in the cookie.
    assert response.status_code == 302 and response.headers.get("Set-Cookie") is None
    assert note in _feedback(week_page(client), "scale")


def test_counted_and_invalid_answers_carry_no_practice_note(app, client, student):
    week_page(client)
    answer(client, 1, "scale", "not a number")
    assert "practice" not in _feedback(week_page(client), "scale")
    answer(client, 1, "scale", typed(key_of(app, student.id, 1, "scale") * 2))
    assert "practice" not in _feedback(week_page(client), "scale")


def test_the_closed_week_note_stays_next_to_the_answer(app, client, student):
    week_page(client, 2)
    answer(client, 2, "double", typed(key_of(app, student.id, 2, "double")))
    assert "This week is closed: the answer was graded as practice" in _feedback(week_page(client, 2), "double")
