"""Roster sync through NRPS: every member of a course gets an account and a membership before their first launch,
so their scores can be sent (and the staff pages list them) from the start."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import LtiContext, utcnow
from .identity import account_for_launch, set_membership
from .launch import LaunchClaims, LaunchRefused, role_from_claims
from .services import nrps_for


@dataclass
class RosterReport:
    created: int = 0
    updated: int = 0
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.created} accounts created, {self.updated} updated, {len(self.skipped)} skipped"


def member_claims(context: LtiContext, member: dict[str, Any]) -> LaunchClaims:
    roles = member.get("roles")
    name = str(member.get("name") or " ".join(str(member.get(k) or "") for k in ("given_name", "family_name")))
    return LaunchClaims(
        issuer=context.platform.issuer, subject=str(member.get("user_id") or "")[:255],
        deployment_id=context.deployment_id, role=role_from_claims(roles) if isinstance(roles, list) else None,
        email=str(member.get("email") or "")[:254], name=name.strip()[:200], message_type="roster",
        context_id=context.context_id, context_title=context.title, lineitems_url=None, ags_scopes=(),
        memberships_url=None, week=None,
    )  # fmt: skip


def sync_roster(context: LtiContext) -> RosterReport:
    """Create or update an account and membership for every active member of the course."""
    report = RosterReport()
    now = utcnow()
    for member in nrps_for(context).get_members():
        claims = member_claims(context, dict(member))
        if member.get("status", "Active") != "Active" or not claims.subject or claims.role is None:
            report.skipped.append(claims.subject or "?")
            continue
        try:
            account = account_for_launch(context.platform, claims, now)
        except LaunchRefused:  # a deactivated account stays so
            report.skipped.append(claims.subject)
            continue
        set_membership(context, account.user.id, claims.role, now)
        report.created += account.created
        report.updated += not account.created
    db.session.flush()
    return report


def roster_contexts(context_id: str | None = None) -> list[LtiContext]:
    query = select(LtiContext).where(LtiContext.memberships_url.is_not(None))
    if context_id:
        query = query.where(LtiContext.context_id == context_id)
    return list(db.session.scalars(query.order_by(LtiContext.id)))
