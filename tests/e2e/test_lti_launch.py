"""A launch in Chromium: the platform's course page posts to the tool's login, the platform's authorization
page posts the signed id_token to the tool, and the student lands on the week; deep linking posts back."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from quizserver.extensions import db
from quizserver.lti.platforms import PlatformSpec, add_platform
from tests.e2e.conftest import Site
from tests.lti.platform import TestPlatform

pytestmark = pytest.mark.e2e


@pytest.fixture
def lms(site: Site) -> Iterator[TestPlatform]:
    with TestPlatform(site.url, client_id=f"e2e-{id(site)}") as platform:
        fields = platform.registration_fields()
        with site.app.app_context():
            add_platform(PlatformSpec(
                issuer=fields["issuer"], client_id=fields["client_id"], deployment_ids=(fields["deployment_id"],),
                auth_login_url=fields["auth_login_url"], auth_token_url=fields["auth_token_url"],
                key_set_url=fields["key_set_url"], name="Browser Moodle",
            ))  # fmt: skip
            db.session.commit()
        yield platform


@pytest.fixture
def lms_page(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    seen: list[str] = []
    context.on("request", lambda r: seen.append(r.url))
    yield context.new_page(), seen
    context.close()
    assert all(url.startswith("http://127.0.0.1:") for url in seen), [u for u in seen if "127.0.0.1" not in u][:5]


def test_a_learner_launch_follows_the_form_posts_to_the_week(
    site: Site, lms: TestPlatform, lms_page: tuple[Any, list[str]]
) -> None:
    from playwright.sync_api import expect

    page, seen = lms_page
    page.goto(lms.start_launch("learner", custom={"week": "1"}))
    page.wait_for_url(f"{site.url}/weeks/1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Test week")
    expect(page.locator(".whoami")).to_have_text("Lea Learner")
    assert any(url.startswith(f"{site.url}/lti/login") for url in seen)
    assert any(url.startswith(f"{lms.url}/auth?") for url in seen)
    assert f"{site.url}/lti/launch" in seen


def test_an_instructor_adds_a_week_by_deep_linking(
    site: Site, lms: TestPlatform, lms_page: tuple[Any, list[str]]
) -> None:
    from playwright.sync_api import expect

    page, _ = lms_page
    page.goto(lms.start_launch("instructor", deep_link=True))
    page.wait_for_url(f"{site.url}/lti/deep-link/**")
    page.get_by_label("Week 1: Test week").check()
    page.get_by_role("button", name="Add to the course").click()
    page.wait_for_url(f"{lms.url}/deep-link-return")  # the page's script posted the signed answer to the platform
    expect(page.get_by_role("heading", level=1)).to_have_text("Added: Week 1: Test week")
    assert lms.deep_linked[0]["custom"] == {"week": "1"}
