"""OAuth `state` and PKCE. The state names a pending-authorization row and carries an HMAC over
its binding (row id, provider, workspace, user, expiry): it can't be forged, moved to another
workspace or user, or used after it expires, and the row makes it single-use."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid

from bugport.kit.crypto import same_text

_STATE = re.compile(r"^v1\.([0-9a-f]{32})\.([0-9]{1,12})\.([0-9a-f]{64})$")


def _mac(
    key: bytes, sid: uuid.UUID, provider: str, ws: uuid.UUID, user: uuid.UUID, exp: int
) -> str:
    msg = f"bugport/oauth-state/v1|{sid.hex}|{provider}|{ws}|{user}|{exp}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def make_state(
    key: bytes, sid: uuid.UUID, provider: str, ws: uuid.UUID, user: uuid.UUID, exp: int
) -> str:
    return f"v1.{sid.hex}.{exp}.{_mac(key, sid, provider, ws, user, exp)}"


def parse_state(state: str) -> tuple[uuid.UUID, int, str] | None:
    """(row id, expiry, signature) if the state is well formed; the signature is checked against
    the row with `signature_ok`."""
    m = _STATE.match(state)
    if not m:
        return None
    return uuid.UUID(m.group(1)), int(m.group(2)), m.group(3)


def signature_ok(
    key: bytes,
    sig: str,
    sid: uuid.UUID,
    provider: str,
    ws: uuid.UUID,
    user: uuid.UUID,
    exp: int,
) -> bool:
    return same_text(sig, _mac(key, sid, provider, ws, user, exp))


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) per RFC 7636."""
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()
