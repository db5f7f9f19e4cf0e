"""Registration, keys, grade pushing and roster sync from the command line and the instructor's page."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from quizserver.extensions import db
from quizserver.lti.launch import role_from_claims, week_from_custom
from quizserver.lti.platforms import PlatformSpec, moodle_urls, spec_problems, split_ids
from quizserver.models import LtiPlatform, Role, User
from tests.e2e.live import LiveServer
from tests.lti.conftest import FormBrowser, answer, linked_user
from tests.lti.platform import INSTRUCTOR, LEARNER, LIS, TEACHING_ASSISTANT, TestPlatform


@pytest.mark.parametrize(
    ("roles", "role"),
    [
        (LEARNER, Role.STUDENT),
        (TEACHING_ASSISTANT, Role.STAFF),
        ([LIS + "membership#Instructor", LIS + "membership/Instructor#TeachingAssistant"], Role.STAFF),
        (INSTRUCTOR, Role.INSTRUCTOR),
        (["Learner"], Role.STUDENT),  # the short names LTI 1.3 still allows
        (["Instructor"], Role.INSTRUCTOR),
        ([LIS + "membership#Administrator"], Role.INSTRUCTOR),
        ([LIS + "membership#Learner", LIS + "institution/person#Administrator"], Role.STUDENT),  # course role wins
        ([LIS + "institution/person#Instructor"], None),  # no course role
        ([LIS + "membership#Mentor"], None),
        ([], None),
        (["http://example.org/roles#Learner"], None),
    ],
)
def test_roles_map_from_the_course_roles(roles: list[str], role: Role | None) -> None:
    assert role_from_claims(roles) == role


@pytest.mark.parametrize(
    ("custom", "week"),
    [({"week": "3"}, 3), ({"week": 3}, 3), ({"week": " 12 "}, 12), ({"week": "0"}, None), ({"week": "x"}, None),
     ({"week": "-1"}, None), ({}, None), (None, None), ("week=3", None), ({"week": "99999"}, None)],
)  # fmt: skip
def test_the_week_comes_from_the_custom_parameter(custom: object, week: int | None) -> None:
    assert week_from_custom(custom) == week


def test_a_registration_with_problems_lists_each() -> None:
    spec = PlatformSpec(issuer="", client_id="", deployment_ids=(), auth_login_url="ftp://x", auth_token_url="",
                        key_set_url="https://moodle.example/mod/lti/certs.php")  # fmt: skip
    problems = spec_problems(spec)
    assert len(problems) == 5
    assert spec_problems(moodle_urls(PlatformSpec("https://moodle.example", "c", ("1",), "", "", ""))) == []
    assert split_ids("1, 2\n3\n\n1") == ("1", "2", "3")


def test_add_platform_from_the_command_line(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=[
        "lti", "add-platform", "--issuer", "https://moodle.uni.example", "--client-id", "abc",
        "--deployment-id", "1", "--deployment-id", "2", "--moodle", "--name", "Moodle",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 new deployment(s)" in result.output
    with app.app_context():
        platform = db.session.scalar(select(LtiPlatform))
        assert platform is not None
        assert platform.key_set_url == "https://moodle.uni.example/mod/lti/certs.php"
        assert platform.auth_login_url == "https://moodle.uni.example/mod/lti/auth.php"
        assert platform.auth_token_url == "https://moodle.uni.example/mod/lti/token.php"
        assert not platform.trust_emails and platform.send_grades
    listed = runner.invoke(args=["lti", "platforms"])
    assert "https://moodle.uni.example client abc deployments [1, 2]" in listed.output
    bad = runner.invoke(args=["lti", "add-platform", "--issuer", "x", "--client-id", "c", "--deployment-id", "1"])
    assert bad.exit_code != 0 and "must be an http(s) address" in bad.output
    config = runner.invoke(args=["lti", "tool-config", "--base-url", "https://quiz.uni.example"])
    assert "Initiate login URL: https://quiz.uni.example/lti/login" in config.output
    assert "Public keyset URL: https://quiz.uni.example/lti/jwks" in config.output


def test_key_rotation_publishes_both_keys_until_the_old_one_is_retired(app: Flask) -> None:
    runner = app.test_cli_runner()
    client = app.test_client()
    assert runner.invoke(args=["lti", "create-key"]).exit_code == 0
    (first,) = client.get("/lti/jwks").get_json()["keys"]
    assert runner.invoke(args=["lti", "rotate-key"]).exit_code == 0
    keys = client.get("/lti/jwks").get_json()["keys"]
    assert [k["kid"] for k in keys][1:] == [first["kid"]] and len(keys) == 2
    assert "1 key(s) retired" in runner.invoke(args=["lti", "retire-keys"]).output
    (newest,) = client.get("/lti/jwks").get_json()["keys"]
    assert newest["kid"] != first["kid"]


def test_launches_and_scores_work_after_a_key_rotation(tool: LiveServer, platform: TestPlatform) -> None:
    tool.app.config["QUIZ"]["LTI_PUSH_AFTER_RESPONSE"] = False
    browser = FormBrowser()
    browser.open(platform.start_launch("learner", custom={"week": "1"}))
    assert tool.app.test_cli_runner().invoke(args=["lti", "rotate-key", "--retire"]).exit_code == 0
    assert answer(browser, tool.url, 1, "count", "-7").status_code == 302
    result = tool.app.test_cli_runner().invoke(args=["lti", "push-grades", "1"])
    assert "1 sent" in result.output, result.output
    assert len(platform.scores) == 1


def test_push_grades_resends_a_week(tool: LiveServer, platform: TestPlatform) -> None:
    tool.app.config["QUIZ"]["LTI_PUSH_AFTER_RESPONSE"] = False
    browser = FormBrowser()
    browser.open(platform.start_launch("learner", custom={"week": "1"}))
    assert answer(browser, tool.url, 1, "count", "-7").status_code == 302
    runner = tool.app.test_cli_runner()
    assert "1 sent" in runner.invoke(args=["lti", "drain"]).output
    again = runner.invoke(args=["lti", "push-grades", "1"])
    assert "1 scores queued; 1 sent" in again.output
    nothing = runner.invoke(args=["lti", "push-grades", "2"])
    assert "0 scores queued" in nothing.output
    assert len(platform.scores) == 2 and platform.scores[0][0] == platform.scores[1][0]


def test_roster_sync_creates_the_course_members(tool: LiveServer, platform: TestPlatform) -> None:
    runner = tool.app.test_cli_runner()
    assert "No course has launched" in runner.invoke(args=["lti", "sync-roster"]).output
    FormBrowser().open(platform.start_launch("instructor"))
    result = runner.invoke(args=["lti", "sync-roster"])
    assert result.exit_code == 0, result.output
    assert "2 accounts created, 1 updated" in result.output
    learner, ta = (linked_user(tool.app, platform.people[w].sub) for w in ("learner", "ta"))
    assert learner is not None and learner.role == "student"
    assert ta is not None and ta.role == "staff"
    assert "0 accounts created, 3 updated" in runner.invoke(args=["lti", "sync-roster"]).output


def test_the_instructor_page_registers_a_platform(
    app: Flask, make_user: Callable[..., User], auth: object
) -> None:
    from tests.conftest import csrf_token

    instructor = make_user("instructor")
    client = app.test_client()
    token = csrf_token(client, "/login")
    client.post("/login", data={"email": instructor.email, "password": "correct horse battery", "csrf_token": token})
    page = client.get("/lti/platforms").get_data(as_text=True)
    assert "http://localhost/lti/login" in page and "http://localhost/lti/jwks" in page
    token = csrf_token(client, "/lti/platforms")
    fields = {"csrf_token": token, "issuer": "https://moodle.uni.example", "client_id": "xyz",
              "deployment_ids": "7", "moodle": "y", "send_grades": "y"}  # fmt: skip
    bad = client.post("/lti/platforms", data=fields | {"moodle": "", "auth_login_url": "nope"})
    assert bad.status_code == 200 and "must be an http(s) address" in bad.get_data(as_text=True)
    done = client.post("/lti/platforms", data=fields, follow_redirects=True)
    assert "Registered moodle.uni.example (1 new deployment(s))" in done.get_data(as_text=True)
    with app.app_context():
        platform = db.session.scalar(select(LtiPlatform))
        assert platform is not None and [d.deployment_id for d in platform.deployments] == ["7"]
        platform_id = platform.id
    removed = client.post(f"/lti/platforms/{platform_id}/remove", data={"csrf_token": token}, follow_redirects=True)
    assert "Removed moodle.uni.example" in removed.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(LtiPlatform)) is None


@pytest.mark.parametrize(("role", "status"), [("student", 403), ("staff", 403), ("instructor", 200)])
def test_only_instructors_register_platforms(
    app: Flask, make_user: Callable[..., User], role: str, status: int
) -> None:
    from tests.conftest import csrf_token

    user = make_user(role)
    client = app.test_client()
    token = csrf_token(client, "/login")
    client.post("/login", data={"email": user.email, "password": "correct horse battery", "csrf_token": token})
    assert client.get("/lti/platforms").status_code == status
    assert client.get("/lti/grades").status_code == (403 if role == "student" else 200)
