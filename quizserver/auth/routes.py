from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from quizserver import throttle
from quizserver.accounts import (
    AccountError,
    WrongPassword,
    authenticate,
    change_password,
    end_login_session,
    end_login_sessions,
    normalize_email,
    sign_up,
    start_login_session,
    use_password_token,
    valid_password_token,
)
from quizserver.admin.landing import landing_url
from quizserver.extensions import db, limiter
from quizserver.i18n import account_message
from quizserver.models import User

from . import bp
from .forms import ChangePasswordForm, LoginForm, NewPasswordForm, SignupForm


def _safe_next(target: str | None) -> str:
    """Only a local path: never an open redirect to another site."""
    if not target:
        return landing_url(current_user)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return landing_url(current_user)
    return target


def _login_limit() -> str:
    return current_app.config["QUIZ"]["LOGIN_LIMIT"]


def _login_failed(response: Response) -> bool:
    """Only failed posts count: a class setting passwords behind one address is not held up."""
    return response.status_code != 302


def _start_session(user: User, *, remember: bool = False) -> None:
    """Log this browser in with a login session of its own, which log-out ends on the server."""
    start_login_session(user)
    db.session.commit()
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(landing_url(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        wait = throttle.current_wait(email)
        if wait is not None:
            raise TooManyRequests(
                gettext("Too many failed log-ins for this email from your network. If you forgot your password, ask "
                        "your instructor for a set-password link.")
                if wait.for_account
                else gettext("Too many failed log-ins from your network. If you forgot your password, ask your "
                             "instructor for a set-password link."),
                retry_after=wait.seconds,
            )
        user = authenticate(email, form.password.data or "")
        if user is None:
            throttle.record_failure(email)
            form.form_errors.append(gettext("Wrong email or password."))  # shown in the form's error summary
        else:
            throttle.record_success(email)
            _start_session(user, remember=bool(form.remember.data))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


def _signed_up(email: str) -> Response:
    """The same answer, and no log-in, whether or not the email had an account: it tells nobody which."""
    flash(
        gettext("Thank you. If %(email)s is new here, its account is ready: log in with the password you chose. If it "
                "already had an account, log in with that account's password, or ask your instructor for a "
                "set-password link.", email=normalize_email(email)),
        "success",
    )
    return redirect(url_for("auth.login"))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def signup() -> str | Response:
    settings = current_app.config["QUIZ"]
    if not settings["SIGNUP_OPEN"]:
        abort(404, gettext("Sign-up is closed for this course. Ask your instructor for an account."))
    if current_user.is_authenticated:
        return redirect(landing_url(current_user))
    form = SignupForm()
    needs_key = bool(settings["ENROLLMENT_KEY"])
    if form.validate_on_submit():
        given = (form.enrollment_key.data or "").strip()
        if needs_key and not hmac.compare_digest(given.encode(), settings["ENROLLMENT_KEY"].encode()):
            form.enrollment_key.errors = [gettext("This is not the course's enrollment key.")]
        else:
            email = form.email.data or ""
            try:
                sign_up(email, form.password.data or "", name=form.name.data or "")
                db.session.commit()
            except AccountError as exc:
                form.form_errors.append(account_message(exc))
            except IntegrityError:  # the same new email signed up twice at once: the other one has it
                db.session.rollback()
                return _signed_up(email)
            else:
                return _signed_up(email)
    return render_template("auth/signup.html", form=form, needs_key=needs_key)


@bp.post("/logout")
@login_required
def logout() -> Response:
    end_login_session(current_user.login_key)
    db.session.commit()
    logout_user()
    flash(gettext("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere() -> Response:
    end_login_sessions(current_user.id)
    db.session.commit()
    logout_user()
    flash(gettext("You are logged out on every device, this one included."), "info")
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
            form.password.errors = [account_message(exc)]
        else:
            logout_user()
            _start_session(user)
            flash(gettext("Your password is set. Welcome!"), "success")
            return redirect(landing_url(user))
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
            form.current.errors = [account_message(exc)]
        except AccountError as exc:
            form.password.errors = [account_message(exc)]
        else:
            _start_session(user)  # a new session with the new version; every other one has ended
            flash(gettext("Your password is changed. You are logged out everywhere else."), "success")
            return redirect(url_for("auth.account_password"))
    return render_template("auth/account.html", form=form)
