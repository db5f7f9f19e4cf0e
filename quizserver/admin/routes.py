"""Account management for instructors: users, roster import, one-time links, roles, deactivation."""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from quizserver.accounts import (
    AccountError,
    RosterProblem,
    import_roster,
    issue_password_token,
    parse_roster,
    search_users,
    set_active,
    set_role,
)
from quizserver.extensions import db
from quizserver.i18n import account_message, role_name
from quizserver.models import Attempt, User
from quizserver.security import instructor_required
from quizserver.staff.exports import safe_cell

from . import bp
from .forms import ActiveForm, ImportForm, LinksForm, ResetForm, RoleForm

PAGE_SIZE = 100
MAX_ROSTER_BYTES = 1024 * 1024


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return max(1, min(int(raw), 10_000)) if raw.isdigit() else 1


@bp.get("/users")
@instructor_required
def users() -> str:
    query = request.args.get("q", "")[:200]
    page = _page_number()
    found, total = search_users(query, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template("admin/users.html", users=found, total=total, query=query, page=page, pages=pages)


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404, gettext("There is no such user."))
    return user


@bp.get("/users/<int:user_id>")
@instructor_required
def user(user_id: int) -> str:
    shown = _user_or_404(user_id)
    attempts = db.session.scalar(select(func.count(Attempt.id)).where(Attempt.user_id == shown.id)) or 0
    return render_template(
        "admin/user.html",
        user=shown,
        attempts=attempts,
        role_form=RoleForm(role=shown.role),
        active_form=ActiveForm(active="0" if shown.active else "1"),
    )


@bp.post("/users/<int:user_id>/role")
@instructor_required
def change_role(user_id: int) -> Response:
    shown = _user_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(gettext("Choose one of the roles."), "error")
    else:
        try:
            set_role(shown, form.role.data or "", by=current_user)
        except AccountError as exc:
            flash(account_message(exc), "error")
        else:
            db.session.commit()
            flash(gettext("%(email)s is now %(role)s.", email=shown.email, role=role_name(shown.role)), "success")
    return redirect(url_for("admin.user", user_id=shown.id))


@bp.post("/users/<int:user_id>/active")
@instructor_required
def change_active(user_id: int) -> Response:
    shown = _user_or_404(user_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        flash(gettext("That did not work; please try again."), "error")
    else:
        try:
            set_active(shown, form.active.data == "1", by=current_user)
        except AccountError as exc:
            flash(account_message(exc), "error")
        else:
            db.session.commit()
            if shown.active:
                flash(gettext("The account %(email)s is active again.", email=shown.email), "success")
            else:
                flash(gettext("The account %(email)s is deactivated: it cannot log in; its data is kept.",
                              email=shown.email), "success")
    return redirect(url_for("admin.user", user_id=shown.id))


def _link(token: str) -> str:
    return url_for("auth.set_password_link", token=token, _external=True)


def _links_page(
    rows: list[tuple[str, str, str]],
    existing: list[str] | None = None,
    title: str = "",
    refused: list[RosterProblem] | None = None,
) -> str:
    return render_template(
        "admin/links.html",
        rows=rows,
        existing=existing or [],
        refused=refused or [],
        title=title or gettext("One-time set-password links"),
        links_form=LinksForm(rows=json.dumps(rows)),
    )


@bp.post("/users/<int:user_id>/reset")
@instructor_required
def reset_password(user_id: int) -> str | Response:
    shown = _user_or_404(user_id)
    if not ResetForm().validate_on_submit():
        abort(400, gettext("The form expired. Please reload the page."))
    if not shown.active:
        flash(gettext("Reactivate the account first."), "error")
        return redirect(url_for("admin.user", user_id=shown.id))
    token = issue_password_token(shown)
    db.session.commit()
    return _links_page(
        [(shown.email, shown.name, _link(token))], title=gettext("New link for %(email)s", email=shown.email)
    )


@bp.route("/import", methods=["GET", "POST"])
@instructor_required
def import_students() -> str:
    form = ImportForm()
    problems: list[RosterProblem] = []
    if form.validate_on_submit():
        data = form.roster.data.read(MAX_ROSTER_BYTES + 1)
        if len(data) > MAX_ROSTER_BYTES:
            problems = [RosterProblem(None, "", gettext("The file is larger than 1 MB; split it into smaller files."))]
        else:
            rows, problems = parse_roster(data)
            if rows:
                result = import_roster(rows)
                db.session.commit()
                links = [(user.email, user.name, _link(token)) for user, token in result.created]
                title = ngettext("Imported %(num)d new student", "Imported %(num)d new students", len(links))
                return _links_page(links, result.existing, title=title, refused=problems)
    return render_template(
        "admin/import.html",
        form=form,
        problems=[p for p in problems if p.line is None],
        refused=[p for p in problems if p.line is not None],
    )


def _posted_rows(raw: str) -> list[list[str]]:
    try:
        rows: Any = json.loads(raw)
    except ValueError:
        abort(400, gettext("The list of links could not be read."))
    if not isinstance(rows, list) or not all(
        isinstance(row, list) and len(row) == 3 and all(isinstance(cell, str) for cell in row) for row in rows
    ):
        abort(400, gettext("The list of links could not be read."))
    return rows


@bp.post("/links.csv")
@instructor_required
def links_csv() -> Response:
    """The links just shown, as a CSV file; they are sent back by the page since only their hashes are stored."""
    form = LinksForm()
    if not form.validate_on_submit():
        abort(400, gettext("The list of links could not be read."))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "name", "link"])
    for row in _posted_rows(form.rows.data or ""):
        writer.writerow([safe_cell(cell) for cell in row])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=set-password-links.csv"},
    )
