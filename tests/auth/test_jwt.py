"""Supabase access-token verification: each rule has its own test."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from bugport.app import create_app
from tests.conftest import JWT_SECRET, assert_error, client_for, make_settings
from tests.fixtures.http_stub import StubServer

SUPABASE_URL = "https://abcd1234.supabase.co"
ISSUER = f"{SUPABASE_URL}/auth/v1"


def claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": "authenticated",
        "sub": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 3600,
        "role": "authenticated",
        "aal": "aal1",
        "session_id": str(uuid.uuid4()),
        "email": f"{uuid.uuid4().hex[:8]}@example.com",
        "is_anonymous": False,
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def hs(c: dict[str, Any], secret: str = JWT_SECRET) -> str:
    return jwt.encode(c, secret, algorithm="HS256")


EC_KEY = ec.generate_private_key(ec.SECP256R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(key: Any, alg: str, kid: str) -> dict[str, Any]:
    algo = ECAlgorithm if alg == "ES256" else RSAAlgorithm
    d = json.loads(algo.to_jwk(key.public_key()))
    d.update({"kid": kid, "alg": alg, "use": "sig"})
    return d


class JWKS:
    def __init__(self) -> None:
        self.keys = [jwk(EC_KEY, "ES256", "ec-1"), jwk(RSA_KEY, "RS256", "rsa-1")]
        self.hits = 0

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        self.hits += 1
        return 200, {"keys": self.keys}


@pytest.fixture(scope="module")
def jwks() -> Any:
    doc = JWKS()
    with StubServer(doc.handle) as server:
        doc.url = f"{server.url}/auth/v1/.well-known/jwks.json"  # type: ignore[attr-defined]
        yield doc


@pytest_asyncio.fixture
async def c(
    jwks: Any, backend_url: tuple[str, str], tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """An app with Supabase settings: HS256 secret, JWKS, and the issuer pinned."""
    s = make_settings(
        backend_url[1],
        tmp_path,
        supabase_url=SUPABASE_URL,
        supabase_jwks_url=jwks.url,
        jwks_refresh_interval_seconds=3600,
    )
    app = create_app(s)
    async with client_for(app) as client:
        yield client
    await app.state.engine.dispose()


async def me(c: httpx.AsyncClient, token: str) -> httpx.Response:
    return await c.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


async def test_valid_hs256_token(c: httpx.AsyncClient) -> None:
    cl = claims()
    r = await me(c, hs(cl))
    assert r.status_code == 200 and r.json()["email"] == cl["email"]


async def test_valid_es256_token_from_jwks(c: httpx.AsyncClient) -> None:
    token = jwt.encode(claims(), EC_KEY, algorithm="ES256", headers={"kid": "ec-1"})
    assert (await me(c, token)).status_code == 200


async def test_valid_rs256_token_from_jwks(c: httpx.AsyncClient) -> None:
    token = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"})
    assert (await me(c, token)).status_code == 200


async def test_missing_credential(c: httpx.AsyncClient) -> None:
    r = await c.get("/v1/auth/me")
    assert_error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"


async def test_non_bearer_scheme(c: httpx.AsyncClient) -> None:
    r = await c.get("/v1/auth/me", headers={"Authorization": f"Basic {hs(claims())}"})
    assert_error(r, 401, "invalid_token")


async def test_credential_in_query_string_is_ignored(c: httpx.AsyncClient) -> None:
    r = await c.get("/v1/auth/me", params={"access_token": hs(claims())})
    assert_error(r, 401, "unauthorized")


async def test_expired_token(c: httpx.AsyncClient) -> None:
    now = int(time.time())
    assert_error(await me(c, hs(claims(iat=now - 7200, exp=now - 120))), 401, "token_expired")


async def test_expiry_leeway_is_small(c: httpx.AsyncClient) -> None:
    now = int(time.time())
    # 10 s past exp is inside the 30 s leeway; 61 s is outside any allowed leeway.
    assert (await me(c, hs(claims(iat=now - 100, exp=now - 10)))).status_code == 200
    assert_error(await me(c, hs(claims(iat=now - 100, exp=now - 61))), 401, "token_expired")


async def test_missing_exp(c: httpx.AsyncClient) -> None:
    assert_error(await me(c, hs(claims(exp=None))), 401, "invalid_token")


async def test_wrong_secret(c: httpx.AsyncClient) -> None:
    assert_error(
        await me(c, hs(claims(), "another-secret-another-secret-another")), 401, "invalid_token"
    )


async def test_alg_none_rejected(c: httpx.AsyncClient) -> None:
    token = jwt.encode(claims(), key=None, algorithm="none")  # type: ignore[arg-type]
    assert_error(await me(c, token), 401, "invalid_token")


async def test_algorithm_confusion_rejected(c: httpx.AsyncClient) -> None:
    """HS256 signed with the RSA public key (the classic confusion attack) must not verify."""
    pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import base64
    import hashlib
    import hmac

    def b64(b: bytes) -> str:
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}).encode())
    payload = b64(json.dumps(claims()).encode())
    sig = b64(hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    assert_error(await me(c, f"{header}.{payload}.{sig}"), 401, "invalid_token")


async def test_es256_header_with_rsa_kid_rejected(c: httpx.AsyncClient) -> None:
    token = jwt.encode(claims(), EC_KEY, algorithm="ES256", headers={"kid": "rsa-1"})
    assert_error(await me(c, token), 401, "invalid_token")


async def test_wrong_audience(c: httpx.AsyncClient) -> None:
    assert_error(await me(c, hs(claims(aud="anon"))), 401, "invalid_token")


async def test_audience_as_array(c: httpx.AsyncClient) -> None:
    assert (await me(c, hs(claims(aud=["authenticated", "other"])))).status_code == 200


async def test_anon_role_rejected(c: httpx.AsyncClient) -> None:
    assert_error(await me(c, hs(claims(role="anon"))), 401, "invalid_token")


async def test_supabase_anon_key_rejected(c: httpx.AsyncClient) -> None:
    """Supabase's anon API key: a JWT with role anon, no sub, no aud."""
    key = hs(
        {
            "iss": "supabase",
            "ref": "abcd1234",
            "role": "anon",
            "iat": int(time.time()),
            "exp": int(time.time()) + 10**8,
        }
    )
    assert_error(await me(c, key), 401, "invalid_token")


async def test_service_role_key_rejected(c: httpx.AsyncClient) -> None:
    key = hs(
        {
            "iss": "supabase",
            "ref": "abcd1234",
            "role": "service_role",
            "iat": int(time.time()),
            "exp": int(time.time()) + 10**8,
        }
    )
    assert_error(await me(c, key), 401, "invalid_token")


async def test_service_role_even_with_sub_and_aud_rejected(c: httpx.AsyncClient) -> None:
    assert_error(await me(c, hs(claims(role="service_role"))), 401, "invalid_token")


async def test_missing_sub(c: httpx.AsyncClient) -> None:
    assert_error(await me(c, hs(claims(sub=None))), 401, "invalid_token")


async def test_empty_sub(c: httpx.AsyncClient) -> None:
    assert_error(await me(c, hs(claims(sub="  "))), 401, "invalid_token")


async def test_wrong_issuer_when_configured(c: httpx.AsyncClient) -> None:
    assert_error(
        await me(c, hs(claims(iss="https://evil.supabase.co/auth/v1"))), 401, "invalid_token"
    )


async def test_garbage_token(c: httpx.AsyncClient) -> None:
    assert_error(await me(c, "not-a-jwt"), 401, "invalid_token")


async def test_unknown_prefix_kinds_are_rejected_before_any_lookup(c: httpx.AsyncClient) -> None:
    assert_error(await me(c, "bp_pub_short"), 401, "invalid_token")


async def test_unknown_kid_refreshes_jwks_at_most_once_per_interval(
    c: httpx.AsyncClient, jwks: Any
) -> None:
    new_key = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims(), new_key, algorithm="ES256", headers={"kid": "ec-rotated"})
    await me(
        c, jwt.encode(claims(), EC_KEY, algorithm="ES256", headers={"kid": "ec-1"})
    )  # warm the cache
    hits = jwks.hits
    assert_error(await me(c, token), 401, "invalid_token")
    assert_error(await me(c, token), 401, "invalid_token")
    assert jwks.hits == hits, "inside the refresh interval an unknown kid must not refetch"


async def test_rotated_key_is_picked_up_after_interval(
    jwks: Any, backend_url: tuple[str, str], tmp_path: Path
) -> None:
    new_key = ec.generate_private_key(ec.SECP256R1())
    s = make_settings(
        backend_url[1],
        tmp_path,
        supabase_url=SUPABASE_URL,
        supabase_jwks_url=jwks.url,
        jwks_refresh_interval_seconds=0,
    )
    app = create_app(s)
    async with client_for(app) as client:
        jwks.keys.append(jwk(new_key, "ES256", "ec-new"))
        token = jwt.encode(claims(), new_key, algorithm="ES256", headers={"kid": "ec-new"})
        assert (await me(client, token)).status_code == 200
    jwks.keys.pop()
    await app.state.engine.dispose()


async def test_roles_come_from_the_database_not_claims(c: httpx.AsyncClient) -> None:
    cl = claims(
        app_metadata={"role": "owner", "workspaces": ["*"]},
        user_metadata={"is_admin": True, "role": "owner"},
    )
    token = hs(cl)
    r = await c.post("/v1/auth/sync-profile", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    # Only the personal workspace the sync created; nothing claimed in the token is trusted.
    assert [m["role"] for m in r.json()["memberships"]] == ["owner"]
    assert len(r.json()["memberships"]) == 1
