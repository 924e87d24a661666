"""Local one-time sign-in link (POST /v1/auth/local-signin) and GET /v1/public/config."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import jwt
import pytest
from pydantic import ValidationError

from bugport.app import create_app
from bugport.config import Settings
from bugport.dashboard import signin
from tests.conftest import assert_error, client_for, make_settings

ANON = jwt.encode({"role": "anon", "iss": "supabase"}, "k" * 32, algorithm="HS256")
SERVICE = jwt.encode({"role": "service_role", "iss": "supabase"}, "k" * 32, algorithm="HS256")


async def test_code_signs_in_once(client: httpx.AsyncClient, settings: Settings) -> None:
    code = signin.issue(settings, "dev-signin@bugport.local", "Dev User")
    r = await client.post("/v1/auth/local-signin", json={"code": code})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["token_type"] == "bearer" and out["email"] == "dev-signin@bugport.local"
    assert out["expires_in"] == settings.dev_token_ttl_seconds
    assert r.headers["cache-control"] == "no-store"
    me = await client.get("/v1/auth/me", headers={"Authorization": f"Bearer {out['access_token']}"})
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "dev-signin@bugport.local"
    # Single use: the same link again is refused with the one error body.
    err = assert_error(
        await client.post("/v1/auth/local-signin", json={"code": code}), 401, "invalid_token"
    )
    assert "bugport token" in err["message"]


async def test_expired_unknown_and_malformed_codes(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    code = signin.issue(settings, "dev-expired@bugport.local")
    stored = next(
        p
        for p in (settings.data_dir / "signin-codes").iterdir()
        if json.loads(p.read_text())["email"] == "dev-expired@bugport.local"
    )
    # The code itself is never written down, only its hash.
    assert code not in stored.read_text() and code not in stored.name
    data = json.loads(stored.read_text())
    stored.write_text(json.dumps({**data, "expires_at": time.time() - 1}))
    for bad in (code, "x" * 43, "../../jwt_secret", "not a code"):
        r = await client.post("/v1/auth/local-signin", json={"code": bad})
        assert_error(r, 401, "invalid_token")
    assert_error(
        await client.post("/v1/auth/local-signin", json={}), 422, "validation_error", "body.code"
    )


async def test_public_config_local(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/public/config")
    assert r.status_code == 200
    assert r.json() == {
        "supabase_url": None,
        "supabase_anon_key": None,
        "auth_modes": ["signin_link", "token"],
    }


async def test_with_supabase_no_local_link(tmp_path: Path) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        tmp_path / "data",
        supabase_url="https://abc.supabase.co",
        supabase_anon_key=ANON,
    )
    code = signin.issue(settings, "dev@bugport.local")
    async with client_for(create_app(settings)) as c:
        r = await c.get("/v1/public/config")
        assert r.json() == {
            "supabase_url": "https://abc.supabase.co",
            "supabase_anon_key": ANON,
            "auth_modes": ["password", "magic_link", "token"],
        }
        r = await c.post("/v1/auth/local-signin", json={"code": code})
        assert_error(r, 401, "invalid_token")


@pytest.mark.parametrize("key", [SERVICE, "sb_secret_abcdef"])
def test_a_service_key_is_refused_as_anon_key(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValidationError, match="anon"):
        Settings(data_dir=tmp_path, supabase_anon_key=key)
