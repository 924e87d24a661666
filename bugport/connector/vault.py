"""Provider tokens encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256, authenticated).

Keys come from settings (`connector_keys`, newest first); any high-entropy string works, it is
stretched to a Fernet key here. Old keys still decrypt, so rotating means prepending a new key."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def _fernet_key(secret: str) -> bytes:
    digest = hashlib.sha256(b"bugport/connector-tokens/v1\0" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest)


class TokenVault:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one key is required")
        self._f = MultiFernet([Fernet(_fernet_key(k)) for k in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._f.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._f.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ValueError(
                "the stored token can't be decrypted with the configured keys"
            ) from exc
