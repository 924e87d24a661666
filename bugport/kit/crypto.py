"""Prefixed secrets: random body + checksum, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import zlib

_ALPHABET = string.digits + string.ascii_letters
_BODY_LEN = 40
_CHECK_LEN = 6


def _base62(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 62)
        out.append(_ALPHABET[r])
    return "".join(reversed(out))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), _CHECK_LEN)


def generate_token(prefix: str) -> str:
    """`<prefix><40 base62 chars ≈ 238 bits><6-char CRC32>`; the checksum lets us reject typos and
    forgeries before any database lookup."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(_BODY_LEN))
    return f"{prefix}{body}{_checksum(body)}"


def token_is_well_formed(token: str, prefix: str) -> bool:
    if not token.startswith(prefix):
        return False
    rest = token[len(prefix) :]
    if len(rest) != _BODY_LEN + _CHECK_LEN or any(c not in _ALPHABET for c in rest):
        return False
    body, check = rest[:_BODY_LEN], rest[_BODY_LEN:]
    return hmac.compare_digest(check, _checksum(body))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_hint(token: str, prefix: str) -> str:
    """What we show after creation: the prefix and the last four characters."""
    return f"{prefix}…{token[-4:]}"


def sign(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def same_text(a: str, b: str) -> bool:
    """Constant-time equality for text from a request: `hmac.compare_digest` raises TypeError on
    non-ASCII str, so both sides are compared as UTF-8 bytes (a forged value is then just unequal)."""
    return hmac.compare_digest(a.encode(), b.encode())


def verify(key: bytes, payload: bytes, signature: str) -> bool:
    return same_text(sign(key, payload), signature)
