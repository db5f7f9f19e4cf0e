"""Calls to a platform's services (AGS, NRPS) through pylti1p3, with tokens cached in the database."""
from __future__ import annotations

from typing import Any

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector

from ..models import LtiContext
from .storage import DatabaseCache
from .toolconf import registration_for

HTTP_TIMEOUT = 10  # seconds for any call to a platform: a platform that hangs must not hold a worker


class TimeoutSession(requests.Session):
    """requests has no default timeout; pylti1p3 passes none."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return super().request(*args, **kwargs)


def http_session() -> requests.Session:
    session = TimeoutSession()
    session.headers["User-Agent"] = "quizserver-lti"
    return session


class DatabaseServiceConnector(ServiceConnector):
    """pylti1p3's connector with access tokens kept in `lti_cache`, so every worker reuses them."""

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        value = DatabaseCache().get("lti1p3-token-" + scope_key)
        return value if isinstance(value, str) else None

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        if expires_in and expires_in > 120:  # keep a minute's margin; a short-lived token is not cached
            DatabaseCache().set("lti1p3-token-" + scope_key, access_token, int(expires_in) - 60)


def connector_for(context: LtiContext) -> DatabaseServiceConnector:
    return DatabaseServiceConnector(registration_for(context.platform), http_session())


def ags_for(context: LtiContext) -> AssignmentsGradesService:
    if not context.lineitems_url:
        raise LtiException("This course's launches carry no line items URL (no grade service).")
    data: Any = {"scope": list(context.ags_scopes), "lineitems": context.lineitems_url}
    return AssignmentsGradesService(connector_for(context), data)


def nrps_for(context: LtiContext) -> NamesRolesProvisioningService:
    if not context.memberships_url:
        raise LtiException("This course's launches carry no roster URL (no names and roles service).")
    data: Any = {"context_memberships_url": context.memberships_url}
    return NamesRolesProvisioningService(connector_for(context), data)
