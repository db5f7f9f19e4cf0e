"""A synthetic cohort for the staff dashboards: real banks, real variants, simulated students.

Students differ in ability (an IRT-style probability of a right answer per attempt), skip some weeks,
retry wrong answers, sometimes reveal the solution, and make the classic mistakes (sign flipped,
transposed, off by a factor), graded by the real grader. A handful of variants per question is
computed in the sandbox and shared between students; everything is written with bulk inserts.

Mistakes are calibrated on what real cohorts show: a question has one or two common slips and a long tail of
answers nobody else gives; weaker students make more mistakes and more of the unrelated kind, stronger ones
mostly slip (a sign, a transpose); nobody is wrong in the same way because the key is wrong. `believed` plants
a wrong key: the cohort computes the true answer, which the key marks wrong (what item analysis must catch).
"""
from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import click
import numpy as np
from flask import current_app
from sqlalchemy import Row, delete, func, insert, select, text

from .bank import Question
from .banksync import recount_uses
from .catalog import ServedBank, served_banks
from .extensions import db
from .grading import Grade, Status, first_key, format_answer, grade
from .models import Attempt, PoolVariant, QuestionState, Role, User, Variant
from .scoring import Standing, score_attempt

DEMO_DOMAIN = "demo.example.org"
VARIANTS_PER_QUESTION = 20
MAX_TRIES = 6  # a student without an attempt limit gives up after this many wrong answers
FIRST_NAMES = (
    "Ada", "Alan", "Amira", "Ben", "Chen", "Dana", "Elif", "Emil", "Fatima", "Grace", "Hana", "Igor", "Jonas",
    "Kofi", "Lea", "Luca", "Maya", "Mina", "Nils", "Omar", "Priya", "Rosa", "Sven", "Tariq", "Uma", "Yuki",
)
LAST_NAMES = (
    "Adeyemi", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Hoffmann", "Ivanova", "Jensen",
    "Kim", "Lopez", "Müller", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi", "Schmidt", "Tanaka",
)


class DemoError(RuntimeError):
    pass


@dataclass(frozen=True)
class DemoReport:
    students: int
    states: int
    attempts: int
    reveals: int
    weeks: int


@dataclass(frozen=True)
class GradedAnswer:
    raw: str
    grade: Grade


@dataclass
class VariantOption:
    """One computed variant and the answers simulated students give to it."""

    pool_variant_id: int
    seed: int
    answer: Any
    choice_order: list[str] | None
    correct: GradedAnswer
    wrong: dict[str, GradedAnswer] = field(default_factory=dict)  # by kind of mistake
    invalid: GradedAnswer | None = None


@dataclass
class QuestionPool:
    question: Question
    options: list[VariantOption]
    kinds: list[str]  # every kind of wrong answer some option has
    kind_weights: np.ndarray  # how popular each kind is for this question
    difficulty: float
    slope: float
    guess: float


# ---------------------------------------------------------------- variants and answers


OTHER_ANSWERS = 8  # unrelated wrong answers per variant: the long tail, each given by few students
OTHER = "other_"


def _other_values(k: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Answers that relate to the key by no rule: each entry off by its own random amount."""
    scale = np.abs(k) + 1.0
    return {f"{OTHER}{i}": np.round(k + rng.normal(0.0, 0.6, size=k.shape) * scale, 3) for i in range(OTHER_ANSWERS)}


def _wrong_values(key: Any, integer: bool, rng: np.random.Generator | None = None) -> dict[str, Any]:
    k = np.asarray(key, dtype=np.float64)
    values: dict[str, Any] = {"sign": -k, "factor": 2 * k, "half": 0.5 * k, "offset": k + 1, "zero": np.zeros_like(k)}
    others = _other_values(k, rng or np.random.default_rng(int(np.abs(k).sum() * 1000) % 2**32))
    values |= {kind: np.round(v) for kind, v in others.items()} if integer else others
    if k.ndim == 2 and k.shape[0] == k.shape[1] > 1:
        values["transposed"] = k.T
    if integer:
        values["minus_one"] = k - 1
        del values["half"]
    else:
        values["rounding"] = k * 1.04
    return {kind: v.tolist() for kind, v in values.items()}


def _choice_wrong(question: Question) -> dict[str, list[str]]:
    key = question.choice_key()
    wrong_ids = [c.id for c in question.choices if not c.correct]
    if question.type == "single_choice":
        return {f"choice_{cid}": [cid] for cid in wrong_ids}
    answers: dict[str, list[str]] = {}
    if len(key) > 1:
        answers["missed_one"] = key[:-1]
    for cid in wrong_ids:
        answers[f"extra_{cid}"] = sorted(key + [cid])
    if wrong_ids:
        answers["only_wrong"] = wrong_ids[:1]
    return answers


def _graded(question: Question, key: Any, raw: str) -> GradedAnswer:
    return GradedAnswer(raw, grade(question.answer_spec(), key, raw))


Belief = Callable[[Any], Any]  # the stored key -> what the students take for the right answer


def _option(question: Question, pooled: Row[Any], believed: Belief | None = None) -> VariantOption | None:
    """A variant and the answers students give to it, graded against the stored key. With `believed`, the
    students' "right" answer (and the slips they make) start from the believed value instead of the key."""
    answer = pooled.answer
    if answer is None:
        return None
    # a key with alternatives (any_of): students aim at its first
    base = answer if question.is_choice else first_key(answer)
    truth = base if believed is None or question.is_choice else believed(base)
    try:
        if question.is_choice:
            correct = _graded(question, answer, ",".join(answer))
            wrong_raw = {kind: ",".join(ids) for kind, ids in _choice_wrong(question).items()}
            invalid_raw = None
        else:
            correct = _graded(question, answer, format_answer(truth, sig=8))
            wrong_raw = {
                kind: format_answer(v, sig=6) for kind, v in _wrong_values(truth, question.type == "integer").items()
            }
            invalid_raw = "[[1, 2], [3" if question.type == "matrix" else "12..5"
    except ValueError:  # a key the grader refuses: leave the question out of the demo
        return None
    if correct.grade.status is not Status.CORRECT and truth is base:
        return None
    option = VariantOption(pooled.id, pooled.seed, answer, pooled.choice_order, correct)
    for kind, raw in wrong_raw.items():
        graded = _graded(question, answer, raw)
        if graded.grade.status in (Status.INCORRECT, Status.PARTIAL):
            option.wrong[kind] = graded
    if invalid_raw is not None:
        graded = _graded(question, answer, invalid_raw)
        if graded.grade.status is Status.INVALID:
            option.invalid = graded
    return option if option.wrong else None


def variant_options(
    sb: ServedBank, question: Question, count: int, believed: Belief | None = None
) -> list[VariantOption]:
    """A few variants of the question's verified pool (read, never computed: no author code runs here)."""
    rows = db.session.execute(
        select(PoolVariant.id, PoolVariant.seed, PoolVariant.answer, PoolVariant.choice_order)
        .where(PoolVariant.bank_version_id == sb.version.id, PoolVariant.question_id == question.id)
        .order_by(PoolVariant.slot)
        .limit(count)
    ).all()
    options = [_option(question, row, believed) for row in rows]
    return [o for o in options if o is not None]


def build_pools(
    served: Sequence[ServedBank],
    rng: np.random.Generator,
    variants: int = VARIANTS_PER_QUESTION,
    believed: Mapping[tuple[int, str], Belief] | None = None,
) -> dict[int, list[QuestionPool]]:
    pools: dict[int, list[QuestionPool]] = {}
    for sb in served:
        pools[sb.week] = []
        for question in sb.bank.questions:
            options = variant_options(sb, question, variants, (believed or {}).get((sb.week, question.id)))
            if not options:
                continue
            kinds = sorted({kind for o in options for kind in o.wrong})
            guess = 1 / len(question.choices) if question.type == "single_choice" else 0.0
            pools[sb.week].append(
                QuestionPool(
                    question=question,
                    options=options,
                    kinds=kinds,
                    # one or two common slips per question, as in real cohorts (the unrelated answers are
                    # chosen apart from these, by ability: see _wrong_kind)
                    kind_weights=rng.dirichlet(np.full(len(kinds), 0.7)),
                    difficulty=float(rng.normal(-0.2, 0.9)),
                    slope=float(rng.uniform(0.2, 2.2)),
                    guess=guess,
                )
            )
    return pools


# ---------------------------------------------------------------- the cohort


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _week_window(sb: ServedBank, index: int, start: datetime, now: datetime) -> tuple[datetime, float]:
    """When students work on a week: its own opening time if set, else one week per bank from start."""
    opens = sb.bank.opens or start + timedelta(weeks=index)
    opens = opens if opens.tzinfo else opens.replace(tzinfo=UTC)
    closes = sb.bank.closes or opens + timedelta(days=9)
    closes = closes if closes.tzinfo else closes.replace(tzinfo=UTC)
    span = max(3600.0, (min(closes, now) - opens).total_seconds())
    return opens, span


def demo_students() -> int:
    return int(db.session.scalar(select(func.count(User.id)).where(User.email.like(f"%@{DEMO_DOMAIN}"))) or 0)


def remove_demo_students() -> int:
    ids = select(User.id).where(User.email.like(f"%@{DEMO_DOMAIN}")).scalar_subquery()
    removed = demo_students()
    db.session.execute(delete(Attempt).where(Attempt.user_id.in_(ids)))
    db.session.execute(delete(QuestionState).where(QuestionState.user_id.in_(ids)))
    db.session.execute(delete(Variant).where(Variant.user_id.in_(ids)))
    db.session.execute(delete(User).where(User.email.like(f"%@{DEMO_DOMAIN}")))
    return removed


def _insert_returning_ids(model: Any, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    table = model.__table__
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(db.session.execute(stmt, rows).scalars())


def _bulk_insert(model: Any, rows: list[dict[str, Any]], chunk: int = 20_000) -> None:
    for i in range(0, len(rows), chunk):
        # Core executemany: the ORM's bulk path would check every row for defaults and relationships
        db.session.execute(insert(model.__table__), rows[i : i + chunk])


def create_demo_cohort(
    students: int,
    seed: int,
    *,
    variants: int = VARIANTS_PER_QUESTION,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
    believed: Mapping[tuple[int, str], Belief] | None = None,
) -> DemoReport:
    """Create `students` demo students and their work on every served week; the caller commits.

    believed: (week, question id) -> what the cohort takes for the right answer given the stored key, to
    plant a wrong key (e.g. `lambda key: -np.asarray(key)`): the students compute the truth, the key disagrees.
    """
    served = served_banks()
    if not served:
        raise DemoError("no question banks are served: run `flask --app app quiz sync` first")
    if students < 1:
        raise DemoError("--students must be at least 1")
    now = now or datetime.now(UTC)
    rng = np.random.default_rng(seed)
    # synthetic data, not secrets: scalar draws from random are much faster than numpy's
    draw = random.Random(seed)  # nosec B311
    pools = build_pools(served, rng, variants, believed)
    semester_start = (now - timedelta(weeks=len(served), days=2)).replace(hour=0, minute=0, second=0, microsecond=0)

    ability = rng.normal(0.0, 1.0, size=students)
    diligence = rng.normal(0.0, 0.8, size=students)
    user_rows = []
    for i in range(students):
        first, last = FIRST_NAMES[rng.integers(len(FIRST_NAMES))], LAST_NAMES[rng.integers(len(LAST_NAMES))]
        user_rows.append(
            {
                "email": f"{first.lower()}.{last.lower()}.{i + 1:04d}@{DEMO_DOMAIN}",
                "name": f"{first} {last}",
                "password_hash": None,
                "role": Role.STUDENT.value,
                "active": True,
                "session_version": 0,
                "created_at": semester_start - timedelta(days=3),
            }
        )
    user_ids = _insert_returning_ids(User, user_rows)

    totals = {"states": 0, "attempts": 0, "reveals": 0}
    for index, sb in enumerate(served):
        opens, span = _week_window(sb, index, semester_start, now)
        week_pools = pools.get(sb.week, [])
        variant_rows: list[dict[str, Any]] = []
        plans: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        for s, user_id in enumerate(user_ids):
            if progress is not None:
                progress(1)
            if not week_pools or draw.random() > _sigmoid(2.6 + 0.8 * ability[s] + diligence[s] - 0.12 * index):
                continue
            # most students work late in the week; a few start right away
            moment = opens + timedelta(seconds=span * draw.betavariate(2.2, 1.4))
            for pool in week_pools:
                option = pool.options[draw.randrange(len(pool.options))]
                moment += timedelta(seconds=draw.expovariate(1 / 240))
                variant_rows.append(
                    {
                        "user_id": user_id, "week": sb.week, "question_id": pool.question.id, "seed": option.seed,
                        "bank_version_id": sb.version.id, "pool_variant_id": option.pool_variant_id, "names": {},
                        "answer": option.answer,
                        "choice_order": option.choice_order, "created_at": min(moment, now),
                    }
                )
                state, attempts, moment = _simulate(pool, option, user_id, sb, float(ability[s]), moment, now, draw)
                plans.append((state, attempts))
        variant_ids = _insert_returning_ids(Variant, variant_rows)
        state_rows, attempt_rows = [], []
        for variant_id, (state, attempts) in zip(variant_ids, plans, strict=True):
            state["variant_id"] = variant_id
            state_rows.append(state)
            for attempt in attempts:
                attempt["variant_id"] = variant_id
                attempt_rows.append(attempt)
            totals["reveals"] += state["revealed_at"] is not None
        _bulk_insert(QuestionState, state_rows)
        _bulk_insert(Attempt, attempt_rows)
        recount_uses(sb.version.id)  # real students then get the variants the cohort used least
        totals["states"] += len(state_rows)
        totals["attempts"] += len(attempt_rows)
        db.session.flush()
    return DemoReport(students, totals["states"], totals["attempts"], totals["reveals"], len(served))


def _simulate(
    pool: QuestionPool,
    option: VariantOption,
    user_id: int,
    sb: ServedBank,
    ability: float,
    moment: datetime,
    now: datetime,
    draw: random.Random,
) -> tuple[dict[str, Any], list[dict[str, Any]], datetime]:
    """One student on one question: the attempts they make and the state those leave, as services would."""
    question = pool.question
    state: dict[str, Any] = {
        "user_id": user_id, "week": sb.week, "question_id": question.id, "practice_round": 0, "attempts": 0,
        "wrong": 0, "credit": 0.0, "first_score": None, "attempts_to_correct": None, "solved_at": None,
        "revealed_at": None, "last_attempt_at": None,
    }
    attempts: list[dict[str, Any]] = []

    def record(answer: GradedAnswer, when: datetime, counted: bool, credit: float) -> None:
        g = answer.grade
        attempts.append(
            {
                "user_id": user_id, "week": sb.week, "question_id": question.id, "bank_hash": sb.version.content_hash,
                "seed": option.seed, "raw_answer": answer.raw, "status": g.status.value, "score": g.score,
                "credit": credit, "counted": counted, "message": g.message, "mistake": g.mistake,
                "parsed": g.value, "idempotency_key": None, "created_at": when,
            }
        )

    if draw.random() > _sigmoid(2.6 + ability):  # opened the question but never answered it
        return state, attempts, moment
    limit = question.max_attempts or MAX_TRIES
    slips = [k for k in pool.kinds if k in option.wrong and not k.startswith(OTHER)]
    weights = [float(pool.kind_weights[pool.kinds.index(k)]) for k in slips]
    others = [k for k in pool.kinds if k in option.wrong and k.startswith(OTHER)]
    unrelated = _sigmoid(-0.2 - 0.8 * ability)  # the weaker the student, the more often a wrong answer is no slip
    for k in range(1, limit + 1):
        moment = min(now, moment + timedelta(seconds=draw.expovariate(1 / 150) + 20))
        if option.invalid is not None and draw.random() < 0.03:  # a typo: graded as invalid, no attempt used
            record(option.invalid, moment, False, 0.0)
            moment = min(now, moment + timedelta(seconds=30))
        p = pool.guess + (1 - pool.guess) * _sigmoid(pool.slope * (ability - pool.difficulty) + 0.2 + 0.25 * (k - 1))
        if draw.random() < p:
            answer = option.correct
        elif others and (not slips or draw.random() < unrelated):
            answer = option.wrong[others[draw.randrange(len(others))]]
        else:
            answer = option.wrong[draw.choices(slips, weights)[0]]
        scored = score_attempt(standing_of_plan(state), answer.grade, question)  # the answer path's rule
        state |= {
            "attempts": scored.after.attempts, "wrong": scored.after.wrong, "credit": scored.after.credit,
            "first_score": scored.after.first_score, "attempts_to_correct": scored.after.attempts_to_correct,
            "last_attempt_at": moment,
        }  # fmt: skip
        record(answer, moment, scored.counted, scored.credit)
        if scored.after.solved:
            state["solved_at"] = moment
            break
        if k >= 2 and draw.random() < 0.1:
            state["revealed_at"] = min(now, moment + timedelta(seconds=40))
            break
        if draw.random() < 0.03:  # gives up
            break
    return state, attempts, moment


def standing_of_plan(state: dict[str, Any]) -> Standing:
    """The scoring rule's view of a planned question_states row."""
    return Standing(
        attempts=state["attempts"], wrong=state["wrong"], credit=state["credit"], first_score=state["first_score"],
        attempts_to_correct=state["attempts_to_correct"], solved=state["solved_at"] is not None,
        revealed=state["revealed_at"] is not None,
    )


def analyze() -> None:
    """Fresh planner statistics after a bulk load, so the dashboards' queries get good plans."""
    db.session.execute(text("ANALYZE"))


def ensure_banks(questions_dir: str, variants: int) -> list[ServedBank]:
    """Serve the banks in questions_dir when nothing is served yet."""
    served = served_banks()
    if served:
        return served
    from .banksync import sync_banks

    report = sync_banks([questions_dir], variants=variants)
    db.session.commit()
    for refused in report.refused:
        click.echo(f"{refused.path}: refused ({len(refused.problems)} problems)", err=True)
    return served_banks()


def run_demo_data(students: int, seed: int, *, replace: bool = False) -> DemoReport:
    """The `quiz demo-data` command: sync if needed, then create the cohort with a progress bar."""
    settings = current_app.config["QUIZ"]
    served = ensure_banks(settings["QUESTIONS_DIR"], settings["POOL_VARIANTS"])
    if not served:
        raise click.ClickException("no bank could be served; see `flask --app app quiz check`")
    if demo_students():
        if not replace:
            raise click.ClickException("a demo cohort exists already; pass --replace to create it afresh")
        click.echo(f"removed {remove_demo_students()} demo students")
    try:
        with click.progressbar(length=students * len(served), label="simulating students") as bar:
            report = create_demo_cohort(students, seed, progress=bar.update)
    except DemoError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    analyze()
    db.session.commit()
    click.echo(
        f"created {report.students} students, {report.states} question states, {report.attempts} attempts "
        f"({report.reveals} reveals) over {report.weeks} weeks"
    )
    return report
