"""Accounts: creation, passwords, authentication. Functions flush; the caller commits."""
from __future__ import annotations

import re

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db
from .models import Role, User

MIN_PASSWORD_LENGTH = 10
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Compared against when the email is unknown, so a failed log-in takes as long either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


class AccountError(ValueError):
    pass


def normalize_email(email: str) -> str:
    return email.strip().lower()


def password_problem(password: str, email: str = "") -> str | None:
    """Why a password is refused, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    local = normalize_email(email).split("@")[0]
    lowered = password.lower()
    if email and (lowered == normalize_email(email) or (len(local) >= 4 and local in lowered)):
        return "The password must not contain your email address."
    if len(set(password)) < 4:
        return "Use more varied characters."
    return None


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def create_user(email: str, password: str | None, *, role: str = Role.STUDENT, name: str = "") -> User:
    email = normalize_email(email)
    if not EMAIL_PATTERN.match(email):
        raise AccountError(f"'{email}' is not an email address")
    if role not in {r.value for r in Role}:
        raise AccountError(f"unknown role '{role}'")
    if find_user(email) is not None:
        raise AccountError(f"an account for {email} already exists")
    user = User(email=email, name=name.strip(), role=str(role), active=True, session_version=0)
    if password is not None:
        set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    problem = password_problem(password, user.email)
    if problem:
        raise AccountError(problem)
    user.password_hash = generate_password_hash(password, method="scrypt")
    user.session_version = (user.session_version or 0) + 1


def authenticate(email: str, password: str) -> User | None:
    user = find_user(email)
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user
