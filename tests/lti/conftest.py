"""Fixtures for the LTI tests: the tool on a live server, a real platform beside it, and a browser that follows
their auto-posting forms and redirects (requests, with cookies, as a browser without scripts would)."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from quizserver.extensions import db
from quizserver.lti.platforms import PlatformSpec, add_platform
from quizserver.models import LtiIdentity, QuestionState, User
from tests.e2e.live import LiveServer
from tests.lti.platform import TestPlatform, form_fields

AUTO_FORM = re.compile(r'<form[^>]*(id="auto"|data-autosubmit)')


class FormBrowser:
    """Follows redirects and auto-submitting forms, keeping cookies: what a browser does during a launch."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.posts: list[tuple[str, dict[str, str]]] = []

    def open(self, url: str, max_forms: int = 6) -> requests.Response:
        response = self.session.get(url, timeout=20)
        return self.follow(response, max_forms)

    def follow(self, response: requests.Response, max_forms: int = 6) -> requests.Response:
        for _ in range(max_forms):
            if response.status_code != 200 or not AUTO_FORM.search(response.text):
                return response
            action, fields = form_fields(response.text)
            action = urljoin(response.url, action)
            self.posts.append((action, fields))
            response = self.session.post(action, data=fields, timeout=20)
        return response

    def post(self, url: str, fields: dict[str, str]) -> requests.Response:
        return self.follow(self.session.post(url, data=fields, timeout=20))

    def csrf(self, page: str) -> str:
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert found, page[:300]
        return found.group(1)


@pytest.fixture
def tool(app: Flask) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def make_platform(tool: LiveServer) -> Iterator[Callable[..., TestPlatform]]:
    started: list[TestPlatform] = []

    def factory(*, trust_emails: bool = False, send_grades: bool = True, register: bool = True,
                client_id: str = "quiz-client") -> TestPlatform:  # fmt: skip
        platform = TestPlatform(tool.url, client_id=client_id)
        platform.start()
        started.append(platform)
        if register:
            fields = platform.registration_fields()
            with tool.app.app_context():
                add_platform(PlatformSpec(
                    issuer=fields["issuer"], client_id=fields["client_id"], deployment_ids=(fields["deployment_id"],),
                    auth_login_url=fields["auth_login_url"], auth_token_url=fields["auth_token_url"],
                    key_set_url=fields["key_set_url"], name="Test Moodle", trust_emails=trust_emails,
                    send_grades=send_grades,
                ))  # fmt: skip
                db.session.commit()
        return platform

    yield factory
    for platform in started:
        platform.stop()


@pytest.fixture
def platform(make_platform: Callable[..., TestPlatform]) -> TestPlatform:
    return make_platform()


@pytest.fixture
def browser() -> FormBrowser:
    return FormBrowser()


def count_users(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User)) or 0


def linked_user(app: Flask, subject: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).join(LtiIdentity, LtiIdentity.user_id == User.id).where(
            LtiIdentity.subject == subject
        ))  # fmt: skip
        if user is not None:
            db.session.expunge(user)
        return user


def right_answer(app: Flask, user_id: int, week: int, question_id: str) -> Any:
    with app.app_context():
        state = db.session.scalar(
            select(QuestionState).where(
                QuestionState.user_id == user_id, QuestionState.week == week, QuestionState.question_id == question_id
            )
        )
        assert state is not None, "the week page makes the state"
        return state.variant.answer


def answer(browser: FormBrowser, base: str, week: int, question_id: str, value: str) -> requests.Response:
    """Answer on the week page as the student would: its form, its tokens."""
    page = browser.session.get(f"{base}/weeks/{week}", timeout=20).text
    action = f"/weeks/{week}/{question_id}/answer"
    start = page.index(f'action="{action}"')
    form = page[start: page.index("</form>", start)]
    token = re.search(r'name="token" value="([^"]*)"', form)
    assert token
    fields = {"csrf_token": browser.csrf(form), "token": token.group(1), "answer": value}
    return browser.session.post(base + action, data=fields, timeout=20, allow_redirects=False)
