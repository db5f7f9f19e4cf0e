"""Launches from a real platform: roles, accounts, and every way a launch is refused."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from quizserver.extensions import db
from quizserver.models import LtiIdentity, LtiMembership, LtiRoleNotice, User
from tests.e2e.live import LiveServer
from tests.lti.conftest import FormBrowser, count_users, linked_user
from tests.lti.platform import INSTRUCTOR, LEARNER, TestPlatform


@pytest.mark.parametrize(
    ("who", "role"),
    [("learner", "student"), ("ta", "staff"), ("instructor", "instructor")],
)
def test_first_launch_creates_the_account_with_the_mapped_role_and_opens_the_week(
    tool: LiveServer, platform: TestPlatform, browser: FormBrowser, who: str, role: str
) -> None:
    page = browser.open(platform.start_launch(who, custom={"week": "1"}))
    assert page.status_code == 200
    assert page.url == f"{tool.url}/weeks/1"
    person = platform.people[who]
    user = linked_user(tool.app, person.sub)
    assert user is not None
    assert (user.role, user.email, user.name) == (role, person.email, person.name)
    assert user.password_hash is None  # signs in through the platform only, until given a set-password link
    assert person.name in page.text  # signed in: the header shows the name


def test_a_second_launch_signs_in_the_same_account(tool: LiveServer, platform: TestPlatform) -> None:
    for _ in range(2):
        assert FormBrowser().open(platform.start_launch("learner")).url == f"{tool.url}/weeks"
    with tool.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LtiIdentity)) == 1
        assert db.session.scalar(select(func.count()).select_from(LtiMembership)) == 1


@pytest.mark.parametrize(
    ("tamper", "status", "says"),
    [
        ("wrong_signature", 403, "signature is not valid"),
        ("expired", 403, "expired"),
        ("unknown_deployment", 403, "Unknown deployment"),
        ("missing_role", 403, "course role is not one this quiz knows"),
        ("wrong_audience", 403, "not registered"),
    ],
)
def test_a_bad_launch_gets_a_clear_page_and_creates_no_account(
    tool: LiveServer, platform: TestPlatform, browser: FormBrowser, tamper: str, status: int, says: str
) -> None:
    before = count_users(tool.app)
    page = browser.open(platform.start_launch("learner", tamper=tamper))
    assert page.status_code == status
    assert says in page.text
    assert "Nothing was recorded" in page.text
    assert count_users(tool.app) == before
    assert linked_user(tool.app, platform.people["learner"].sub) is None


def test_a_replayed_launch_is_refused(tool: LiveServer, platform: TestPlatform, browser: FormBrowser) -> None:
    browser.open(platform.start_launch("learner"))
    launch_url, fields = browser.posts[-1]
    assert launch_url == f"{tool.url}/lti/launch" and "id_token" in fields
    again = browser.post(launch_url, fields)  # same browser: its state cookie is still there
    assert again.status_code == 403
    assert "already used" in again.text
    stranger = FormBrowser().post(launch_url, fields)  # another browser, without the state cookie
    assert stranger.status_code == 403


def test_a_launch_without_the_login_step_is_refused(tool: LiveServer, platform: TestPlatform) -> None:
    forged = FormBrowser().post(f"{tool.url}/lti/launch", {"id_token": "a.b.c", "state": "state-x"})
    assert forged.status_code == 403
    garbage = FormBrowser().post(f"{tool.url}/lti/launch", {})
    assert garbage.status_code in (400, 403)


def test_login_from_an_unregistered_platform_is_refused(
    tool: LiveServer, make_platform: Callable[..., TestPlatform], browser: FormBrowser
) -> None:
    stranger = make_platform(register=False)
    page = browser.open(stranger.start_launch("learner"))
    assert page.status_code == 403
    assert "not registered" in page.text
    missing = browser.session.get(f"{tool.url}/lti/login", timeout=10)
    assert missing.status_code == 400


def test_an_existing_account_keeps_its_role_and_instructors_decide(
    tool: LiveServer, platform: TestPlatform, make_user: Callable[..., User]
) -> None:
    FormBrowser().open(platform.start_launch("learner"))
    platform.people["learner"].roles = INSTRUCTOR  # promoted in the LMS
    page = FormBrowser().open(platform.start_launch("learner"))
    assert page.status_code == 200
    assert "stays" in page.text and "student" in page.text
    learner = linked_user(tool.app, platform.people["learner"].sub)
    assert learner is not None and learner.role == "student"

    instructor = make_user("instructor")
    admin = FormBrowser()
    login = admin.session.get(f"{tool.url}/login", timeout=10).text
    admin.session.post(f"{tool.url}/login", data={
        "email": instructor.email, "password": "correct horse battery", "csrf_token": admin.csrf(login)
    }, timeout=10)  # fmt: skip
    users = admin.session.get(f"{tool.url}/admin/users", timeout=10).text
    assert "Roles from the course platform" in users and learner.email in users
    with tool.app.app_context():
        notice = db.session.scalar(select(LtiRoleNotice))
        assert notice is not None and (notice.lms_role, notice.account_role) == ("instructor", "student")
        notice_id = notice.id
    applied = admin.session.post(
        f"{tool.url}/lti/role-notices/{notice_id}/apply", data={"csrf_token": admin.csrf(users)}, timeout=10
    )
    assert applied.status_code == 200 and "Role changed" in applied.text
    assert "applied (was student)" in applied.text  # the log on the accounts page
    changed = linked_user(tool.app, platform.people["learner"].sub)
    assert changed is not None and changed.role == "instructor"


@pytest.mark.parametrize(("trusted", "links"), [(True, True), (False, False)])
def test_email_matches_an_existing_account_only_on_a_trusted_platform(
    tool: LiveServer, make_platform: Callable[..., TestPlatform], make_user: Callable[..., User],
    trusted: bool, links: bool,
) -> None:  # fmt: skip
    platform = make_platform(trust_emails=trusted)
    existing = make_user("student", email="lea@uni.example")
    FormBrowser().open(platform.start_launch("learner"))
    user = linked_user(tool.app, platform.people["learner"].sub)
    assert user is not None
    assert (user.id == existing.id) is links
    if not links:
        assert user.email.endswith("@lti.invalid")  # the address belongs to someone else here


def test_a_learner_cannot_reach_the_staff_pages(tool: LiveServer, platform: TestPlatform) -> None:
    browser = FormBrowser()
    browser.open(platform.start_launch("learner"))
    for page in ("/lti/grades", "/lti/platforms"):
        assert browser.session.get(tool.url + page, timeout=10).status_code == 403
    assert platform.people["learner"].roles == LEARNER


def test_jwks_publishes_the_tool_key(tool: LiveServer, platform: TestPlatform, app: Flask) -> None:
    keys = FormBrowser().session.get(f"{tool.url}/lti/jwks", timeout=10).json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and keys[0]["use"] == "sig" and "d" not in keys[0]


def test_a_platform_that_rotates_its_key_is_refetched(tool: LiveServer, platform: TestPlatform) -> None:
    assert FormBrowser().open(platform.start_launch("learner")).url == f"{tool.url}/weeks"  # its JWKS is cached
    from tests.lti.platform import new_key

    platform.private_pem, platform.public_pem = new_key()
    assert FormBrowser().open(platform.start_launch("learner")).url == f"{tool.url}/weeks"


def test_removing_a_platform_unlinks_its_users_and_keeps_their_accounts(
    tool: LiveServer, platform: TestPlatform
) -> None:
    from quizserver.lti.platforms import remove_platform
    from quizserver.models import LtiContext, LtiPlatform

    FormBrowser().open(platform.start_launch("learner"))
    user = linked_user(tool.app, platform.people["learner"].sub)
    assert user is not None
    with tool.app.app_context():
        platform_id = db.session.scalar(select(LtiPlatform.id))
        assert platform_id is not None and remove_platform(platform_id)
        db.session.commit()
        for model in (LtiIdentity, LtiMembership, LtiContext, LtiPlatform):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0
        assert db.session.get(User, user.id) is not None
    refused = FormBrowser().open(platform.start_launch("learner"))
    assert refused.status_code == 403 and "not registered" in refused.text


def test_two_registrations_of_one_issuer_give_one_account_and_one_course(
    tool: LiveServer, platform: TestPlatform
) -> None:
    from quizserver.lti.platforms import PlatformSpec, add_platform
    from quizserver.models import LtiContext

    fields = platform.registration_fields()
    with tool.app.app_context():
        add_platform(PlatformSpec(
            issuer=fields["issuer"], client_id="second-client", deployment_ids=(fields["deployment_id"],),
            auth_login_url=fields["auth_login_url"], auth_token_url=fields["auth_token_url"],
            key_set_url=fields["key_set_url"],
        ))  # fmt: skip
        db.session.commit()
    FormBrowser().open(platform.start_launch("learner"))
    platform.client_id = "second-client"  # the same Moodle, through its second tool registration
    assert FormBrowser().open(platform.start_launch("learner")).url == f"{tool.url}/weeks"
    with tool.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LtiIdentity)) == 1
        assert db.session.scalar(select(func.count()).select_from(LtiContext)) == 1


def test_crossed_first_launches_get_a_page_not_an_error(
    tool: LiveServer, platform: TestPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import IntegrityError

    from quizserver.lti import routes

    def crossed(*args: object, **kwargs: object) -> None:  # the other launch inserted the same identity first
        raise IntegrityError("INSERT INTO lti_identities", {}, Exception("unique constraint"))

    monkeypatch.setattr(routes, "account_for_launch", crossed)
    before = count_users(tool.app)
    page = FormBrowser().open(platform.start_launch("learner"))
    assert page.status_code == 409 and "Two launches crossed" in page.text
    assert count_users(tool.app) == before
