"""Dynamic registration as Moodle shows it: the tool's registration page in the platform's dialog frame.

The tool's pages refuse every frame (`frame-ancestors 'none'`) except this one, which the platform that
opened it may frame; its script tells the platform to close the dialog (tests/lti/test_dynamic_registration.py
has the platform and the refusals)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from quizserver.extensions import db
from quizserver.lti.registration import issue_registration_key
from quizserver.models import LtiPlatform
from tests.e2e.conftest import Site
from tests.lti.test_dynamic_registration import RegistrationPlatform, register_url

pytestmark = pytest.mark.e2e


@pytest.fixture
def lms() -> Iterator[RegistrationPlatform]:
    with RegistrationPlatform() as platform:
        yield platform


def test_the_registration_page_shows_in_the_platforms_frame_and_closes_it(
    site: Site, lms: RegistrationPlatform, browser: Any
) -> None:
    with site.app.app_context():
        key = issue_registration_key()
        db.session.commit()
    context = browser.new_context()
    context.set_default_timeout(15_000)
    seen: list[str] = []
    context.on("request", lambda r: seen.append(r.url))
    try:
        page = context.new_page()
        page.goto(f"{lms.url}/dialog?" + urlencode({"src": site.url + register_url(key, lms.configuration_url)}))
        page.wait_for_function("document.title === 'closed'")  # the tool's page posted the close message
        assert "dyn-client-1" in page.frame_locator("iframe").locator("main").inner_text()
    finally:
        context.close()
    assert all(url.startswith("http://127.0.0.1:") for url in seen), seen[:5]
    with site.app.app_context():
        platform = db.session.scalar(select(LtiPlatform).where(LtiPlatform.issuer == lms.url))
        assert platform is not None and platform.client_id == "dyn-client-1"
