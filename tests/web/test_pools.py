"""Verified variant pools: built and checked at sync, assigned to students, and never computed in a request."""
from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from quizserver.accounts import create_user
from quizserver.bank import load_bank
from quizserver.bank.pool import NAMES_LIMIT, pool_seeds, shown_names
from quizserver.banksync import sync_banks
from quizserver.catalog import served_bank
from quizserver.extensions import db
from quizserver.grading import first_key, format_answer
from quizserver.models import PoolVariant, QuestionState, User, Variant
from quizserver.render import RENDER_VERSION
from quizserver.sandbox import Limits, Runner
from quizserver.sandbox import runner as runner_module
from tests.conftest import PASSWORD, AuthActions
from tests.web.helpers import CSRF, answer, choice_positions, state_of

BANK_HEAD = """\
version: 1
week: 9
title: Pools
questions:
"""


def _bank(body: str) -> str:
    return BANK_HEAD + body


def _pool(app: Flask, week: int, question_id: str) -> list[PoolVariant]:
    with app.app_context():
        rows = db.session.scalars(
            select(PoolVariant)
            .where(PoolVariant.bank_version_id == served_bank(week).version.id, PoolVariant.question_id == question_id)
            .order_by(PoolVariant.slot)
        ).all()
        db.session.expunge_all()
        return list(rows)


def _sync(app: Flask, path: Path, variants: int, runner: Runner | None = None):
    with app.app_context():
        report = sync_banks([path], variants=variants, runner=runner)
        db.session.commit()
        return report


def _drawn_k(seed: int) -> int:
    """The `k` a pool seed draws for `k: {randint: [0, 1000000]}`, computed in the sandbox as sync does."""
    with Runner() as runner:
        params = [{"name": "k", "kind": "randint", "args": [0, 1000000], "shape": None, "round": None}]
        return int(runner.generate(params, None, None, seed)["params"]["k"])


# ---------------------------------------------------------------- building the pool


def test_sync_stores_every_seed_of_the_pool_verified_and_rendered(app: Flask) -> None:
    pool = _pool(app, 1, "outer")
    assert [row.seed for row in pool] == pool_seeds(1, "outer", 6)
    assert [row.slot for row in pool] == list(range(6))
    with app.app_context():
        question = served_bank(1).bank.question("outer")
    for row in pool:
        assert row.answer == [[u * v for v in row.params["v"]] for u in row.params["u"]]
        assert set(row.names) <= shown_names(question)  # nothing but what the page shows
        assert "<math" in row.text_html and "Entry" in row.explanation_html
        for value in row.params["u"]:
            assert f"<mn>{value}</mn>" in row.text_html
    choice = _pool(app, 1, "relu")
    assert len(choice) == 6 and all(row.choices_html and set(row.choices_html) == {"a", "b", "c"} for row in choice)
    assert len({tuple(row.choice_order) for row in choice}) > 1  # shuffled per variant


def test_pool_seeds_are_stable_prefixes() -> None:
    assert pool_seeds(3, "q", 50)[:10] == pool_seeds(3, "q", 10)
    assert len(set(pool_seeds(3, "q", 500))) == 500
    assert pool_seeds(3, "q", 5) != pool_seeds(4, "q", 5) != pool_seeds(3, "r", 5)


def test_bank_and_question_set_their_pool_size(bare_app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "week09.yaml"
    path.write_text(_bank("""\
  - id: small
    type: numeric
    points: 1
    variants: 3
    text: "{{ a }}"
    params:
      a: {randint: [1, 1000]}
    solution: answer = a
  - id: bank-wide
    type: numeric
    points: 1
    text: "{{ a }}"
    params:
      a: {randint: [1, 1000]}
    solution: answer = a
  - id: static
    type: numeric
    points: 1
    text: What is 2 + 2?
    solution: answer = 4
""").replace("title: Pools\n", "title: Pools\nvariants: 7\n"))
    report = _sync(bare_app, path, variants=50)
    assert report.ok, report.files[0].problems
    assert [len(_pool(bare_app, 9, q)) for q in ("small", "bank-wide", "static")] == [3, 7, 1]
    assert report.counts.summary() == "11 variants of 3 questions: 11 ran, 0 failed, 0 not run"


def test_one_bad_seed_in_the_pool_refuses_the_bank_with_the_seed_and_line(bare_app: Flask, tmp_path: Path) -> None:
    seeds = pool_seeds(9, "fragile", 20)
    bad = _drawn_k(seeds[13])
    path = tmp_path / "week09.yaml"
    source = _bank(f"""\
  - id: fragile
    type: numeric
    points: 1
    text: "Compute k / (k - c) for k = {{{{ k }}}}."
    params:
      k: {{randint: [0, 1000000]}}
    solution: |
      d = k - {bad}
      answer = k / d
""")
    path.write_text(source)
    report = _sync(bare_app, path, variants=20)
    assert not report.ok
    problem = report.files[0].problems[0]
    solution_line = source.splitlines().index("      answer = k / d") + 1
    assert (problem.line, problem.question) == (solution_line, "fragile")
    assert "ZeroDivisionError" in problem.message and f"first seed {seeds[13]}" in problem.message
    assert "in 1 of 20 variants" in problem.message
    assert (report.counts.ran, report.counts.failed, report.counts.not_run) == (20, 1, 0)
    with bare_app.app_context():
        assert served_bank(9) is None  # nothing half-stored
        assert db.session.scalar(select(func.count()).select_from(PoolVariant)) == 0


def test_a_seed_that_stalls_is_killed_and_the_rest_are_counted_as_not_run(bare_app: Flask, tmp_path: Path) -> None:
    seeds = pool_seeds(9, "stall", 12)
    bad = _drawn_k(seeds[4])
    path = tmp_path / "week09.yaml"
    path.write_text(_bank(f"""\
  - id: stall
    type: numeric
    points: 1
    text: "{{{{ k }}}}"
    params:
      k: {{randint: [0, 1000000]}}
    solution: |
      total = 0
      while k == {bad}:
          total += 1
      answer = k
"""))
    with Runner(Limits(cpu_seconds=0.3, wall_seconds=10)) as runner:
        report = _sync(bare_app, path, variants=12, runner=runner)
    assert not report.ok
    assert "exceeded its CPU time limit" in report.files[0].problems[0].message
    assert "7 not run" in report.files[0].problems[0].message
    assert (report.counts.ran, report.counts.failed, report.counts.not_run) == (5, 1, 7)


def test_a_key_that_fails_a_check_in_one_variant_is_refused(bare_app: Flask, tmp_path: Path) -> None:
    seeds = pool_seeds(9, "wrong-once", 15)
    bad = _drawn_k(seeds[9])
    path = tmp_path / "week09.yaml"
    path.write_text(_bank(f"""\
  - id: wrong-once
    type: numeric
    points: 1
    text: "Double {{{{ k }}}}."
    params:
      k: {{randint: [0, 1000000]}}
    solution: |
      answer = 2 * k + (1000 if k == {bad} else 0)
    check:
      equals: 2 * k
"""))
    report = _sync(bare_app, path, variants=15)
    assert not report.ok
    assert f"(seed {seeds[9]};" in report.files[0].problems[0].message
    assert report.counts.failed == 1


def test_shown_values_are_capped_with_an_author_error(bare_app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "week09.yaml"
    path.write_text(_bank("""\
  - id: huge
    type: numeric
    points: 1
    text: "The sum of {{ big }}"
    params:
      a: {randint: [1, 9]}
    solution: |
      big = np.arange(20000) * a
      unused = np.ones(300000)
      answer = float(np.sum(big))
"""))
    report = _sync(bare_app, path, variants=2)
    assert not report.ok
    message = report.files[0].problems[0].message
    assert (
        "KB" in message and f"at most {NAMES_LIMIT // 1024} KB" in message and "show fewer or smaller values" in message
    )


def test_names_the_page_does_not_show_are_not_stored(bare_app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "week09.yaml"
    path.write_text(_bank("""\
  - id: lean
    type: numeric
    points: 1
    text: "Sum of {{ a }} ones"
    params:
      a: {randint: [1, 9]}
    solution: |
      unused = np.ones(100000)
      answer = float(a)
"""))
    assert _sync(bare_app, path, variants=3).ok
    for row in _pool(bare_app, 9, "lean"):
        assert set(row.names) == {"a"} and len(json.dumps(row.names)) < 100


# ---------------------------------------------------------------- assigning variants


def _login(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    assert AuthActions(client).login(user.email).status_code == 302
    return client


def test_students_get_the_least_used_variants_first(app: Flask, make_user: Callable[..., User]) -> None:
    held = []
    for _ in range(6):
        user = make_user("student")
        _login(app, user).get("/weeks/1")
        held.append(state_of(app, user.id, 1, "outer").variant.pool_variant_id)
    assert len(set(held)) == 6  # a pool of 6: nobody shares numbers yet
    uses = [row.uses for row in _pool(app, 1, "outer")]
    assert uses == [1] * 6


def test_new_numbers_are_ones_the_student_has_not_had(app: Flask, make_user: Callable[..., User]) -> None:
    user = make_user("student")
    client = _login(app, user)
    seen = []
    for _ in range(6):
        page = client.get("/weeks/1").get_data(as_text=True)
        seen.append(state_of(app, user.id, 1, "scale").variant.pool_variant_id)
        token = CSRF.search(page).group(1)
        client.post("/weeks/1/scale/reveal", data={"csrf_token": token})
        client.post("/weeks/1/scale/new", data={"csrf_token": token})
    assert len(set(seen)) == 6
    # all six had: the next one starts again from the least used
    assert state_of(app, user.id, 1, "scale").variant.pool_variant_id in seen


def test_a_variant_from_before_pools_keeps_working(app: Flask, student: User, client: FlaskClient) -> None:
    """A variant stored before the migration has its own names and no pool row: shown and graded as before."""
    with app.app_context():
        version = served_bank(1).version
        legacy = Variant(
            user_id=student.id, week=1, question_id="scale", seed=987654321, bank_version_id=version.id,
            names={"a": 7, "b": 8, "answer": 56.5}, answer=56.5, choice_order=None,
        )  # fmt: skip
        db.session.add(legacy)
        db.session.flush()
        db.session.add(QuestionState(user_id=student.id, week=1, question_id="scale", variant_id=legacy.id, credit=0.0))
        db.session.commit()
    page = client.get("/weeks/1").get_data(as_text=True)
    assert "<mn>7</mn>" in page and "<mn>8</mn>" in page
    answer(client, 1, "scale", "56.5")
    state = state_of(app, student.id, 1, "scale")
    assert state.solved_at is not None and state.variant.pool_variant_id is None


# ---------------------------------------------------------------- no author code in a request


def _key_typed(app: Flask, user: User, week: int, question_id: str, client: FlaskClient) -> Any:
    state = state_of(app, user.id, week, question_id)
    key = state.variant.answer
    if isinstance(key, list) and key and isinstance(key[0], str):  # a choice question: the author's ids
        return key
    return format_answer(first_key(key), sig=10)  # a key with alternatives: the first


@pytest.mark.slow
def test_no_sandbox_process_starts_while_a_student_works_through_every_week(
    shipped_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> None:
        started.append(args)
        raise AssertionError("a request started a process")

    runner_module.get_runner().close()
    monkeypatch.setattr(runner_module.Runner, "_ensure_started", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)

    with shipped_app.app_context():
        user = create_user("walker@uni.example", PASSWORD, role="student")
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
    client = _login(shipped_app, user)
    with shipped_app.app_context():
        banks = [(sb.week, sb.bank) for sb in [served_bank(w) for w in range(1, 13)] if sb is not None]
    assert len(banks) == 12
    answered = 0
    for week, bank in banks:
        page = client.get(f"/weeks/{week}")
        assert page.status_code == 200
        assert "not available right now" not in page.get_data(as_text=True)
        for question in bank.questions:
            typed = _key_typed(shipped_app, user, week, question.id, client)
            response = answer(client, week, question.id, typed)
            assert response.status_code == 302
            json_reply = client.post(
                f"/weeks/{week}/{question.id}/new",
                data={"csrf_token": CSRF.search(client.get(f"/weeks/{week}").get_data(as_text=True)).group(1)},
                headers={"Accept": "application/json"},
            )
            assert json_reply.status_code == 200
            answered += 1
    with shipped_app.app_context():
        solved = db.session.scalar(
            select(func.count()).select_from(QuestionState).where(
                QuestionState.user_id == user.id, QuestionState.solved_at.is_not(None)
            )
        )
    assert answered == sum(len(bank.questions) for _, bank in banks) == solved
    assert started == []
    assert runner_module.get_runner().worker_pid is None


def test_choice_positions_helper_still_reads_the_pool(app: Flask, student: User, client: FlaskClient) -> None:
    client.get("/weeks/1")
    positions = choice_positions(client, 1, "relu", ["a"])
    assert len(positions) == 1 and positions[0].isdigit()


# ---------------------------------------------------------------- a new version of a bank


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture
def week_file(tmp_path: Path) -> Path:
    path = tmp_path / "week01-test.yaml"
    path.write_text((Path(__file__).parents[1] / "fixtures" / "banks" / "week01-test.yaml").read_text())
    return path


def test_a_text_fix_reaches_students_who_hold_variants(
    make_app: Callable[..., Flask], make_user: Callable[..., User], week_file: Path
) -> None:
    app = make_app()
    assert _sync(app, week_file, variants=4).ok
    user = make_user("student")
    client = _login(app, user)
    client.get("/weeks/1")
    before = state_of(app, user.id, 1, "scale").variant
    _edit(week_file, "Compute $y = a \\cdot b$", "Compute the product $y = a \\cdot b$")
    report = _sync(app, week_file, variants=4)
    assert report.files[0].outcome == "new"
    after = state_of(app, user.id, 1, "scale").variant
    assert after.seed == before.seed and after.answer == before.answer
    assert after.pool_variant_id != before.pool_variant_id  # moved to the new version's row for its seed
    assert "Compute the product" in client.get("/weeks/1").get_data(as_text=True)


def test_a_key_fix_waits_for_regrade_then_moves_the_variant(
    make_app: Callable[..., Flask], make_user: Callable[..., User], week_file: Path
) -> None:
    app = make_app()
    _edit(week_file, "answer = a * b + 0.5", "answer = a * b + 1.5")
    assert _sync(app, week_file, variants=4).ok
    user = make_user("student")
    _login(app, user).get("/weeks/1")
    before = state_of(app, user.id, 1, "scale").variant
    _edit(week_file, "answer = a * b + 1.5", "answer = a * b + 0.5")
    assert _sync(app, week_file, variants=4).ok
    held = state_of(app, user.id, 1, "scale").variant
    assert held.pool_variant_id == before.pool_variant_id and held.answer == before.answer  # not silently changed
    result = app.test_cli_runner().invoke(args=["quiz", "regrade", "1", "scale"])
    assert result.exit_code == 0, result.output
    assert "1 keys changed" in result.output
    fixed = state_of(app, user.id, 1, "scale").variant
    assert fixed.answer == pytest.approx(before.answer - 1.0)
    assert fixed.pool_variant_id != before.pool_variant_id
    assert _pool_row(app, fixed.pool_variant_id).answer == fixed.answer


def _pool_row(app: Flask, pool_variant_id: int | None) -> PoolVariant:
    with app.app_context():
        row = db.session.get_one(PoolVariant, pool_variant_id)
        db.session.expunge(row)
        return row


def test_an_unchanged_bank_is_not_computed_again(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module.Runner, "generate_many", lambda *a, **k: pytest.fail("recomputed"))
    with app.app_context():
        report = sync_banks([Path(__file__).parents[1] / "fixtures" / "banks"], variants=6)
    assert [f.outcome for f in report.files] == ["unchanged"]


def test_quiz_check_verifies_the_pool_seeds_and_random_ones(bare_app: Flask, tmp_path: Path) -> None:
    seeds = pool_seeds(9, "fragile", 30)
    bad = _drawn_k(seeds[25])
    path = tmp_path / "week09.yaml"
    path.write_text(_bank(f"""\
  - id: fragile
    type: numeric
    points: 1
    text: "{{{{ k }}}}"
    params:
      k: {{randint: [0, 1000000]}}
    solution: |
      answer = k / (k - {bad})
"""))
    runner = bare_app.test_cli_runner()
    short = runner.invoke(args=["quiz", "check", str(path), "--variants", "20", "--random", "5", "--seed", "4"])
    assert short.exit_code == 0, short.output
    assert "random variants drawn from --seed 4" in short.output
    full = runner.invoke(args=["quiz", "check", str(path), "--variants", "30", "--random", "3"])
    assert full.exit_code == 1
    assert f"first seed {seeds[25]}" in full.output
    assert "random variants drawn from --seed " in full.output
    bank, _ = load_bank(path.read_text(), str(path))
    assert bank is not None


def test_a_changed_renderer_re_renders_stored_pools_without_running_bank_code(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        db.session.execute(update(PoolVariant).values(text_html="<p>old</p>", render_version=0))
        db.session.commit()
    monkeypatch.setattr(runner_module.Runner, "generate_many", lambda *a, **k: pytest.fail("bank code ran"))
    with app.app_context():
        report = sync_banks([Path(__file__).parents[1] / "fixtures" / "banks"], variants=6)
        db.session.commit()
        assert [f.outcome for f in report.files] == ["unchanged"]
        stored = db.session.scalar(select(func.count()).select_from(PoolVariant))
        # every version is re-rendered, the closed week's too, which this sync did not name
        assert report.rerendered == stored
        assert db.session.scalar(select(func.count()).where(PoolVariant.text_html == "<p>old</p>")) == 0
        assert set(db.session.scalars(select(PoolVariant.render_version).distinct())) == {RENDER_VERSION}
    for row in _pool(app, 1, "outer"):
        for value in row.params["u"]:
            assert f"<mn>{value}</mn>" in row.text_html


def test_a_bank_with_only_warnings_is_not_computed_again_and_keeps_its_students_variants(
    bare_app: Flask, tmp_path: Path, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "week09.yaml"
    # a date without a time is taken as midnight UTC, with a warning
    path.write_text(_bank("""\
  - id: scale
    type: numeric
    points: 1
    text: "Double {{ a }}."
    params:
      a: {randint: [1, 1000]}
    solution: answer = 2 * a
""").replace("title: Pools\n", "title: Pools\nopens: 2026-01-05\n"))
    first = _sync(bare_app, path, variants=3)
    assert first.ok and [p.severity for p in first.files[0].problems] == ["warning"]
    user = make_user("student")
    _login(bare_app, user).get("/weeks/9")
    held = state_of(bare_app, user.id, 9, "scale").variant.pool_variant_id
    monkeypatch.setattr(runner_module.Runner, "generate_many", lambda *a, **k: pytest.fail("recomputed"))
    again = _sync(bare_app, path, variants=3)
    assert [f.outcome for f in again.files] == ["unchanged"]
    assert _pool_row(bare_app, held).question_id == "scale"  # the variant the student holds is still stored
