"""Every POST endpoint, as every role, with arbitrary fields: never a 500, and nothing changes the role may not change.

The endpoints come from `app.url_map` and the field names from every form class, so a new form is fuzzed too.
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.routing import Rule
from werkzeug.test import encode_multipart
from wtforms.fields.core import UnboundField

from quizserver.accounts import issue_password_token
from quizserver.extensions import db
from quizserver.models import User
from tests.conftest import ENROLLMENT_KEY, PASSWORD

from .conftest import ROLES, Cast, login_as

pytestmark = pytest.mark.security

EXAMPLES_PER_ENDPOINT = 10
NEW_PASSWORD = "a new password 123"
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_ENDPOINT,
    deadline=None,
    derandomize=True,  # the same examples on every run, so CI is stable
    database=None,  # nothing written to .hypothesis/
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ---------------------------------------------------------------- what is posted


def form_field_names() -> list[str]:
    """Every field of every form class in the app (imported by create_app), plus what the quiz page posts."""
    names = {"answer", "choice", "token"}
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        names |= {name for name in dir(form) if isinstance(getattr(form, name, None), UnboundField)}
    return sorted(names - {"csrf_token"})  # the token is sent, left out or forged on purpose


def roster_files(cast: Cast) -> st.SearchStrategy[tuple[io.BytesIO, str]]:
    lines = st.sampled_from(
        [
            "email,name", "fresh@uni.example,Fresh", f"{cast.other.email},Bob",
            "<img/src=x/onerror=alert(1)>@x.example,Evil", "=cmd|' /C calc'!A0@x.example,X", "no-at-sign,Y",
        ]
    ) | st.text(max_size=40)
    csv_text = st.lists(lines, max_size=6).map("\n".join).map(lambda text: text.encode("utf-8", "surrogatepass"))
    content = csv_text | st.binary(max_size=200)
    return st.tuples(content, st.sampled_from(["roster.csv", "", "x.txt"])).map(lambda f: (io.BytesIO(f[0]), f[1]))


def plausible_values(cast: Cast) -> dict[str, st.SearchStrategy[Any]]:
    """What a person would type into each field, so the fuzz also gets past the first check of a form."""
    emails = [cast.student.email, cast.other.email, cast.staff.email, cast.instructor.email]
    return {
        "email": st.sampled_from(emails) | st.integers(0, 10**6).map(lambda n: f"new{n}@uni.example"),
        "password": st.sampled_from([PASSWORD, NEW_PASSWORD]),
        "confirm": st.sampled_from([PASSWORD, NEW_PASSWORD]),
        "current": st.sampled_from([PASSWORD, NEW_PASSWORD]),
        "name": st.just("Ada Lovelace"),
        "enrollment_key": st.just(ENROLLMENT_KEY),
        "remember": st.just("y"),
        "role": st.sampled_from(["student", "staff", "instructor", "admin"]),
        "active": st.sampled_from(["0", "1"]),
        "rows": st.sampled_from(['[["=1+1", "Ada", "http://x/1"]]', "[]", '[["a", "b"]]', "{}"]),
        "answer": st.sampled_from(["1", "7.5", "[1, 2]", "[[1, 2], [3, 4]]", "nan", "1e309"]),
        "choice": st.sampled_from(["0", "1", "2"]),
        "token": st.text("0123456789abcdef", min_size=32, max_size=32),
        "roster": roster_files(cast),
    }


def filled_in(cast: Cast) -> dict[str, list[Any]]:
    """Every form's fields as a person fills them in: the request that gets furthest into each endpoint."""
    roster = f"email,name\nfresh@uni.example,Fresh\n{cast.other.email},Bob\n<img/src=x>@x.example,Evil\n"
    return {
        "email": ["new0@uni.example"], "password": [NEW_PASSWORD], "confirm": [NEW_PASSWORD], "current": [PASSWORD],
        "name": ["Ada Lovelace"], "enrollment_key": [ENROLLMENT_KEY], "remember": ["y"], "role": ["instructor"],
        "active": ["0"], "rows": ['[["=1+1", "Ada", "http://x/1"]]'], "answer": ["1"], "choice": ["0"],
        "token": ["0" * 32], "roster": [(io.BytesIO(roster.encode()), "roster.csv")],
    }


def any_values(cast: Cast) -> st.SearchStrategy[Any]:
    text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=60)
    rare = st.one_of(
        text.map(lambda t: t + "\x00"),  # refused at the door; anything but a 400 is a finding
        st.integers(1, 20_000).map(lambda n: "9" * n),  # longer than any field's limit, far under the body's
        roster_files(cast),
    )
    return st.one_of(text, text, text, rare)


@st.composite
def form_fields(draw: st.DrawFn, cast: Cast) -> dict[str, list[Any]]:
    """Half the time every form's fields filled in plausibly with a few changed; otherwise arbitrary fields."""
    names = form_field_names()
    anything = any_values(cast)
    fields: dict[str, list[Any]]
    if draw(st.booleans()):
        plausible = plausible_values(cast)
        fields = {name: [draw(plausible.get(name, anything))] for name in names}
        for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)):
            fields[name] = draw(st.lists(anything, max_size=3))  # none: missing; several: repeated
    else:
        fields = draw(st.dictionaries(st.sampled_from(names), st.lists(anything, min_size=1, max_size=3), max_size=6))
    for name in draw(st.lists(st.text(max_size=12), max_size=2)):
        fields[name] = draw(st.lists(anything, min_size=1, max_size=2))
    return {name: values for name, values in fields.items() if values}


def known_url_values(cast: Cast, link: str) -> dict[str, list[Any]]:
    """Each URL variable's values, the one a person would use first: the other student's id, a real link."""
    return {
        "week": [1, 2, 99],
        "question_id": ["scale", "outer", "convex", "no-such-question"],
        "user_id": [cast.other.id, cast.student.id, cast.staff.id, cast.instructor.id, 999_999],
        "token": [link, "not-a-real-token"],
        "launch_id": ["lti1p3-launch-00000000-0000-0000-0000-000000000000", "not-a-launch"],
        "platform_id": [1, 999_999],
        "notice_id": [1, 999_999],
        "decision": ["apply", "dismiss", "promote"],
        "item_id": [1, 999_999],
    }


def url_argument(rule: Rule, name: str, cast: Cast, link: str) -> st.SearchStrategy[Any]:
    known = known_url_values(cast, link)
    if name in known:
        return st.sampled_from(known[name])
    if f"<int:{name}>" in rule.rule:
        return st.integers(0, 2**31 - 1)
    return st.text(st.characters(codec="utf-8", exclude_characters="/"), min_size=1, max_size=20)


def send(client: FlaskClient, url: str, fields: dict[str, list[Any]], headers: dict[str, str]) -> int:
    """POST the fields; a body with files is encoded here in memory (the test client would spool it to a file)."""
    items = [(name, value) for name, values in fields.items() for value in values]
    if all(isinstance(value, str) for _, value in items):
        response = client.post(url, data=fields, headers=headers)
    else:
        boundary, body = encode_multipart(
            MultiDict([(n, FileStorage(v[0], filename=v[1]) if isinstance(v, tuple) else v) for n, v in items])
        )
        content_type = f"multipart/form-data; boundary={boundary}"
        response = client.post(url, data=body, content_type=content_type, headers=headers)
    response.close()
    return response.status_code


def abbreviated(value: Any) -> str:
    if not isinstance(value, str):
        return "(a file)"
    return value if len(value) <= 80 else f"{value[:40]!r}… ({len(value)} characters)"


def post_rules(app: Flask) -> list[Rule]:
    return sorted((r for r in app.url_map.iter_rules() if "POST" in (r.methods or ())), key=lambda r: r.rule)


# ---------------------------------------------------------------- what changed


@dataclass(frozen=True)
class Change:
    table: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def row(self) -> dict[str, Any]:
        row = self.after if self.after is not None else self.before
        assert row is not None
        return row

    @property
    def owner(self) -> int | None:
        """The user a row belongs to; None for shared rows (banks, pools)."""
        return self.row["id"] if self.table == "users" else self.row.get("user_id")

    def __str__(self) -> str:
        where = f"{self.table} row id={self.row.get('id')}"
        if self.before is None or self.after is None:
            return f"{where} {'added' if self.before is None else 'deleted'}"
        return f"{where} " + ", ".join(
            f"{name}: {self.before.get(name)!r:.60} -> {self.after[name]!r:.60}" for name in sorted(self.columns)
        )

    @property
    def columns(self) -> set[str]:
        if self.before is None or self.after is None:
            return {"(row added)" if self.before is None else "(row deleted)"}
        return {name for name in self.after if self.after[name] != self.before.get(name)}


Snapshot = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


def snapshot(app: Flask) -> Snapshot:
    """Every row of every table, by primary key."""
    with app.app_context():
        found: Snapshot = {}
        for table in db.metadata.sorted_tables:
            keys = [column.name for column in table.primary_key.columns]
            rows = db.session.execute(select(table)).mappings().all()
            found[table.name] = {tuple(row[k] for k in keys): dict(row) for row in rows}
        return found


def changes(before: Snapshot, after: Snapshot) -> Iterator[Change]:
    for table in after:
        old, new = before.get(table, {}), after[table]
        for key in old.keys() | new.keys():
            if old.get(key) != new.get(key):
                yield Change(table, old.get(key), new.get(key))


# Who may change what beyond their own rows, by endpoint; anything not listed here is refused.
OTHERS_ROWS_BY_ENDPOINT = {
    "auth.login": {"login_sessions"},  # whoever knows the password logs in as that account
    "auth.set_password_link": {"users", "password_tokens", "login_sessions"},  # whoever holds the link
}
OTHERS_ROWS_BY_INSTRUCTOR = {"users", "password_tokens", "login_sessions"}
OWN_USER_COLUMNS = {"password_hash", "session_version"}
LTI_REGISTRATION = {"lti_platforms", "lti_deployments", "lti_tool_keys", "lti_registration_keys"}


def forbidden(
    change: Change, role: str, actor_id: int | None, endpoint: str, before: Snapshot, after: Snapshot
) -> str | None:
    """Why this change is not one the role may make through this endpoint, or None when it may."""
    owner = change.owner
    if owner is None:
        if change.table == "pool_variants" and change.columns == {"uses"} and actor_id is not None:
            return None  # counts the students given a variant
        if change.table in LTI_REGISTRATION and role == "instructor" and endpoint.startswith("lti.platform_"):
            return None  # instructors register LMS platforms (and the tool's key pair comes with the first)
        return f"changed the shared table {change.table}"
    if (owner,) not in before["users"]:  # a user created by this request
        new_role = after["users"].get((owner,), {}).get("role")
        creates = (role == "anonymous" and endpoint == "auth.signup") or (
            role == "instructor" and endpoint == "admin.import_students"
        )
        return None if creates and new_role == "student" else f"created a {new_role} account"
    if change.table == "users":
        columns = change.columns
        if columns & {"role", "active"}:
            allowed = role == "instructor" and owner != actor_id and endpoint.startswith("admin.")
            return None if allowed else f"changed {sorted(columns)} of user {owner}"
        if columns - OWN_USER_COLUMNS:
            return f"changed {sorted(columns - OWN_USER_COLUMNS)} of user {owner}"
    if owner == actor_id:
        return None
    if change.table in OTHERS_ROWS_BY_ENDPOINT.get(endpoint, set()):
        return None
    if role == "instructor" and endpoint.startswith("admin.") and change.table in OTHERS_ROWS_BY_INSTRUCTOR:
        return None
    return f"changed {change.table} {sorted(change.columns)} of user {owner}"


# ---------------------------------------------------------------- the requests


def fresh(app: Flask, user: User | None) -> User | None:
    """The user as stored now: a changed password or session version must not log the fuzz out."""
    if user is None:
        return None
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored is not None
        db.session.expunge(stored)
        return stored


def issue_link(app: Flask, user: User) -> str:
    with app.app_context():
        link = issue_password_token(db.session.get(User, user.id))
        db.session.commit()
        return link


def give_other_rows(app: Flask, cast: Cast) -> None:
    """The other student's variants, state and an attempt: rows nobody else's post may touch."""
    client = app.test_client()
    token = login_as(client, cast.other)
    assert client.get("/weeks/1").status_code == 200
    assert client.post("/weeks/1/scale/answer", data={"answer": "1", "csrf_token": token}).status_code < 400


def fuzz_endpoint(app: Flask, cast: Cast, role: str, rule: Rule, link: str) -> None:
    actor = cast.of(role)

    first = {name: values[0] for name, values in known_url_values(cast, link).items() if name in rule.arguments}

    @FUZZ_SETTINGS
    @example(url_values=first, data=filled_in(cast), csrf="field", accept="text/html", oversize=False)
    @example(url_values=first, data=filled_in(cast), csrf="header", accept="application/json", oversize=False)
    @given(
        url_values=st.fixed_dictionaries({name: url_argument(rule, name, cast, link) for name in rule.arguments}),
        data=form_fields(cast),
        csrf=st.sampled_from(["field", "field", "field", "header", "missing", "forged"]),
        accept=st.sampled_from(["text/html", "application/json", "*/*"]),
        oversize=st.integers(0, 9).map(lambda n: n == 0),
    )
    def post(url_values: dict[str, Any], data: dict[str, list[Any]], csrf: str, accept: str, oversize: bool) -> None:
        client = app.test_client()
        token = login_as(client, fresh(app, actor))
        with app.test_request_context():
            url = rule.build(url_values, append_unknown=False)[1]
        sent = {name: list(values) for name, values in data.items()}
        headers = {"Accept": accept}
        if csrf == "field":
            sent["csrf_token"] = [token]
        elif csrf == "header":
            headers["X-CSRFToken"] = token
        elif csrf == "forged":
            sent["csrf_token"] = ["forged." + "x" * 40]
        if oversize:
            sent["padding"] = ["p" * (app.config["MAX_CONTENT_LENGTH"] + 1)]
        before = snapshot(app)  # after the log-in, which may write a login session of its own
        status = send(client, url, sent, headers)
        after = snapshot(app)
        shown = {name: [abbreviated(v) for v in values] for name, values in sent.items()}
        what = f"{role} POST {url} csrf={csrf} accept={accept} status={status} fields={shown!r:.2000}"
        assert status < 500, f"{status} for {what}"
        refused = [
            f"{reason}: {change}"
            for change in changes(before, after)
            if (reason := forbidden(change, role, actor.id if actor else None, rule.endpoint, before, after))
        ]
        assert not refused, f"{what}\n" + "\n".join(refused)
        if oversize:
            assert status == 413 and after == before, what
        elif csrf in ("missing", "forged"):
            assert status == 400 and after == before, what

    post()


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_every_post_endpoint_survives_any_fields_and_changes_only_what_the_role_may(
    app: Flask, cast: Cast, role: str
) -> None:
    link = issue_link(app, cast.other)
    give_other_rows(app, cast)
    actor = cast.of(role)
    if actor is not None:
        client = app.test_client()
        login_as(client, actor)
        assert client.get("/weeks/1").status_code == 200  # the actor's own variants exist, so answers are graded
    rules = post_rules(app)
    assert {"auth.login", "quiz.answer", "admin.import_students"} <= {r.endpoint for r in rules}
    for rule in rules:
        fuzz_endpoint(app, cast, role, rule, link)


@pytest.mark.parametrize("role", ROLES)
def test_a_body_over_the_limit_is_refused_by_every_post_endpoint(app: Flask, cast: Cast, role: str) -> None:
    client = app.test_client()
    token = login_as(client, cast.of(role))
    limit = app.config["MAX_CONTENT_LENGTH"]
    values = {"week": 1, "question_id": "scale", "user_id": cast.other.id, "token": "not-a-real-token",
              "platform_id": 1, "notice_id": 1, "item_id": 1}  # fmt: skip
    before = snapshot(app)
    for rule in post_rules(app):
        with app.test_request_context():
            url = rule.build({name: values.get(name, "x") for name in rule.arguments}, append_unknown=False)[1]
        for fields in (
            {"csrf_token": [token], "answer": ["a" * (limit + 1)]},
            {"csrf_token": [token], "roster": [(io.BytesIO(b"x" * (limit + 1)), "roster.csv")]},
        ):
            status = send(client, url, fields, {})
            assert status == 413, f"{role} POST {url}: {status}"
    assert snapshot(app) == before


@pytest.mark.parametrize("role", ROLES)
def test_a_form_part_without_a_name_is_refused_by_every_post_endpoint(app: Flask, cast: Cast, role: str) -> None:
    """Werkzeug reads such a part under the name None, and CSRFProtect looking for the token failed on it (a 500)."""
    client = app.test_client()
    token = login_as(client, cast.of(role))
    values = {"week": 1, "question_id": "scale", "user_id": cast.other.id, "token": "not-a-real-token",
              "platform_id": 1, "notice_id": 1, "item_id": 1}  # fmt: skip
    before = snapshot(app)
    for rule in post_rules(app):
        with app.test_request_context():
            url = rule.build({name: values.get(name, "x") for name in rule.arguments}, append_unknown=False)[1]
        with_token = f'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'.encode()
        for token_part in (b"", with_token):
            body = token_part + b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n"
            response = client.post(url, data=body, content_type="multipart/form-data; boundary=b")
            assert response.status_code == 400, f"{role} POST {url}: {response.status_code}"
    assert snapshot(app) == before
