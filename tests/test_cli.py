"""The `bugport` command as a user runs it: subprocesses, real files, a real server."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jwt
import pytest

BIN = Path(sys.executable).parent / "bugport"


def _serve(port: int, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """`bugport serve --port N` as a user starts it, its banner and logs on one text pipe."""
    return subprocess.Popen(
        [str(BIN), "serve", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=60,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_version() -> None:
    r = run("version")
    assert r.returncode == 0 and r.stdout.strip() == "bugport 0.2.0 (api 0.2.0)"


def test_token_is_signed_with_the_configured_secret(tmp_path: Path) -> None:
    r = run(
        "token",
        "--email",
        "ada@example.com",
        "--name",
        "Ada",
        env={
            "BUGPORT_SUPABASE_JWT_SECRET": "s3cret-s3cret-s3cret-s3cret-s3cret!",
            "BUGPORT_DATA_DIR": str(tmp_path),
        },
    )
    assert r.returncode == 0, r.stderr
    claims = jwt.decode(
        r.stdout.strip(),
        "s3cret-s3cret-s3cret-s3cret-s3cret!",
        algorithms=["HS256"],
        audience="authenticated",
    )
    assert (
        claims["email"] == "ada@example.com" and claims["role"] == "authenticated" and claims["sub"]
    )
    assert claims["user_metadata"] == {"name": "Ada"}


def test_embedded_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    env = {"BUGPORT_DATA_DIR": str(tmp_path)}
    run("token", "--email", "a@example.com", env=env)
    secret = (tmp_path / "jwt_secret").read_text()
    run("token", "--email", "a@example.com", env=env)
    assert (tmp_path / "jwt_secret").read_text() == secret and len(secret) >= 32
    assert oct((tmp_path / "jwt_secret").stat().st_mode & 0o777) == "0o600"


def test_migrate_sqlite(tmp_path: Path) -> None:
    r = run("migrate", env={"BUGPORT_DATA_DIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    with sqlite3.connect(tmp_path / "bugport.db") as db:
        (rev,) = db.execute("select version_num from alembic_version").fetchone()
        tables = {t for (t,) in db.execute("select name from sqlite_master where type='table'")}
    assert (
        rev in r.stderr and {"users", "workspaces", "memberships", "projects", "invites"} <= tables
    )


def test_fingerprints_backfill_command(tmp_path: Path) -> None:
    r = run("fingerprints", "--batch", "10", env={"BUGPORT_DATA_DIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert "0 bugs with captures looked at, 0 fingerprints written" in r.stderr


def test_migrate_postgresql(tmp_path: Path) -> None:
    from tests.fixtures.services import need_postgres

    need_postgres()
    import asyncio

    import asyncpg

    name = f"bugport_cli_{os.getpid()}"

    async def reset() -> None:
        conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/test")
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()

    asyncio.run(reset())
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    r = run("migrate", env={"BUGPORT_DATABASE_URL": url, "BUGPORT_DATA_DIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    again = run("migrate", env={"BUGPORT_DATABASE_URL": url, "BUGPORT_DATA_DIR": str(tmp_path)})
    assert again.returncode == 0, again.stderr


def test_serve_on_embedded_defaults_prints_a_working_sign_in(tmp_path: Path) -> None:
    """What the README's first command does: start, migrate, print docs URL and a token that works."""
    port = free_port()
    env = {**os.environ}
    for k in list(env):
        if k.startswith("BUGPORT_"):
            del env[k]
    proc = _serve(port, tmp_path, env)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/v1/health", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("server did not come up")
        proc.send_signal(signal.SIGTERM)  # graceful shutdown
        out, _ = proc.communicate(timeout=30)
        # uvicorn drains, runs the lifespan shutdown, then re-raises the signal it caught.
        assert proc.returncode in (0, -signal.SIGTERM), out
        assert "Traceback" not in out
    finally:
        if proc.poll() is None:
            proc.kill()
    assert f"{base}/v1/docs" in out
    token = re.search(r"export BUGPORT_TOKEN=(\S+)", out)
    assert token, out
    assert (tmp_path / ".bugport" / "bugport.db").exists()
    # A fresh database migrates quietly, and the banner's token hint runs exactly as printed.
    assert "moved: 0" not in out, out
    hint = re.search(r"a new token any time: (\S+) token --email", out)
    assert hint, out
    minted = subprocess.run(
        [hint.group(1), "token", "--email", "second@example.com"],
        cwd=tmp_path,
        # As after `./dev serve`: the virtualenv is not on PATH.
        env={
            **env,
            "PATH": os.pathsep.join(
                d for d in env.get("PATH", "").split(os.pathsep) if Path(d) != BIN.parent
            ),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert minted.returncode == 0 and minted.stdout.count(".") == 2, minted.stderr
    # Start again on the same data dir: the printed token from the first run still works.
    proc = _serve(port, tmp_path, env)
    try:
        for _ in range(100):
            try:
                r = httpx.get(
                    f"{base}/v1/auth/me",
                    headers={"Authorization": f"Bearer {token.group(1)}"},
                    timeout=0.5,
                )
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert r.status_code == 200
        me = r.json()
        assert me["email"] == "dev@bugport.local" and me["memberships"][0]["role"] == "owner"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def test_serve_prints_a_one_time_dashboard_sign_in_link(tmp_path: Path) -> None:
    """The printed dashboard URL carries a code that signs the dev user in exactly once. The link
    is printed only when a dashboard build is there to redeem it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUGPORT_")}
    build = tmp_path / "dashboard-build"
    build.mkdir()
    (build / "index.html").write_text("<!doctype html><title>BugPort</title>")
    env["BUGPORT_DASHBOARD_DIR"] = str(build)
    proc = _serve(port, tmp_path, env)
    base = f"http://127.0.0.1:{port}"
    try:
        assert proc.stdout is not None
        link = None
        for line in proc.stdout:
            link = re.search(rf"{re.escape(base)}/signin#code=([A-Za-z0-9_-]+)", line) or link
            if link:
                break
        assert link, "no sign-in link printed"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/v1/health", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        r = httpx.post(f"{base}/v1/auth/local-signin", json={"code": link.group(1)})
        assert r.status_code == 200, r.text
        me = httpx.get(
            f"{base}/v1/auth/me",
            headers={"Authorization": f"Bearer {r.json()['access_token']}"},
        )
        assert me.status_code == 200 and me.json()["email"] == "dev@bugport.local"
        again = httpx.post(f"{base}/v1/auth/local-signin", json={"code": link.group(1)})
        assert again.status_code == 401 and again.json()["error"]["code"] == "invalid_token"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def _wait_up(base: str) -> None:
    for _ in range(150):
        try:
            if httpx.get(f"{base}/v1/health", timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{base} did not come up")


def _token(cwd: Path, env: dict[str, str]) -> str:
    """`bugport token` for the dev user, as the banner's hint runs it (same data dir)."""
    r = subprocess.run(
        [str(BIN), "token", "--email", "dev@bugport.local"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_serve_on_another_port_hands_out_urls_on_that_port(tmp_path: Path) -> None:
    """Without BUGPORT_PUBLIC_BASE_URL, every URL the API builds names the port actually served:
    the printed token's issuer, a signed upload URL, the MCP client config and share links."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUGPORT_")}
    proc = _serve(port, tmp_path, env)
    base = f"http://127.0.0.1:{port}"
    out = ""
    try:
        _wait_up(base)
        h = {"Authorization": f"Bearer {_token(tmp_path, env)}"}
        with httpx.Client(base_url=base, headers=h, timeout=10) as c:
            ws = c.post("/v1/workspaces", json={"name": "Port"}).json()
            body = {"workspace_id": ws["id"], "name": "App", "key": "APP"}
            project = c.post("/v1/projects", json=body).json()
            upload = c.post(
                "/v1/media/upload-url",
                json={
                    "filename": "shot.png",
                    "content_type": "image/png",
                    "size_bytes": 10,
                    "kind": "screenshot",
                    "project_id": project["id"],
                },
            )
            assert upload.status_code == 201, upload.text
            assert upload.json()["upload"]["url"].startswith(f"{base}/storage/")
            config = c.get("/v1/mcp/config")
            assert config.status_code == 200, config.text
            assert config.json()["api_url"].startswith(base), config.json()
            assert config.json()["mcp_url"].startswith(base), config.json()
            assert ":8000" not in config.text
            bug = c.post("/v1/bugs", json={"project_id": project["id"], "title": "t"})
            assert bug.status_code == 201, bug.text
            link = c.post(f"/v1/bugs/{bug.json()['id']}/share-links", json={})
            assert link.status_code == 201, link.text
            assert link.json()["url"].startswith(f"{base}/"), link.json()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    printed = re.search(r"export BUGPORT_TOKEN=(\S+)", out)
    assert printed, out
    claims = jwt.decode(printed.group(1), options={"verify_signature": False})
    assert claims["iss"] == f"{base}/auth/v1"


def test_a_given_public_base_url_wins_over_the_served_port(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUGPORT_")}
    env["BUGPORT_PUBLIC_BASE_URL"] = "https://bugs.example.com"
    proc = _serve(port, tmp_path, env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base)
        h = {"Authorization": f"Bearer {_token(tmp_path, env)}"}
        config = httpx.get(f"{base}/v1/mcp/config", headers=h, timeout=5)
        assert config.status_code == 200, config.text
        assert config.json()["api_url"].startswith("https://bugs.example.com"), config.json()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    printed = re.search(r"export BUGPORT_TOKEN=(\S+)", out)
    assert printed, out
    claims = jwt.decode(printed.group(1), options={"verify_signature": False})
    assert claims["iss"] == "https://bugs.example.com/auth/v1"
