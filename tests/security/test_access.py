"""Every route, every method, every role: who may use what is decided here, in one table."""
from __future__ import annotations

import pytest
from flask import Flask

from .conftest import ROLES, Cast, login_as

pytestmark = pytest.mark.security

PUBLIC, USER, STAFF, INSTRUCTOR = "public", "any logged-in user", "staff", "instructor"
RANK = {"anonymous": 0, "student": 1, "staff": 2, "instructor": 3}
NEEDS = {PUBLIC: 0, USER: 1, STAFF: 2, INSTRUCTOR: 3}

# Who may use each endpoint (all its methods). A new route must be added here before this test passes.
ACCESS: dict[str, str] = {
    "static": PUBLIC,
    "healthz": PUBLIC,
    "ping": PUBLIC,
    "quiz.index": PUBLIC,
    "auth.login": PUBLIC,
    "auth.signup": PUBLIC,
    "auth.set_password_link": PUBLIC,
    "auth.logout": USER,
    "auth.logout_everywhere": USER,
    "auth.account_password": USER,
    "quiz.weeks": USER,
    "quiz.week": USER,
    "quiz.progress": USER,
    "quiz.answer": USER,
    "quiz.reveal_solution": USER,
    "quiz.new_numbers": USER,
    "quiz.answer_help": PUBLIC,  # linked from every answer box; no course data
    "quiz.review_page": USER,
    "quiz.review_answer": USER,
    "i18n.set_language": PUBLIC,  # the language switch: a cookie, and the account's setting when logged in
    "staff.gradebook": STAFF,
    "staff.gradebook_csv": STAFF,
    "staff.attempts_csv": STAFF,
    "staff.grade_import_csv": STAFF,
    "staff.week_overview": STAFF,
    "staff.item_analysis": STAFF,
    "staff.student": STAFF,
    "staff.admission_page": STAFF,
    "staff.admission_csv": STAFF,
    "media.figure": USER,  # an image a question shows, by content hash (quizserver/media)
    "instructor.banks": INSTRUCTOR,
    "instructor.preview_question": INSTRUCTOR,
    "instructor.unpublish": INSTRUCTOR,
    "admin.users": INSTRUCTOR,
    "admin.user": INSTRUCTOR,
    "admin.change_role": INSTRUCTOR,
    "admin.change_active": INSTRUCTOR,
    "admin.reset_password": INSTRUCTOR,
    "admin.import_students": INSTRUCTOR,
    "admin.links_csv": INSTRUCTOR,
    # LTI: the platform posts login and launch (checked by state, nonce and signature); a deep-link page checks
    # that the launch is the signed-in user's own
    "lti.static": PUBLIC,
    "lti.login": PUBLIC,
    "lti.launch": PUBLIC,
    "lti.jwks": PUBLIC,
    "lti.deep_link": PUBLIC,
    "lti.deep_link_choose": PUBLIC,
    "lti.grade_sync": STAFF,
    "lti.grade_retry": INSTRUCTOR,
    "lti.platform_list": INSTRUCTOR,
    "lti.platform_remove": INSTRUCTOR,
    "lti.platform_settings": INSTRUCTOR,
    "lti.platform_registration_link": INSTRUCTOR,
    # dynamic registration: opened by the platform's administrator, who has no account here; it acts only with an
    # unused one-time key an instructor made (`flask lti registration-url` or the LMS platforms page)
    "lti.register": PUBLIC,
    "lti.role_notice": INSTRUCTOR,
}


# Routes whose answer is a redirect to the log-in page (the start page, logging out): not a refusal.
LANDING = {"quiz.index", "auth.logout", "auth.logout_everywhere"}


def url_values(cast: Cast) -> dict[str, object]:
    """A real value for each URL variable name; the student's own ids, so 'allowed' means really allowed."""
    return {
        "week": 1,
        "question_id": "scale",
        "user_id": cast.other.id,
        "student_id": cast.other.id,
        "email": cast.other.email,
        "token": "not-a-real-token",
        "filename": "style.css",
        "name": "0" * 64 + ".svg",  # a figure's name: well formed, not stored (404 for whoever may ask)
        "launch_id": "lti1p3-launch-none",
        "platform_id": 1,
        "notice_id": 1,
        "decision": "dismiss",
        "item_id": 1,
    }


def routes(app: Flask) -> list[tuple[str, str, str, list[str]]]:
    """(endpoint, method, rule, variable names) for every route in the app."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule, sorted(rule.arguments)))
    return sorted(found)


def test_every_route_has_a_decided_access_level(app: Flask) -> None:
    undecided = sorted({f"{endpoint} ({rule})" for endpoint, _, rule, _ in routes(app) if endpoint not in ACCESS})
    assert not undecided, (
        "These routes have no entry in tests/security/test_access.py ACCESS. Decide who may use each one "
        f"(PUBLIC, USER, STAFF or INSTRUCTOR) and add it there: {undecided}"
    )
    stale = sorted(set(ACCESS) - {endpoint for endpoint, *_ in routes(app)})
    assert not stale, f"ACCESS names endpoints that no longer exist; remove them: {stale}"


def test_every_url_variable_has_a_test_value(app: Flask, cast: Cast) -> None:
    known = url_values(cast)
    missing = sorted(
        {f"<{name}> in {rule}" for _, _, rule, names in routes(app) for name in names if name not in known}
    )
    assert not missing, (
        f"add a value for these URL variables to url_values() in tests/security/test_access.py: {missing}"
    )


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_its_access(app: Flask, cast: Cast, role: str) -> None:
    values = url_values(cast)
    client = app.test_client()
    user = cast.of(role)
    wrong = []
    for endpoint, method, rule, names in routes(app):
        if endpoint not in ACCESS:
            continue  # reported by test_every_route_has_a_decided_access_level
        url = rule
        for name in names:
            url = url.replace(f"<{name}>", str(values.get(name, "x")))
            url = url.replace(f"<int:{name}>", str(values.get(name, 0))).replace(
                f"<path:{name}>", str(values.get(name, "x"))
            )
        token = login_as(client, user)
        response = client.open(url, method=method, data={"csrf_token": token} if method != "GET" else None)
        response.close()
        status = response.status_code
        location = response.headers.get("Location", "")
        to_login = status in (302, 303) and "/login" in location
        allowed = RANK[role] >= NEEDS[ACCESS[endpoint]]
        if status >= 500:
            wrong.append(f"{method} {url}: {status}")
        elif allowed and (status in (401, 403) or (to_login and endpoint not in LANDING)):
            wrong.append(f"{method} {url}: refused with {status} but {role} may use it")
        elif not allowed and role == "anonymous" and not to_login:
            wrong.append(f"{method} {url}: {status} for anonymous, expected a redirect to log in")
        elif not allowed and role != "anonymous" and status != 403:
            wrong.append(f"{method} {url}: {status} for {role}, expected 403")
    assert not wrong, "\n".join(wrong)
