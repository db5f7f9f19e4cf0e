"""Database models (SQLAlchemy 2 typed mappings)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

if TYPE_CHECKING:  # db.Model is made at run time from this declarative base, which mypy can read
    from .extensions import Base as Model
else:
    Model = db.Model


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role(StrEnum):
    STUDENT = "student"
    STAFF = "staff"
    INSTRUCTOR = "instructor"


class Account(UserMixin):
    """What the session and the pages need of a user: shared by the `User` row and `SignedInUser`.

    Both provide id, email, name, role, active and session_version, and `login_key`: the key of the
    browser's row in `login_sessions` (set at log-in by `accounts.start_login_session`).
    """

    login_key: str = ""

    def get_id(self) -> str:
        """What the session (and the remember-me) cookie carries; `security.load_user` checks each part."""
        return f"{self.id}:{self.session_version}:{self.login_key}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.STAFF, Role.INSTRUCTOR)

    @property
    def is_instructor(self) -> bool:
        return self.role == Role.INSTRUCTOR

    @property
    def display_name(self) -> str:
        return self.name or self.email


class User(Account, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.STUDENT.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped when the password changes: the session cookie carries it, so other sessions end.
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Interface language chosen on the Account page ("en", "de"); None follows the browser (quizserver/i18n.py).
    language: Mapped[str | None] = mapped_column(String(8))


@dataclass(frozen=True, eq=False)
class SignedInUser(Account):
    """The user a request runs as: a plain value read with one light query, never written through.

    Code that changes an account loads its `User` row by id.
    """

    id: int
    email: str
    name: str
    role: str
    active: bool
    session_version: int
    language: str | None = None
    login_key: str = ""


class LoginSession(Model):
    """One logged-in browser. Its key is in the cookie; log-out deletes the row, so a copied cookie stops working."""

    __tablename__ = "login_sessions"

    # sha256 of the key: the table alone does not give anyone a working session
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BankVersion(Model):
    """One synced version of a week's bank; exactly one per week is current."""

    __tablename__ = "bank_versions"
    __table_args__ = (UniqueConstraint("week", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[int] = mapped_column(Integer, index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    opens: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closes: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    question_count: Mapped[int] = mapped_column(Integer, default=0)
    total_points: Mapped[int] = mapped_column(Integer, default=0)
    is_current: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # the image files its text shows: address as written -> figures.ShownImage.as_stored() (FigureFile)
    images: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")


class BankFileStatus(Model):
    """The outcome of the last sync of one bank file, shown to instructors."""

    __tablename__ = "bank_file_status"

    path: Mapped[str] = mapped_column(String(500), primary_key=True)
    week: Mapped[int | None] = mapped_column(Integer)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # removed files (issue 19): when a sync last found the file gone while its week was still published
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PoolVariant(Model):
    """One verified variant of a question in a bank version's pool, computed at sync in the sandbox.

    A page view reads its pre-rendered HTML; no author code and no Markdown run in a request.
    """

    __tablename__ = "pool_variants"
    __table_args__ = (
        UniqueConstraint("bank_version_id", "question_id", "slot"),
        # the assignment's read: the least-used variants of one question of one version
        Index("ix_pool_variants_assign", "bank_version_id", "question_id", "uses"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_version_id: Mapped[int] = mapped_column(ForeignKey("bank_versions.id"))
    question_id: Mapped[str] = mapped_column(String(100))
    slot: Mapped[int] = mapped_column(Integer)  # 0..pool size - 1
    seed: Mapped[int] = mapped_column(BigInteger)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # only the names the text, explanation and choices show (size-capped at sync)
    names: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    answer: Mapped[Any] = mapped_column(JSON)
    choice_order: Mapped[list[str] | None] = mapped_column(JSON)
    text_html: Mapped[str] = mapped_column(Text, default="")
    explanation_html: Mapped[str] = mapped_column(Text, default="")
    # choice questions: the HTML of each choice, by the author's id
    choices_html: Mapped[dict[str, str] | None] = mapped_column(JSON)
    uses: Mapped[int] = mapped_column(Integer, default=0)  # students given this variant
    # render.RENDER_VERSION when the HTML was made: sync re-renders older rows from the stored names
    render_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class Variant(Model):
    """A student's randomized numbers for one question: a variant of the pool, assigned once.

    seed, answer and choice_order are copied from the pool so that an answer reads one row. Variants
    made before pools existed have no pool variant; their `names` hold what the page shows.
    """

    __tablename__ = "variants"
    __table_args__ = (Index("ix_variants_user_week", "user_id", "week", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    week: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[str] = mapped_column(String(100))
    seed: Mapped[int] = mapped_column(BigInteger)
    bank_version_id: Mapped[int] = mapped_column(ForeignKey("bank_versions.id"))
    pool_variant_id: Mapped[int | None] = mapped_column(ForeignKey("pool_variants.id"), index=True)
    # before pools: params, plus every name the solution defined; empty for pool variants
    names: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    answer: Mapped[Any] = mapped_column(JSON)
    # choice questions: the order the choices are shown in
    choice_order: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    bank_version: Mapped[BankVersion] = relationship()
    pool_variant: Mapped[PoolVariant | None] = relationship()


class QuestionState(Model):
    """Where one student stands on one question: the current variant and the credit earned."""

    __tablename__ = "question_states"
    __table_args__ = (
        UniqueConstraint("user_id", "week", "question_id"),
        Index("ix_question_states_week_question", "week", "question_id"),
        # covers the gradebook's group-by, so it never reads the table itself
        Index(
            "ix_question_states_gradebook",
            "user_id", "week", "question_id", "credit", "attempts", "solved_at", "last_attempt_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    week: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[str] = mapped_column(String(100))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    practice_round: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # graded attempts that counted
    wrong: Mapped[int] = mapped_column(Integer, default=0)  # counted attempts below full credit
    credit: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1, best credit so far
    first_score: Mapped[float | None] = mapped_column(Float)
    attempts_to_correct: Mapped[int | None] = mapped_column(Integer)
    solved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revealed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    variant: Mapped[Variant] = relationship()


class Attempt(Model):
    """Every submitted answer is a row, invalid ones included (they count as no attempt)."""

    __tablename__ = "attempts"
    __table_args__ = (
        Index("ix_attempts_week_question_user", "week", "question_id", "user_id", "id"),
        Index("ix_attempts_user_week", "user_id", "week"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    week: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[str] = mapped_column(String(100))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    bank_hash: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int] = mapped_column(BigInteger)
    raw_answer: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    score: Mapped[float] = mapped_column(Float, default=0.0)  # the grader's score, 0..1
    credit: Mapped[float] = mapped_column(Float, default=0.0)  # after the penalty; 0 when not counted
    counted: Mapped[bool] = mapped_column(Boolean, default=True)  # towards the week's score
    message: Mapped[str] = mapped_column(Text, default="")
    mistake: Mapped[str | None] = mapped_column(String(20))
    parsed: Mapped[Any] = mapped_column(JSON)
    # A per-form token: a double-submitted form records once.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # AttemptPurpose: a review answer is practice, left out of scores and item statistics
    purpose: Mapped[str] = mapped_column(String(10), default="quiz", server_default="quiz")


class PasswordToken(Model):
    """A one-time set-password link; only the sha256 of the token is stored, so a database leak opens nothing."""

    __tablename__ = "password_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


# ---------------------------------------------------------------- spaced review (issue 22)


class AttemptPurpose(StrEnum):
    QUIZ = "quiz"  # an answer on the week's page
    REVIEW = "review"  # an answer on the Review page: practice, never counted


class ReviewItem(Model):
    """One question of a closed week a student reviews on a Leitner schedule (quizserver/review.py).

    `variant_id` holds the numbers waiting for the next answer; it is cleared when they are answered,
    so the next due review draws new ones from the pool.
    """

    __tablename__ = "review_items"
    __table_args__ = (
        UniqueConstraint("user_id", "week", "question_id"),
        Index("ix_review_items_user_due", "user_id", "due_on"),
        Index("ix_review_items_week", "week"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    week: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(10))  # review.ReviewReason: why it came into review
    box: Mapped[int] = mapped_column(Integer, default=0)  # 0: new or answered wrong; the top box: mastered
    due_on: Mapped[date] = mapped_column(Date)  # a calendar day in the course time zone
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id", ondelete="SET NULL"))
    last_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id", ondelete="SET NULL"))
    reviews: Mapped[int] = mapped_column(Integer, default=0)  # graded review answers
    right: Mapped[int] = mapped_column(Integer, default=0)
    last_reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    variant: Mapped[Variant | None] = relationship()


# ---------------------------------------------------------------- LTI 1.3 (quizserver/lti)


class LtiToolKey(Model):
    """One of the tool's RSA key pairs: the newest signs, the published ones verify (`/lti/jwks`).

    Kept in the database so that every app server signs with the same key; `flask lti rotate-key`
    adds a new one and keeps the old one published until `--retire`.
    """

    __tablename__ = "lti_tool_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(100), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LtiPlatform(Model):
    """A registered LMS (one issuer and client id): where to send the browser, fetch keys and tokens."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    auth_token_url: Mapped[str] = mapped_column(String(1000), default="")
    auth_audience: Mapped[str | None] = mapped_column(String(1000))
    key_set_url: Mapped[str] = mapped_column(String(1000))
    # an existing account is matched by the launch's email only when the platform vouches for emails
    trust_emails: Mapped[bool] = mapped_column(Boolean, default=False)
    # scores are sent through AGS; off for platforms whose AGS is incomplete (ILIAS)
    send_grades: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    deployments: Mapped[list[LtiDeployment]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="LtiDeployment.id"
    )


class LtiDeployment(Model):
    __tablename__ = "lti_deployments"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))

    platform: Mapped[LtiPlatform] = relationship(back_populates="deployments")


class LtiRegistrationKey(Model):
    """A one-time link for a platform's dynamic registration (`/lti/register?key=...`), made by an instructor.

    Only the key's SHA-256 is kept. A registration claims it (`used_at`); a failed one gives it back.
    """

    __tablename__ = "lti_registration_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("lti_platforms.id", ondelete="SET NULL"))


class LtiIdentity(Model):
    """The account a platform's user (issuer + subject) launches as."""

    __tablename__ = "lti_identities"
    __table_args__ = (UniqueConstraint("platform_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_launch_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LtiContext(Model):
    """A course on a platform, with the service URLs its launches carry (AGS line items, NRPS roster)."""

    __tablename__ = "lti_contexts"
    __table_args__ = (UniqueConstraint("platform_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    deployment_id: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(String(255), default="")
    lineitems_url: Mapped[str | None] = mapped_column(String(1000))
    ags_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    memberships_url: Mapped[str | None] = mapped_column(String(1000))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    platform: Mapped[LtiPlatform] = relationship()


class LtiMembership(Model):
    """A user in a platform's course, with the role the platform gave at the last launch or roster sync."""

    __tablename__ = "lti_memberships"
    __table_args__ = (
        UniqueConstraint("context_id", "user_id"),
        # the answer's enqueue reads this: does the student have a course that takes scores?
        Index("ix_lti_memberships_user_role", "user_id", "lms_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_contexts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lms_role: Mapped[str] = mapped_column(String(20))  # student | staff | instructor
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    context: Mapped[LtiContext] = relationship()


class LtiLineItem(Model):
    """The platform's grade column for one week in one course, created (or found) when first needed."""

    __tablename__ = "lti_line_items"
    __table_args__ = (UniqueConstraint("context_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_contexts.id", ondelete="CASCADE"))
    week: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LtiCacheEntry(Model):
    """pylti1p3's launch data, nonces and OIDC states, shared by every worker; a nonce is deleted when used."""

    __tablename__ = "lti_cache"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class LtiGradeQueue(Model):
    """A student's week score waiting to be sent: one row per student and week, however many answers.

    A counted answer inserts it or moves `enqueued_at`; a send deletes it only if `enqueued_at` is still
    what it read, so a newer score is never lost. A failure keeps it with the error and a later `due_at`.
    """

    __tablename__ = "lti_grade_queue"
    __table_args__ = (UniqueConstraint("user_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    week: Mapped[int] = mapped_column(Integer)
    enqueued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_tried_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LtiGradeSent(Model):
    """The last score a course's gradebook accepted for a student and week."""

    __tablename__ = "lti_grades_sent"
    __table_args__ = (UniqueConstraint("user_id", "week", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    week: Mapped[int] = mapped_column(Integer)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_contexts.id", ondelete="CASCADE"))
    score_given: Mapped[float] = mapped_column(Float)
    score_maximum: Mapped[float] = mapped_column(Float)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LtiRoleNotice(Model):
    """A launch whose platform role differs from the account's: shown to instructors, never applied alone.

    Applying or dismissing it is logged here (who, when, what).
    """

    __tablename__ = "lti_role_notices"
    __table_args__ = (Index("ix_lti_role_notices_open", "resolved_at", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    lms_role: Mapped[str] = mapped_column(String(20))
    account_role: Mapped[str] = mapped_column(String(20))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(String(20))  # applied | dismissed
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    platform: Mapped[LtiPlatform] = relationship()
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])


# ---------------------------------------------------------------- figures in questions (issue 20)


class FigureFile(Model):
    """An image file a bank's text shows, stored at sync by its content hash and served at /figures/<name>.

    A file never changes under its name, so browsers may keep it for good; an edited image is a new name.
    SVG files are stored as figures.sanitize_svg made them."""

    __tablename__ = "figure_files"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)  # sha256 hex digest + .png/.jpg/.svg
    media_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
