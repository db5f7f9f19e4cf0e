"""Accounts: creation, passwords, authentication. Functions flush; the caller commits."""
from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import ColumnElement, CursorResult, delete, func, or_, select, true, update
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db
from .localtime import as_utc
from .models import Account, LoginSession, PasswordToken, Role, User, utcnow

MIN_PASSWORD_LENGTH = 10
PASSWORD_LINK_LIFETIME = timedelta(days=14)
# As long as a remember-me cookie lasts (create_app sets it); an older login session no longer counts.
LOGIN_SESSION_LIFETIME = timedelta(days=365)
MAX_ROSTER_ROWS = 5000
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Compared against when the email is unknown, so a failed log-in takes as long either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


class AccountError(ValueError):
    pass


class WrongPassword(AccountError):
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


def sign_up(email: str, password: str, *, name: str = "") -> User | None:
    """A new student account, or None when the email has one already, after the same work either way.

    The caller answers both alike, so sign-up does not tell who has an account; the password is
    checked and hashed in both cases, so the time it takes does not tell either."""
    email = normalize_email(email)
    if not EMAIL_PATTERN.match(email):
        raise AccountError(f"'{email}' is not an email address")
    problem = password_problem(password, email)
    if problem:
        raise AccountError(problem)
    password_hash = generate_password_hash(password, method="scrypt")
    if find_user(email) is not None:
        return None
    user = User(email=email, name=name.strip(), role=Role.STUDENT.value, active=True, session_version=1)
    user.password_hash = password_hash
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user(email)
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def change_password(user: User, current: str, new: str) -> None:
    """A student's own change: the current password proves it is them; their other sessions end."""
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise WrongPassword("Your current password is not right.")
    set_password(user, new)
    end_login_sessions(user.id)


# ---------------------------------------------------------------- login sessions (one per browser)


def login_key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def start_login_session(user: User, *, now: datetime | None = None) -> str:
    """A new login session for one browser; its key goes into the cookie (`User.login_key`, `get_id`)."""
    now = now or utcnow()
    db.session.execute(
        delete(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.created_at < now - LOGIN_SESSION_LIFETIME)
        .execution_options(synchronize_session=False)
    )
    key = secrets.token_urlsafe(32)
    db.session.add(LoginSession(key_hash=login_key_digest(key), user_id=user.id, created_at=now))
    db.session.flush()
    user.login_key = key
    return key


def end_login_session(key: str) -> None:
    """Log-out: this browser's session ends on the server, whoever else holds a copy of its cookie."""
    db.session.execute(
        delete(LoginSession)
        .where(LoginSession.key_hash == login_key_digest(key))
        .execution_options(synchronize_session=False)
    )


def end_login_sessions(user_id: int) -> None:
    """Log-out everywhere: every browser of the account."""
    db.session.execute(
        delete(LoginSession).where(LoginSession.user_id == user_id).execution_options(synchronize_session=False)
    )


# ---------------------------------------------------------------- one-time set-password links


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_password_token(user: User, *, now: datetime | None = None) -> str:
    """A new one-time link token for the user; any older unused link stops working."""
    now = now or utcnow()
    db.session.execute(
        update(PasswordToken)
        .where(PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    token = _new_token(user, now)
    db.session.flush()
    return token


def _new_token(user: User, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordToken(
            user_id=user.id, token_hash=token_digest(token), created_at=now, expires_at=now + PASSWORD_LINK_LIFETIME
        )
    )
    return token




def valid_password_token(token: str, *, now: datetime | None = None) -> PasswordToken | None:
    """The unused, unexpired link of an active account, or None."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(select(PasswordToken).where(PasswordToken.token_hash == token_digest(token)))
    if row is None or row.used_at is not None or as_utc(row.expires_at) <= (now or utcnow()) or not row.user.active:
        return None
    return row


def use_password_token(token: str, password: str, *, now: datetime | None = None) -> User:
    now = now or utcnow()
    row = valid_password_token(token, now=now)
    if row is None:
        raise AccountError("This link has expired or was already used. Ask your instructor for a new one.")
    problem = password_problem(password, row.user.email)
    if problem:
        raise AccountError(problem)
    # Claimed atomically: the same link submitted twice at once sets the password once.
    # an UPDATE's result is a CursorResult, which alone has rowcount; Session.execute is typed as plain Result
    claimed = cast(
        CursorResult[Any],
        db.session.execute(
            update(PasswordToken)
            .where(PasswordToken.id == row.id, PasswordToken.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if claimed != 1:
        raise AccountError("This link was already used. Ask your instructor for a new one.")
    set_password(row.user, password)
    end_login_sessions(row.user.id)
    return row.user


# ---------------------------------------------------------------- roles and deactivation


def set_role(user: User, role: str, *, by: Account) -> None:
    if role not in {r.value for r in Role}:
        raise AccountError(f"unknown role '{role}'")
    if user.id == by.id and role != Role.INSTRUCTOR:
        raise AccountError("You cannot demote yourself; ask another instructor.")
    user.role = role


def set_active(user: User, active: bool, *, by: Account) -> None:
    """Deactivation keeps every attempt and score; the account cannot log in and its sessions end."""
    if user.id == by.id and not active:
        raise AccountError("You cannot deactivate your own account.")
    if user.active and not active:
        user.session_version = (user.session_version or 0) + 1
        end_login_sessions(user.id)
    user.active = active


def search_users(query: str = "", *, limit: int = 100, offset: int = 0) -> tuple[list[User], int]:
    """Users whose email or name contains the query, by email; and how many match in all."""
    condition: ColumnElement[bool] = true()
    text = query.strip().lower()
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        condition = or_(
            func.lower(User.email).like(pattern, escape="\\"), func.lower(User.name).like(pattern, escape="\\")
        )
    total = db.session.scalar(select(func.count(User.id)).where(condition)) or 0
    users = db.session.scalars(
        select(User).where(condition).order_by(func.lower(User.email)).limit(limit).offset(offset)
    ).all()
    return list(users), total


# ---------------------------------------------------------------- roster import


@dataclass(frozen=True)
class RosterRow:
    line: int
    email: str
    name: str


@dataclass(frozen=True)
class RosterProblem:
    """A refused line: its number, the value at fault as written, and why; line None: the whole file."""

    line: int | None
    value: str
    reason: str

    def __str__(self) -> str:
        return self.reason if self.line is None else f"line {self.line}: {self.reason}"


@dataclass
class RosterImport:
    created: list[tuple[User, str]] = field(default_factory=list)  # (user, one-time token)
    existing: list[str] = field(default_factory=list)


def email_problem(email: str) -> str | None:
    """Why sign-up would refuse this address (the same email-validator check, no DNS look-up), or None."""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    if not EMAIL_PATTERN.match(normalize_email(email)):
        return "This is not an email address."
    return None


def _shown(value: str, limit: int = 100) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


def _file_problem(reason: str) -> tuple[list[RosterRow], list[RosterProblem]]:
    return [], [RosterProblem(None, "", reason)]


def parse_roster(data: bytes) -> tuple[list[RosterRow], list[RosterProblem]]:
    """The valid rows of a roster CSV (email, name; a header row is optional) and every refused line.

    A problem with the whole file (line None) comes with no rows; refused lines do not stop the valid ones.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _file_problem("The file is not UTF-8 text. Save it from your spreadsheet as 'CSV UTF-8'.")
    if "\x00" in text:
        return _file_problem("The file is not a CSV text file.")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    try:
        records = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        return _file_problem(f"The file is not valid CSV (line {reader.line_num}: {exc}). Check its quotes.")
    records = [(n, [cell.strip() for cell in row]) for n, row in records if any(cell.strip() for cell in row)]
    if not records:
        return _file_problem("The file has no rows. Each line should be: email,name")
    email_col, name_col = 0, 1
    header = [cell.lower() for cell in records[0][1]]
    if email_problem(records[0][1][0]) and any("mail" in cell for cell in header):
        email_col = next(i for i, cell in enumerate(header) if "mail" in cell)
        name_col = next((i for i, cell in enumerate(header) if "name" in cell), -1)
        records = records[1:]
    if not records:
        return _file_problem("The file has only a header row. Each line after it should be: email,name")
    if len(records) > MAX_ROSTER_ROWS:
        return _file_problem(f"The file has {len(records)} rows; import at most {MAX_ROSTER_ROWS} at a time.")
    rows: list[RosterRow] = []
    problems: list[RosterProblem] = []
    seen: dict[str, int] = {}
    for line, cells in records:
        written = cells[email_col] if email_col < len(cells) else ""
        email = normalize_email(written)
        name = cells[name_col] if 0 <= name_col < len(cells) else ""
        refusal = email_problem(written) if written else "The email address is missing."
        if refusal:
            problems.append(RosterProblem(line, _shown(written), refusal))
        elif email in seen:
            problems.append(RosterProblem(line, _shown(written), f"The same address is already on line {seen[email]}."))
        elif len(name) > 200:
            problems.append(RosterProblem(line, _shown(name), "The name is longer than 200 characters."))
        else:
            seen[email] = line
            rows.append(RosterRow(line, email, name))
    return rows, problems


def import_roster(rows: list[RosterRow], *, now: datetime | None = None) -> RosterImport:
    """Create a student account without a password for each new email; existing accounts are left alone."""
    now = now or utcnow()
    result = RosterImport()
    emails = [row.email for row in rows]
    known = set()
    for start in range(0, len(emails), 500):  # keeps each IN list well under database limits
        known |= set(
            db.session.scalars(
                select(func.lower(User.email)).where(func.lower(User.email).in_(emails[start : start + 500]))
            )
        )
    fresh = []
    for row in rows:
        if row.email in known:
            result.existing.append(row.email)
            continue
        user = User(
            email=row.email, name=row.name, role=Role.STUDENT.value, active=True, session_version=0, created_at=now
        )
        db.session.add(user)
        fresh.append(user)
    db.session.flush()
    result.created = [(user, _new_token(user, now)) for user in fresh]
    db.session.flush()
    return result
