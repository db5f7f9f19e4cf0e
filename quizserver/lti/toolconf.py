"""pylti1p3's tool configuration read from the database (`lti_platforms`, `lti_deployments`, `lti_tool_keys`)."""
from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import select

from ..extensions import db
from ..models import LtiDeployment, LtiPlatform
from .keys import signing_key


class ToolRegistration(Registration):
    """A platform registration that signs with the tool's current database key and names it by its kid."""

    _kid: str | None = None
    platform_id: int = 0

    def set_kid(self, kid: str) -> ToolRegistration:
        self._kid = kid
        return self

    def get_kid(self) -> str | None:
        return self._kid


def registration_for(platform: LtiPlatform) -> ToolRegistration:
    key = signing_key()
    registration = ToolRegistration()
    registration.platform_id = platform.id
    registration.set_issuer(platform.issuer).set_client_id(platform.client_id)
    registration.set_auth_login_url(platform.auth_login_url).set_auth_token_url(platform.auth_token_url)
    registration.set_key_set_url(platform.key_set_url).set_tool_private_key(key.private_pem)
    if platform.auth_audience:
        registration.set_auth_audience(platform.auth_audience)
    registration.set_kid(key.kid)
    return registration


def find_platform(issuer: str, client_id: str | None) -> LtiPlatform | None:
    """The platform of an issuer and client id; without a client id (optional at login), the issuer's only one."""
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        return db.session.scalar(query.where(LtiPlatform.client_id == client_id))
    found = db.session.scalars(query.limit(2)).all()
    return found[0] if len(found) == 1 else None


class DatabaseToolConf(ToolConfAbstract[Any]):
    """Every issuer may have several client ids (one per Moodle tool registration)."""

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        platform = find_platform(iss, None)
        return registration_for(platform) if platform else None  # type: ignore[return-value]

    def find_registration_by_params(self, iss: str, client_id: str, *args: Any, **kwargs: Any) -> Registration:
        platform = find_platform(iss, client_id)
        return registration_for(platform) if platform else None  # type: ignore[return-value]

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, "")

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        platform = find_platform(iss, client_id or None)
        if platform is None:
            return None
        found = db.session.scalar(
            select(LtiDeployment.id).where(
                LtiDeployment.platform_id == platform.id, LtiDeployment.deployment_id == deployment_id
            )
        )
        return Deployment().set_deployment_id(deployment_id) if found is not None else None
