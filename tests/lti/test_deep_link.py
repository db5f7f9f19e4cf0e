"""Deep linking: an instructor adds "Week 1" from the platform; the link's launches open that week."""
from __future__ import annotations

import re

from tests.e2e.live import LiveServer
from tests.lti.conftest import FormBrowser
from tests.lti.platform import TestPlatform


def test_an_instructor_adds_a_week_and_the_link_opens_it(tool: LiveServer, platform: TestPlatform) -> None:
    instructor = FormBrowser()
    page = instructor.open(platform.start_launch("instructor", deep_link=True))
    assert page.url.startswith(f"{tool.url}/lti/deep-link/lti1p3-launch-")
    assert "Week 1: Test week" in page.text
    assert "Week 2" in page.text
    csrf = instructor.csrf(page.text)
    back = instructor.post(page.url, {"csrf_token": csrf, "week": "1"})
    assert back.status_code == 200
    assert back.url == f"{platform.url}/deep-link-return"  # the signed answer went back to the platform
    assert "Added: Week 1: Test week" in back.text
    (item,) = platform.deep_linked
    assert item["type"] == "ltiResourceLink" and item["url"] == f"{tool.url}/lti/launch"
    assert item["custom"] == {"week": "1"}
    assert item["lineItem"]["resourceId"] == "week-1"  # the platform made the week's grade column with the link

    learner = FormBrowser()
    landed = learner.open(platform.start_launch("learner", link="link-week-1", custom=item["custom"]))
    assert landed.url == f"{tool.url}/weeks/1"


def test_a_deep_link_page_belongs_to_the_instructor_who_launched_it(
    tool: LiveServer, platform: TestPlatform
) -> None:
    instructor = FormBrowser()
    page = instructor.open(platform.start_launch("instructor", deep_link=True))
    learner = FormBrowser()
    learner.open(platform.start_launch("learner"))
    assert learner.session.get(page.url, timeout=10).status_code == 403
    assert FormBrowser().session.get(page.url, timeout=10).status_code == 403
    unknown = re.sub(r"lti1p3-launch-.*$", "lti1p3-launch-00000000-0000-0000-0000-000000000000", page.url)
    assert instructor.session.get(unknown, timeout=10).status_code == 404


def test_choosing_no_week_asks_again(tool: LiveServer, platform: TestPlatform) -> None:
    instructor = FormBrowser()
    page = instructor.open(platform.start_launch("instructor", deep_link=True))
    again = instructor.post(page.url, {"csrf_token": instructor.csrf(page.text)})
    assert again.url == page.url and "Choose at least one week" in again.text
    assert platform.deep_linked == []


def test_a_platform_that_takes_one_item_gets_one(tool: LiveServer, platform: TestPlatform) -> None:
    instructor = FormBrowser()
    page = instructor.open(platform.start_launch("instructor", deep_link=True, accept_multiple=False))
    assert 'type="radio" name="week"' in page.text and 'type="checkbox"' not in page.text
    back = instructor.session.post(page.url, data=[("csrf_token", instructor.csrf(page.text)), ("week", "2"),
                                                   ("week", "1")], timeout=10)  # fmt: skip
    instructor.follow(back)
    assert [item["custom"] for item in platform.deep_linked] == [{"week": "2"}]


def test_several_weeks_at_once(tool: LiveServer, platform: TestPlatform) -> None:
    instructor = FormBrowser()
    page = instructor.open(platform.start_launch("instructor", deep_link=True))
    back = instructor.session.post(page.url, data=[("csrf_token", instructor.csrf(page.text)), ("week", "1"),
                                                   ("week", "2"), ("week", "1")], timeout=10)  # fmt: skip
    instructor.follow(back)
    assert [item["custom"] for item in platform.deep_linked] == [{"week": "1"}, {"week": "2"}]
    assert sorted(item["resourceId"] for item in platform.line_items.values()) == ["week-1", "week-2"]
