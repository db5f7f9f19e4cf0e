from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from quizserver.accounts import AccountError, authenticate, create_user, normalize_email
from quizserver.extensions import db, limiter

from . import bp
from .forms import LoginForm, SignupForm


def _safe_next(target: str | None) -> str:
    """Only a local path: never an open redirect to another site."""
    if not target:
        return url_for("quiz.weeks")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("quiz.weeks")
    return target


def _login_limit() -> str:
    return current_app.config["QUIZ"]["LOGIN_LIMIT"]


def _login_account_key() -> str:
    return "login-account:" + normalize_email(request.form.get("email", ""))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_login_account_key)
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("quiz.weeks"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            flash("Wrong email or password.", "error")
        else:
            login_user(user, remember=bool(form.remember.data))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def signup() -> str | Response:
    settings = current_app.config["QUIZ"]
    if not settings["SIGNUP_OPEN"]:
        abort(404, "Sign-up is closed for this course. Ask your instructor for an account.")
    if current_user.is_authenticated:
        return redirect(url_for("quiz.weeks"))
    form = SignupForm()
    needs_key = bool(settings["ENROLLMENT_KEY"])
    if form.validate_on_submit():
        given = (form.enrollment_key.data or "").strip()
        if needs_key and not hmac.compare_digest(given.encode(), settings["ENROLLMENT_KEY"].encode()):
            form.enrollment_key.errors = ["This is not the course's enrollment key."]
        else:
            try:
                user = create_user(form.email.data or "", form.password.data or "", name=form.name.data or "")
            except AccountError as exc:
                flash(str(exc), "error")
            else:
                db.session.commit()
                login_user(user)
                flash("Welcome! Your account is ready.", "success")
                return redirect(url_for("quiz.weeks"))
    return render_template("auth/signup.html", form=form, needs_key=needs_key)


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
