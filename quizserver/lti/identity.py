"""Which account a launch signs in as: linked by (issuer, subject), created on first launch, never re-roled.

Functions flush; the launch view commits.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..accounts import EMAIL_PATTERN, AccountError, create_user, find_user, normalize_email, set_role
from ..extensions import db
from ..grading.messages import N_
from ..models import Account, LtiContext, LtiIdentity, LtiMembership, LtiPlatform, LtiRoleNotice, Role, User, utcnow
from .launch import LaunchClaims, LaunchRefused

log = logging.getLogger(__name__)

_DEACTIVATED = LaunchRefused(403, N_("This account is deactivated"),
                             N_("Ask your instructor to reactivate it."))  # fmt: skip


@dataclass(frozen=True)
class LaunchAccount:
    user: User
    created: bool
    linked_by_email: bool
    notice: LtiRoleNotice | None


def placeholder_email(platform_id: int, subject: str) -> str:
    """An address for an account whose platform sent no usable email (or one that belongs to another account)."""
    digest = hashlib.sha256(subject.encode("utf-8")).hexdigest()[:24]
    return f"lti-{platform_id}-{digest}@lti.invalid"


def _usable_email(email: str) -> str | None:
    email = normalize_email(email)
    return email if EMAIL_PATTERN.match(email) and len(email) <= 254 else None


def account_for_launch(platform: LtiPlatform, claims: LaunchClaims, now: datetime | None = None) -> LaunchAccount:
    """The launching person's account: linked, matched by email (trusted platforms only), or new."""
    assert claims.role is not None, "a launch without a role is refused before this"
    now = now or utcnow()
    identity = find_identity(platform.issuer, claims.subject)
    created = by_email = False
    email = _usable_email(claims.email)
    if identity is not None:
        user = db.session.get_one(User, identity.user_id)
    else:
        matched = find_user(email) if email and platform.trust_emails else None
        if matched is not None and _linked_elsewhere(platform, matched):
            matched = None  # the address already launches as another of this platform's users: never merge the two
        by_email = matched is not None
        if matched is not None:
            user = matched
        else:
            address = email if email and find_user(email) is None else placeholder_email(platform.id, claims.subject)
            user = create_user(address, None, role=claims.role.value, name=claims.name)
            created = True
        identity = LtiIdentity(platform_id=platform.id, subject=claims.subject, user_id=user.id, created_at=now)
        db.session.add(identity)
        log.info("LTI %s: %s %s (platform %s, subject %s)", "link" if by_email else "new account",
                 user.email, user.role, platform.issuer, claims.subject)  # fmt: skip
    if not user.active:
        raise _DEACTIVATED
    identity.last_launch_at = now
    if created and not user.name and claims.name:
        user.name = claims.name
    notice = None if created else note_role_difference(user, platform, claims.role, now)
    db.session.flush()
    return LaunchAccount(user, created, by_email, notice)


def find_identity(issuer: str, subject: str) -> LtiIdentity | None:
    """The link of (issuer, subject): a subject is the issuer's, whichever of its registrations (client ids)
    the launch came through, so one Moodle with two tool registrations still gives each person one account."""
    return db.session.scalar(
        select(LtiIdentity)
        .join(LtiPlatform, LtiPlatform.id == LtiIdentity.platform_id)
        .where(LtiPlatform.issuer == issuer, LtiIdentity.subject == subject)
        .order_by(LtiIdentity.id)
        .limit(1)
    )


def _linked_elsewhere(platform: LtiPlatform, user: User) -> bool:
    """Whether the account already launches as some user of this issuer."""
    return (
        db.session.scalar(
            select(LtiIdentity.id)
            .join(LtiPlatform, LtiPlatform.id == LtiIdentity.platform_id)
            .where(LtiPlatform.issuer == platform.issuer, LtiIdentity.user_id == user.id)
            .limit(1)
        )
        is not None
    )


def note_role_difference(user: User, platform: LtiPlatform, lms_role: Role, now: datetime) -> LtiRoleNotice | None:
    """A platform role other than the account's is recorded for instructors to apply; the account keeps its role."""
    if user.role == lms_role.value:
        return None
    notice = db.session.scalar(
        select(LtiRoleNotice).where(
            LtiRoleNotice.user_id == user.id,
            LtiRoleNotice.platform_id == platform.id,
            LtiRoleNotice.lms_role == lms_role.value,
            LtiRoleNotice.resolved_at.is_(None),
        )
    )
    if notice is None:
        notice = LtiRoleNotice(
            user_id=user.id, platform_id=platform.id, lms_role=lms_role.value, account_role=user.role,
            first_seen_at=now, last_seen_at=now,
        )  # fmt: skip
        db.session.add(notice)
        log.warning("LTI role differs: %s is %s here, %s on %s (not changed)", user.email, user.role,
                    lms_role.value, platform.issuer)  # fmt: skip
    else:
        notice.last_seen_at, notice.account_role = now, user.role
    return notice


def open_role_notices() -> list[LtiRoleNotice]:
    return list(
        db.session.scalars(
            select(LtiRoleNotice).where(LtiRoleNotice.resolved_at.is_(None)).order_by(LtiRoleNotice.last_seen_at.desc())
        )
    )


def recent_role_decisions(limit: int = 20) -> list[LtiRoleNotice]:
    return list(
        db.session.scalars(
            select(LtiRoleNotice)
            .where(LtiRoleNotice.resolved_at.is_not(None))
            .order_by(LtiRoleNotice.resolved_at.desc())
            .limit(limit)
        )
    )


def resolve_role_notice(notice: LtiRoleNotice, *, apply: bool, by: Account, now: datetime | None = None) -> None:
    """An instructor applies the platform's role to the account (logged) or dismisses the notice."""
    if notice.resolved_at is not None:
        raise AccountError("This role change was already decided.")
    if apply:
        user = db.session.get_one(User, notice.user_id)
        set_role(user, notice.lms_role, by=by)
        log.warning("role of %s changed from %s to %s by %s (LMS role)", user.email, notice.account_role,
                    notice.lms_role, by.email)  # fmt: skip
    notice.resolved_at = now or utcnow()
    notice.resolution = "applied" if apply else "dismissed"
    notice.resolved_by_id = by.id
    db.session.flush()


# ---------------------------------------------------------------- courses and memberships


def record_context(platform: LtiPlatform, claims: LaunchClaims, user: User, now: datetime | None = None) -> LtiContext:
    """The launch's course and its service URLs (kept current: a platform may move them), and the membership."""
    now = now or utcnow()
    context_id = claims.context_id or f"deployment:{claims.deployment_id}"
    context = db.session.scalar(  # a course is the issuer's: one row whichever registration launched it
        select(LtiContext)
        .join(LtiPlatform, LtiPlatform.id == LtiContext.platform_id)
        .where(LtiPlatform.issuer == platform.issuer, LtiContext.context_id == context_id)
        .limit(1)
    )
    if context is None:
        context = LtiContext(platform_id=platform.id, context_id=context_id)
        db.session.add(context)
    context.platform_id = platform.id  # services are called through the registration that launched last
    context.deployment_id = claims.deployment_id
    context.title = claims.context_title or context.title or ""
    if claims.lineitems_url:
        context.lineitems_url, context.ags_scopes = claims.lineitems_url, list(claims.ags_scopes)
    if claims.memberships_url:
        context.memberships_url = claims.memberships_url
    context.updated_at = now
    db.session.flush()
    assert claims.role is not None
    set_membership(context, user.id, claims.role, now)
    return context


def set_membership(context: LtiContext, user_id: int, role: Role, now: datetime) -> None:
    membership = db.session.scalar(
        select(LtiMembership).where(LtiMembership.context_id == context.id, LtiMembership.user_id == user_id)
    )
    if membership is None:
        db.session.add(LtiMembership(context_id=context.id, user_id=user_id, lms_role=role.value, updated_at=now))
    else:
        membership.lms_role, membership.updated_at = role.value, now
    db.session.flush()
