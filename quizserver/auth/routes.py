from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from quizserver.accounts import (
    AccountError,
    WrongPassword,
    authenticate,
    change_password,
    create_user,
    normalize_email,
    use_password_token,
    valid_password_token,
)
from quizserver.extensions import db, limiter
from quizserver.models import User

from . import bp
from .forms import ChangePasswordForm, LoginForm, NewPasswordForm, SignupForm


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


def _login_failed(response: Response) -> bool:
    """Only failed attempts count: a lecture hall behind one address can still log in."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_login_failed)
@limiter.limit(_login_limit, methods=["POST"], key_func=_login_account_key, deduct_when=_login_failed)
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


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_login_failed)
def set_password_link(token: str) -> str | Response | tuple[str, int]:
    """A one-time link from the roster import or a reset: choose a password, then log in."""
    if valid_password_token(token) is None:
        return render_template("auth/link_invalid.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = use_password_token(token, form.password.data or "")
        except AccountError as exc:
            form.password.errors = [str(exc)]
        else:
            db.session.commit()
            logout_user()
            login_user(user)
            flash("Your password is set. Welcome!", "success")
            return redirect(url_for("quiz.weeks"))
    return render_template("auth/set_password.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_login_failed)
def account_password() -> str | Response:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = db.session.get_one(User, current_user.id)
            change_password(user, form.current.data or "", form.password.data or "")
        except WrongPassword as exc:
            form.current.errors = [str(exc)]
        except AccountError as exc:
            form.password.errors = [str(exc)]
        else:
            db.session.commit()
            login_user(user)  # this session carries the new version; every other one ends
            flash("Your password is changed. You are logged out everywhere else.", "success")
            return redirect(url_for("auth.account_password"))
    return render_template("auth/account.html", form=form)
