"""The tool's RSA key pairs, kept in the database so every app server signs with the same one."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jwcrypto.jwk import JWK
from sqlalchemy import select

from ..extensions import db
from ..models import LtiToolKey, utcnow

KEY_BITS = 2048


class NoToolKey(RuntimeError):
    pass


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: str


def _new_pair() -> tuple[str, str, dict[str, Any]]:
    """A fresh RSA pair: (kid, private key PEM, public JWK). The kid is the key's RFC 7638 thumbprint."""
    key = JWK.generate(kty="RSA", size=KEY_BITS)
    kid = key.thumbprint()
    private_pem = key.export_to_pem(private_key=True, password=None).decode("ascii")
    public = json.loads(key.export_public())
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return kid, private_pem, public


def create_key() -> LtiToolKey:
    """Add a key pair; it signs from now on. Older keys stay published until retired."""
    kid, private_pem, public = _new_pair()
    row = LtiToolKey(kid=kid, private_pem=private_pem, public_jwk=public, created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    return row


def ensure_key() -> LtiToolKey:
    """The signing key, created on first use so a fresh install needs no extra step."""
    current = signing_key_row()
    return current if current is not None else create_key()


def signing_key_row() -> LtiToolKey | None:
    return db.session.scalar(
        select(LtiToolKey).where(LtiToolKey.retired_at.is_(None)).order_by(LtiToolKey.id.desc()).limit(1)
    )


def signing_key() -> SigningKey:
    row = signing_key_row()
    if row is None:
        raise NoToolKey("The tool has no key pair yet: run `flask --app app lti create-key`.")
    return SigningKey(row.kid, row.private_pem)


def retire_old_keys() -> int:
    """Stop publishing every key but the newest: do it once platforms have fetched the new one."""
    newest = signing_key_row()
    count = 0
    for row in db.session.scalars(select(LtiToolKey).where(LtiToolKey.retired_at.is_(None))):
        if newest is not None and row.id != newest.id:
            row.retired_at = utcnow()
            count += 1
    return count


def published_jwks() -> dict[str, list[dict[str, Any]]]:
    """What `/lti/jwks` serves: every key not retired, newest first."""
    rows = db.session.scalars(
        select(LtiToolKey).where(LtiToolKey.retired_at.is_(None)).order_by(LtiToolKey.id.desc())
    )
    return {"keys": [dict(row.public_jwk) for row in rows]}
