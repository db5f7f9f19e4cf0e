"""Registering platforms: the same checks for `flask lti add-platform` and the instructor page."""
from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from flask import url_for
from sqlalchemy import select

from ..extensions import db
from ..models import LtiDeployment, LtiPlatform
from .keys import ensure_key


class PlatformError(ValueError):
    pass


@dataclass(frozen=True)
class PlatformSpec:
    issuer: str
    client_id: str
    deployment_ids: tuple[str, ...]
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    name: str = ""
    auth_audience: str | None = None
    trust_emails: bool = False
    send_grades: bool = True


def moodle_urls(spec: PlatformSpec) -> PlatformSpec:
    """Moodle's endpoints follow from its address (the "Platform ID"): fill in the ones left empty."""
    base = spec.issuer.rstrip("/")
    return replace(
        spec,
        auth_login_url=spec.auth_login_url or f"{base}/mod/lti/auth.php",
        auth_token_url=spec.auth_token_url or f"{base}/mod/lti/token.php",
        key_set_url=spec.key_set_url or f"{base}/mod/lti/certs.php",
    )


def _is_web_address(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


def split_ids(text: str) -> tuple[str, ...]:
    """Deployment ids typed one per line or separated by commas."""
    return tuple(dict.fromkeys(part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()))


def spec_problems(spec: PlatformSpec) -> list[str]:
    """Every problem with a registration, each a sentence for the form or the command line."""
    problems = []
    if not spec.issuer.strip():
        problems.append("The issuer (platform ID) is required.")
    if not spec.client_id.strip():
        problems.append("The client ID is required.")
    if not spec.deployment_ids:
        problems.append("At least one deployment ID is required.")
    for label, value in (
        ("authentication request URL", spec.auth_login_url),
        ("public keyset URL", spec.key_set_url),
        ("access token URL", spec.auth_token_url),
    ):
        if not _is_web_address(value):
            problems.append(f"The {label} must be an http(s) address, not '{value[:80]}'.")
    too_long = [v for v in (spec.issuer, spec.client_id, *spec.deployment_ids) if len(v) > 255]
    if too_long:
        problems.append("The issuer, client ID and deployment IDs have at most 255 characters.")
    return problems


def add_platform(spec: PlatformSpec) -> tuple[LtiPlatform, list[str]]:
    """Register a platform, or add deployments to the registered one with the same issuer and client id.

    Returns the platform and the deployment ids that were new. The tool's key pair is made if none exists.
    """
    problems = spec_problems(spec)
    if problems:
        raise PlatformError(" ".join(problems))
    ensure_key()
    platform = db.session.scalar(
        select(LtiPlatform).where(LtiPlatform.issuer == spec.issuer.strip(), LtiPlatform.client_id == spec.client_id)
    )
    if platform is None:
        platform = LtiPlatform(issuer=spec.issuer.strip(), client_id=spec.client_id.strip())
        db.session.add(platform)
    platform.name = spec.name.strip()[:200] or platform.name or urlsplit(spec.issuer).netloc or spec.issuer[:200]
    platform.auth_login_url, platform.auth_token_url = spec.auth_login_url, spec.auth_token_url
    platform.key_set_url, platform.auth_audience = spec.key_set_url, spec.auth_audience or None
    platform.trust_emails, platform.send_grades = spec.trust_emails, spec.send_grades
    db.session.flush()
    known = {d.deployment_id for d in platform.deployments}
    new = [d for d in spec.deployment_ids if d not in known]
    for deployment_id in new:
        platform.deployments.append(LtiDeployment(deployment_id=deployment_id))
    db.session.flush()
    return platform, new


def remove_platform(platform_id: int) -> bool:
    platform = db.session.get(LtiPlatform, platform_id)
    if platform is None:
        return False
    db.session.delete(platform)
    db.session.flush()
    return True


def platforms() -> list[LtiPlatform]:
    return list(db.session.scalars(select(LtiPlatform).order_by(LtiPlatform.name, LtiPlatform.id)))


@dataclass(frozen=True)
class ToolUrls:
    """What the platform's administrator copies into its tool registration."""

    tool_url: str
    login_url: str
    redirect_url: str
    jwks_url: str
    deep_link_url: str


def tool_urls() -> ToolUrls:
    launch = url_for("lti.launch", _external=True)
    return ToolUrls(
        tool_url=launch,
        login_url=url_for("lti.login", _external=True),
        redirect_url=launch,
        jwks_url=url_for("lti.jwks", _external=True),
        deep_link_url=launch,
    )
