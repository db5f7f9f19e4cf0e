"""Staff dashboards on a hand-made cohort: every figure checked against values worked out on paper."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from quizserver.extensions import db
from quizserver.models import Attempt, QuestionState, User, Variant

from ..conftest import AuthActions

BASE = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

# Week 1 of the test bank: scale (1 point), outer (2), count (1), relu (1), convex (1): 6 points.
# (credit, first score, attempts, attempts to correct, revealed) per student and question; None: not opened.
COHORT: dict[str, dict[str, tuple[float, float, int, int | None, bool] | None]] = {
    "ada": {"scale": (1, 1, 1, 1, False), "outer": (1, 1, 1, 1, False), "count": (1, 1, 1, 1, False)},
    "ben": {"scale": (1, 1, 1, 1, False), "outer": (0, 0, 2, None, True), "count": None},
    "cem": {"scale": (0, 0, 1, None, False), "outer": (1, 1, 1, 1, False), "count": (0, 0, 1, None, False)},
    "dan": {"scale": (0, 0, 1, None, False), "outer": (0, 0, 1, None, False), "count": (0, 0, 1, None, False)},
}
# wrong answers: (student, question) -> (parsed answers in order, mistake)
WRONG = {
    ("ben", "outer"): ([[[-1, -2, -3], [-2, -4, -6]], [[-1, -2, -3], [-2, -4, -6]]], "sign"),
    ("cem", "scale"): ([7.02], None),
    ("dan", "scale"): ([7.0], None),
    ("cem", "count"): ([20], None),
    ("dan", "count"): ([20], None),
    ("dan", "outer"): ([[[0, 0, 0], [0, 0, 0]]], None),
}
EXPECTED_PERCENT = {"ada": 100 * 4 / 6, "ben": 100 * 1 / 6, "cem": 100 * 2 / 6, "dan": 0.0}


def build_cohort(app: Flask) -> dict[str, int]:
    """Write the cohort straight into the tables, the way services would have left them."""
    ids = {}
    with app.app_context():
        version_id = db.session.scalar(db.select(db.text("id")).select_from(db.text("bank_versions")).where(
            db.text("week = 1 AND is_current")))
        for n, (name, states) in enumerate(COHORT.items()):
            user = User(email=f"{name}@uni.example", name=f"{name.title()} Student", role="student")
            db.session.add(user)
            db.session.flush()
            ids[name] = user.id
            for q, state in states.items():
                if state is None:
                    continue
                credit, first, attempts, to_correct, revealed = state
                variant = Variant(user_id=user.id, week=1, question_id=q, seed=n, bank_version_id=version_id,
                                  names={"a": 3, "b": 4, "answer": 12.5}, answer=12.5)
                db.session.add(variant)
                db.session.flush()
                moment = BASE + timedelta(days=n, minutes=len(q))
                wrong, mistake = WRONG.get((name, q), ([], None))
                for k, parsed in enumerate(wrong):
                    db.session.add(Attempt(user_id=user.id, week=1, question_id=q, variant_id=variant.id,
                                           bank_hash="h", seed=n, raw_answer=str(parsed), status="incorrect",
                                           score=0.0, credit=0.0, counted=True, mistake=mistake, parsed=parsed,
                                           created_at=moment + timedelta(minutes=k)))
                if to_correct is not None:
                    db.session.add(
                        Attempt(
                            user_id=user.id,
                            week=1,
                            question_id=q,
                            variant_id=variant.id,
                            bank_hash="h",
                            seed=n,
                            raw_answer="=1+1",
                            status="correct",
                            score=1.0,
                            credit=1.0,
                            counted=True,
                            parsed=12.5,
                            created_at=moment + timedelta(minutes=9),
                        )
                    )
                db.session.add(QuestionState(
                    user_id=user.id, week=1, question_id=q, variant_id=variant.id, attempts=attempts,
                    wrong=attempts - (1 if to_correct else 0), credit=credit, first_score=first,
                    attempts_to_correct=to_correct, solved_at=moment + timedelta(minutes=9) if to_correct else None,
                    revealed_at=moment + timedelta(minutes=5) if revealed else None,
                    last_attempt_at=moment + timedelta(minutes=9)))
        db.session.commit()
    return ids


@pytest.fixture
def cohort(app: Flask) -> dict[str, int]:
    return build_cohort(app)


@pytest.fixture
def staff_client(client: FlaskClient, make_user: Callable[..., User], auth: AuthActions) -> FlaskClient:
    user = make_user("staff")
    assert auth.login(user.email).status_code == 302
    return client


def staff_urls(app: Flask, student_id: int) -> list[str]:
    values = {"week": 1, "user_id": student_id}
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("staff.") and "GET" in rule.methods:
                urls.append(rule.build({k: values[k] for k in rule.arguments})[1])
    return sorted(urls)


def read_csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


# ---------------------------------------------------------------- access


def test_every_staff_page_is_closed_to_students_and_anonymous_users(
    app: Flask, client: FlaskClient, make_user: Callable[..., User], auth: AuthActions, cohort: dict[str, int]
) -> None:
    urls = staff_urls(app, cohort["ada"])
    assert len(urls) >= 7  # gradebook, three exports, week overview, item analysis, student
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    student = make_user("student")
    auth.login(student.email)
    for url in urls:
        assert client.get(url).status_code == 403, url


def test_every_staff_page_opens_for_staff(app: Flask, staff_client: FlaskClient, cohort: dict[str, int]) -> None:
    for url in staff_urls(app, cohort["ada"]):
        assert staff_client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/staff/weeks/99", 404),
        ("/staff/weeks/99/items", 404),
        ("/staff/students/999999", 404),
        ("/staff/?sort=week-x&dir=sideways&q=%25_", 200),
        ("/staff/?sort=" + "w" * 500, 200),
        ("/staff/attempts.csv?week=abc", 200),
        ("/staff/gradebook.csv?format=lotus-123", 400),
        ("/staff/attempts.csv?format=%00", 400),
    ],
)
def test_bad_input_is_never_a_server_error(
    staff_client: FlaskClient, cohort: dict[str, int], url: str, status: int
) -> None:
    assert staff_client.get(url).status_code == status


def test_a_staff_account_has_no_student_page(staff_client: FlaskClient, make_user: Callable[..., User]) -> None:
    other = make_user("staff")
    assert staff_client.get(f"/staff/students/{other.id}").status_code == 404


# ---------------------------------------------------------------- gradebook


def row_cells(html: str, email: str) -> list[str]:
    row = re.search(rf"<tr><th scope=\"row\">(?:(?!</tr>).)*?{re.escape(email)}.*?</tr>", html, re.S)
    assert row, email
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(0))


def test_gradebook_shows_week_percent_and_solved_over_attempted(
    staff_client: FlaskClient, cohort: dict[str, int]
) -> None:
    html = staff_client.get("/staff/?view=detailed").get_data(as_text=True)
    assert row_cells(html, "ada@uni.example")[0] == "67%<small>3/3</small>"
    assert row_cells(html, "ben@uni.example")[0] == "17%<small>1/2</small>"
    assert row_cells(html, "cem@uni.example")[0] == "33%<small>1/3</small>"
    assert row_cells(html, "dan@uni.example")[0] == "0%<small>0/3</small>"
    assert "no work" in row_cells(html, "ada@uni.example")[1]  # nothing done in week 2
    assert "2026-03-02 10:14" in row_cells(html, "ada@uni.example")[-1]  # last activity
    # totals: mean over the 4 students, 4 started, only Ada solved every question? no: 5 questions, none did
    mean = sum(EXPECTED_PERCENT.values()) / 4
    assert f"{mean:.1f}%" in html
    for week in (1, 2):
        assert f'href="/staff/weeks/{week}"' in html and f'href="/staff/weeks/{week}/items"' in html
    for export in ("/staff/gradebook.csv", "/staff/attempts.csv", "/staff/grades-import.csv"):
        assert f'href="{export}"' in html and f'href="{export}?format=excel-de"' in html
    assert f'href="/staff/students/{cohort["ada"]}"' in html


@pytest.mark.parametrize(
    ("email", "week_one", "band", "total"),
    [
        # total: points over both weeks (6 + the second bank's) -- Ada has 4 of them
        ("ada@uni.example", "67%", "s3", "4.0/"),
        ("ben@uni.example", "17%", "s0", "1.0/"),
        ("dan@uni.example", "0%", "s0", "0.0/"),
    ],
)
def test_compact_gradebook_cells_carry_the_number_a_colour_band_and_the_total(
    staff_client: FlaskClient, cohort: dict[str, int], email: str, week_one: str, band: str, total: str
) -> None:
    html = staff_client.get("/staff/").get_data(as_text=True)
    row = re.search(rf"<tr><th scope=\"row\"><a [^>]*title=\"{re.escape(email)}\".*?</tr>", html, re.S)
    assert row, email
    cells = re.findall(r"<td class=\"([^\"]*)\"(?: title=\"([^\"]*)\")?>(.*?)</td>", row.group(0))
    css, title, text = cells[0]
    assert text == week_one and css == f"score {band}"  # the number is always there, the colour only helps
    assert "solved" in title
    total_css, total_title, _ = cells[-2]
    assert "total" in total_css and total_title.startswith(total)
    assert "<small>" not in row.group(0)  # one line per student


def test_gradebook_pages_through_many_students(app: Flask, staff_client: FlaskClient) -> None:
    with app.app_context():
        for n in range(120):
            db.session.add(User(email=f"s{n:03d}@uni.example", name=f"Student {n:03d}", role="student"))
        db.session.commit()
    first = staff_client.get("/staff/").get_data(as_text=True)
    assert "Students 1–100 of 120" in first and first.count('<tr><th scope="row"><a ') == 100
    second = staff_client.get("/staff/?page=2").get_data(as_text=True)
    assert "Students 101–120 of 120" in second and second.count('<tr><th scope="row"><a ') == 20
    every = staff_client.get("/staff/?per=all").get_data(as_text=True)
    assert every.count('<tr><th scope="row"><a ') == 120 and 'rel="next"' not in every
    for odd in ("?page=0", "?page=99", "?page=x&per=7", "?per=-1"):
        assert staff_client.get("/staff/" + odd).status_code == 200, odd


def test_gradebook_sorts_and_filters(staff_client: FlaskClient, cohort: dict[str, int]) -> None:
    def order(query: str) -> list[str]:
        html = staff_client.get("/staff/" + query).get_data(as_text=True)
        return re.findall(r'title="(\w+)@uni\.example"', html)

    assert order("?sort=week-1&dir=desc") == ["ada", "cem", "ben", "dan"]
    assert order("?sort=week-1") == ["dan", "ben", "cem", "ada"]
    assert order("?sort=total&dir=desc") == ["ada", "cem", "ben", "dan"]
    assert order("?sort=email&dir=desc") == ["dan", "cem", "ben", "ada"]
    assert order("?sort=last&dir=desc")[0] == "dan"  # the latest to work
    assert order("?q=BEN") == ["ben"]
    assert order("?q=Student&sort=name") == ["ada", "ben", "cem", "dan"]
    assert order("?q=nobody") == []


def test_gradebook_escapes_names(app: Flask, staff_client: FlaskClient) -> None:
    with app.app_context():
        db.session.add(User(email="x@uni.example", name="<script>alert(1)</script>", role="student"))
        db.session.commit()
    html = staff_client.get("/staff/").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


# ---------------------------------------------------------------- exports


def test_gradebook_csv_has_a_row_per_student_and_a_column_per_week(staff_client: FlaskClient, cohort) -> None:
    rows = read_csv(staff_client.get("/staff/gradebook.csv"))
    assert list(rows[0]) == ["email", "name", "week 1 (%)", "week 2 (%)", "total (7 points)", "last activity (UTC)"]
    by_email = {r["email"]: r for r in rows}
    assert set(by_email) == {f"{n}@uni.example" for n in COHORT}
    for name, percent in EXPECTED_PERCENT.items():
        assert float(by_email[f"{name}@uni.example"]["week 1 (%)"]) == pytest.approx(percent, abs=0.005)
        assert by_email[f"{name}@uni.example"]["week 2 (%)"] == "0.00"
    assert by_email["ada@uni.example"]["last activity (UTC)"] == "2026-03-02T10:14:00+00:00"
    assert by_email["ada@uni.example"]["total (7 points)"] == "4.00"


def test_grade_import_csv_identifies_students_by_email(staff_client: FlaskClient, cohort) -> None:
    rows = read_csv(staff_client.get("/staff/grades-import.csv"))
    assert list(rows[0]) == ["Email address", "Week 1", "Week 2"]
    assert {r["Email address"]: float(r["Week 1"]) for r in rows} == pytest.approx(
        {f"{n}@uni.example": round(p, 2) for n, p in EXPECTED_PERCENT.items()}
    )


def test_long_csv_has_one_row_per_attempt(app: Flask, staff_client: FlaskClient, cohort) -> None:
    rows = read_csv(staff_client.get("/staff/attempts.csv"))
    with app.app_context():
        total = db.session.scalar(db.select(db.func.count(Attempt.id)))
    assert len(rows) == total == 12
    assert list(rows[0]) == [
        "attempt_id", "email", "week", "question", "seed", "submitted_at (UTC)", "status", "score", "credit", "counted",
        "mistake", "answer",
    ]
    ben = [r for r in rows if r["email"] == "ben@uni.example" and r["question"] == "outer"]
    assert [(r["status"], r["mistake"], r["counted"]) for r in ben] == [("incorrect", "sign", "1")] * 2
    # a typed "=1+1" would run as a formula in a spreadsheet: it is defused
    assert {r["answer"] for r in rows if r["status"] == "correct"} == {"'=1+1"}
    assert read_csv(staff_client.get("/staff/attempts.csv?week=2")) == []


@pytest.fixture
def berlin_client(make_app: Callable[..., Flask], make_user: Callable[..., User]) -> FlaskClient:
    """The hand-made cohort on a course whose time zone is Europe/Berlin."""
    from quizserver.banksync import sync_banks

    from ..conftest import FIXTURES, PASSWORD, csrf_token

    app = make_app(TIMEZONE="Europe/Berlin")
    with app.app_context():
        sync_banks([FIXTURES / "banks", FIXTURES / "closed"], variants=6)
        db.session.commit()
    build_cohort(app)
    with app.app_context():
        from quizserver.accounts import create_user

        create_user("tutor@uni.example", PASSWORD, role="staff", name="Tutor")
        db.session.commit()
    client = app.test_client()
    token = csrf_token(client)
    assert client.post("/login", data={"email": "tutor@uni.example", "password": PASSWORD, "csrf_token": token})
    return client


def test_exports_in_the_course_time_zone(berlin_client: FlaskClient) -> None:
    rows = read_csv(berlin_client.get("/staff/gradebook.csv"))
    ada = next(r for r in rows if r["email"] == "ada@uni.example")
    assert ada["last activity (Europe/Berlin)"] == "2026-03-02T11:14:00+01:00"  # 10:14 UTC
    attempts = read_csv(berlin_client.get("/staff/attempts.csv"))
    assert all(r["submitted_at (Europe/Berlin)"].endswith("+01:00") for r in attempts)
    html = berlin_client.get("/staff/").get_data(as_text=True)
    assert "2026-03-02 11:14" in html and "Europe/Berlin" in html


def test_german_excel_csv_has_bom_semicolons_and_decimal_commas(staff_client: FlaskClient, cohort) -> None:
    response = staff_client.get("/staff/gradebook.csv?format=excel-de")
    assert response.status_code == 200 and "gradebook-excel-de.csv" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel then reads umlauts right
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    ada = next(r for r in rows if r["email"] == "ada@uni.example")
    assert ada["week 1 (%)"] == "66,67" and ada["total (7 points)"] == "4,00"
    assert ada["last activity (UTC)"] == "2026-03-02 10:14:00"
    plain = staff_client.get("/staff/gradebook.csv").get_data()
    assert not plain.startswith(b"\xef\xbb\xbf") and b"66.67" in plain
    long = staff_client.get("/staff/attempts.csv?format=excel-de").get_data().decode("utf-8-sig")
    attempts = list(csv.DictReader(io.StringIO(long), delimiter=";"))
    assert len(attempts) == 12 and {r["answer"] for r in attempts if r["status"] == "correct"} == {"'=1+1"}
    imported = staff_client.get("/staff/grades-import.csv?format=excel-de").get_data().decode("utf-8-sig")
    assert imported.splitlines()[0] == "Email address;Week 1;Week 2"


# ---------------------------------------------------------------- week overview and item analysis


def test_week_overview_shows_completion_histogram_and_attempts_per_day(staff_client: FlaskClient, cohort) -> None:
    html = staff_client.get("/staff/weeks/1").get_data(as_text=True)
    assert "<dd>4</dd>" in html  # students
    assert "4 (100.0%)" in html  # started
    assert "0 (0.0%)" in html  # nobody solved all five questions
    assert f"{sum(EXPECTED_PERCENT.values()) / 4:.1f}%" in html
    # histogram of 66.7, 16.7, 33.3, 0: one student in each of the bins 0-10, 10-20, 30-40, 60-70
    counts = re.findall(r"<tr><td>(\d+–\d+)</td><td>(\d+)</td></tr>", html)
    assert [c for _, c in counts] == ["1", "1", "0", "1", "0", "0", "1", "0", "0", "0"]
    assert html.count("<svg") == 2 and "<title>Week 1: graded attempts per day</title>" in html
    # attempts per day: one student a day, three attempts each, March 2 to 5
    assert "<title>2026-03-02: 3</title>" in html and "<title>2026-03-05: 3</title>" in html


def item_row(html: str, qid: str) -> list[str]:
    row = re.search(rf"<tr>\s*<th scope=\"row\"><a href=\"#item-{qid}\">(?:(?!</tr>).)*</tr>", html, re.S)
    assert row, qid
    return [re.sub(r"\s+", " ", c).strip() for c in re.findall(r"<td>(.*?)</td>", row.group(0), re.S)]


def test_item_analysis_matches_the_hand_computation(staff_client: FlaskClient, cohort) -> None:
    html = staff_client.get("/staff/weeks/1/items").get_data(as_text=True)
    # attempting / opened, attempts, facility, discrimination, mean attempts to correct, revealed, flags
    assert item_row(html, "scale") == ["4 / 4", "4", "50%", "0.19", "1.00", "0%", ""]
    assert item_row(html, "outer") == ["4 / 4", "5", "50%", "0.30", "1.00", "25%", ""]
    assert item_row(html, "count")[:6] == ["3 / 3", "3", "33%", "0.76", "1.00", "0%"]
    assert item_row(html, "relu") == ["0 / 0", "0", "–", "–", "–", "–", ""]


def test_item_analysis_groups_wrong_answers_and_flags_a_likely_wrong_key(staff_client: FlaskClient, cohort) -> None:
    html = staff_client.get("/staff/weeks/1/items").get_data(as_text=True)
    scale = html[html.index('id="item-scale"'):html.index('id="item-outer"')]
    # 7.02 and 7.0 are within the 1% tolerance: one group of two students, shown by the first answer given
    assert re.search(r"<code>7.02</code></td><td>2</td><td>2</td>", scale)
    outer = html[html.index('id="item-outer"'):html.index('id="item-count"')]
    assert "sign flipped 1" in outer
    assert re.search(
        r"<code>\[\[-1, -2, -3\], \[-2, -4, -6\]\]</code></td><td>1</td><td>2</td><td>sign flipped</td>", outer
    )
    # count: 2 of the 3 students attempting agree on 20 -- below the 3-student minimum, so no flag
    count = html[html.index('id="item-count"'):html.index('id="item-relu"')]
    assert re.search(r"<code>20</code></td><td>2</td><td>2</td>", count)
    assert '<span class="flag">' not in html


def test_three_students_agreeing_on_one_wrong_answer_is_no_evidence_of_a_wrong_key(
    app: Flask, staff_client: FlaskClient, cohort
) -> None:
    """A shared wrong answer alone is what common mistakes look like; a wrong key needs the strong students
    (tests/web/test_wrong_key.py), and four students are too few to tell strong from weak."""
    with app.app_context():
        ada = db.session.get(User, cohort["ada"])
        variant = db.session.scalar(db.select(Variant).where(Variant.user_id == ada.id, Variant.question_id == "count"))
        db.session.add(Attempt(user_id=ada.id, week=1, question_id="count", variant_id=variant.id, bank_hash="h",
                               seed=0, raw_answer="20", status="incorrect", counted=False, parsed=20, created_at=BASE))
        db.session.commit()
    html = staff_client.get("/staff/weeks/1/items").get_data(as_text=True)
    assert "likely wrong key" not in item_row(html, "count")[-1]
    assert '<span class="flag">' not in html


# ---------------------------------------------------------------- one student


def test_student_drill_down_lists_every_attempt_with_its_numbers(staff_client: FlaskClient, cohort) -> None:
    html = staff_client.get(f"/staff/students/{cohort['ben']}").get_data(as_text=True)
    assert "Ben Student" in html and "ben@uni.example" in html
    assert "Every attempt (3), by week and question" in html
    assert "1.0 / 6 (17%)" in html and "1 / 2 of 5" in html
    assert "<code>a = 3; b = 4</code>" in html  # scale's params, from the stored variant
    assert "incorrect (sign flipped)" in html
    assert "2026-03-03 10:05" in html  # the first attempt of the day, in UTC
    # grouped by week, then question in the bank's order; every group folded until opened
    assert re.findall(r"<details class=\"history-(\w+)\"(\s+open)?>", html) == [
        ("week", ""), ("question", ""), ("question", "")
    ]
    assert re.findall(r"Q(\d) <code>(\w+)</code>", html) == [("1", "scale"), ("2", "outer")]
    rows = re.findall(r'<tr class="status-(\w+)">', html)
    assert rows == ["correct", "incorrect", "incorrect"]
    assert "preview this variant" not in html  # the preview is for instructors


def test_drill_down_shows_choice_answers_as_their_words_and_links_instructors_to_the_seed(
    app: Flask, client: FlaskClient, make_user: Callable[..., User], auth: AuthActions, cohort
) -> None:
    with app.app_context():
        version_id = db.session.scalar(db.text("SELECT id FROM bank_versions WHERE week = 1 AND is_current"))
        seed, slot = db.session.execute(db.text(
            "SELECT seed, slot FROM pool_variants WHERE bank_version_id = :v AND question_id = 'convex' "
            "ORDER BY slot DESC"), {"v": version_id}).first()
        variant = Variant(user_id=cohort["dan"], week=1, question_id="convex", seed=seed, bank_version_id=version_id,
                          names={}, answer=["a", "b"])
        db.session.add(variant)
        db.session.flush()
        db.session.add(Attempt(user_id=cohort["dan"], week=1, question_id="convex", variant_id=variant.id,
                               bank_hash="h", seed=seed, raw_answer="a,c", status="incorrect", score=0.0, credit=0.0,
                               counted=True, parsed=["a", "c"], created_at=BASE))
        db.session.commit()
    instructor = make_user("instructor")
    auth.login(instructor.email)
    html = client.get(f"/staff/students/{cohort['dan']}").get_data(as_text=True)
    assert "<code>Squared error; The 0-1 loss</code>" in html  # what was chosen, in the options' words
    assert "Key: <span class=\"key-text\">Squared error; Absolute error</span>" in html  # whole, never cut
    link = f'href="/instructor/preview/1/convex?seed={seed}"'
    assert link in html
    preview = client.get(f"/instructor/preview/1/convex?seed={seed}")
    assert preview.status_code == 200 and f"{slot + 1}" in preview.get_data(as_text=True)
    assert client.get("/instructor/preview/1/convex?seed=12345678901").status_code == 404
    assert client.get("/instructor/preview/1/convex?seed=abc").status_code == 400
