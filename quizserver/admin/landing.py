"""Where a person lands after logging in or opening the site: the page their role works on."""
from __future__ import annotations

from typing import Any

from flask import url_for


def landing_url(user: Any) -> str:
    """Staff and instructors work on the gradebook (their own week list would show a score of 0 for work they
    never do); students on their weeks. Every page stays one click away in the header."""
    if getattr(user, "is_authenticated", False) and getattr(user, "is_staff", False):
        return url_for("staff.gradebook")
    return url_for("quiz.weeks")
