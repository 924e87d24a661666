"""A loopback stand-in for Supabase Auth (GoTrue), speaking its wire format for the calls the
dashboard makes through @supabase/supabase-js: password grant, refresh grant, magic link (OTP)
send, the user lookup after a magic-link redirect, and logout. Access tokens are minted with
BugPort's HS256 secret and Supabase's issuer, so the API verifies them as real Supabase tokens."""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

from bugport.auth.jwt import mint_dev_token
from bugport.config import Settings

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "*",
    "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
}


class GoTrue:
    def __init__(self, password: str, expires_in: int = 3600) -> None:
        self.password = password
        self.expires_in = expires_in
        self.settings: Settings | None = None  # set once the API's settings exist
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> email
        self.access_tokens: dict[str, str] = {}  # every access token issued -> email
        self.magic: list[dict[str, Any]] = []  # the "emails" sent: {email, redirect_to}
        # Each logout as received: {scope, authorization, apikey, email}.
        self.logouts: list[dict[str, Any]] = []
        gotrue = self

        class _H(BaseHTTPRequestHandler):
            def _send(self, status: int, body: Any = None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                for k, v in CORS.items():
                    self.send_header(k, v)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_OPTIONS(self) -> None:  # noqa: N802
                self._send(204)

            def _body(self) -> dict[str, Any]:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                return json.loads(raw) if raw else {}

            def do_POST(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                body = self._body()
                gotrue.calls.append(("POST", url.path, {**query, **body}))
                if self.headers.get("apikey") is None:
                    return self._send(401, {"message": "No API key found in request"})
                if url.path == "/auth/v1/token" and query.get("grant_type") == "password":
                    if body.get("password") != gotrue.password:
                        return self._send(
                            400,
                            {
                                "code": 400,
                                "error_code": "invalid_credentials",
                                "msg": "Invalid login credentials",
                            },
                        )
                    return self._send(200, gotrue.session(body["email"]))
                if url.path == "/auth/v1/token" and query.get("grant_type") == "refresh_token":
                    email = gotrue.refresh_tokens.pop(body.get("refresh_token", ""), None)
                    if email is None:
                        return self._send(
                            400,
                            {
                                "code": 400,
                                "error_code": "refresh_token_not_found",
                                "msg": "Invalid Refresh Token: Refresh Token Not Found",
                            },
                        )
                    return self._send(200, gotrue.session(email))
                if url.path == "/auth/v1/otp":
                    gotrue.magic.append(
                        {"email": body.get("email"), "redirect_to": query.get("redirect_to")}
                    )
                    return self._send(200, {})
                if url.path == "/auth/v1/logout":
                    auth = self.headers.get("authorization") or ""
                    token = auth.removeprefix("Bearer ")
                    try:
                        email = jwt.decode(token, options={"verify_signature": False})["email"]
                    except (jwt.InvalidTokenError, KeyError):
                        return self._send(401, {"code": 401, "msg": "invalid JWT"})
                    scope = query.get("scope", "global")
                    gotrue.logouts.append(
                        {
                            "scope": scope,
                            "authorization": auth,
                            "apikey": self.headers.get("apikey"),
                            "email": email,
                        }
                    )
                    # GoTrue: "global" ends every session of the user (their refresh tokens stop
                    # working); "local" only this one; "others" all but this one.
                    if scope == "global":
                        for refresh, owner in list(gotrue.refresh_tokens.items()):
                            if owner == email:
                                del gotrue.refresh_tokens[refresh]
                    return self._send(204)
                return self._send(404, {"code": 404, "msg": "not found"})

            def do_GET(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                gotrue.calls.append(("GET", url.path, {}))
                if url.path == "/auth/v1/user":
                    token = (self.headers.get("authorization") or "").removeprefix("Bearer ")
                    claims = jwt.decode(token, options={"verify_signature": False})
                    return self._send(200, gotrue.user(claims["email"], claims["sub"]))
                return self._send(404, {"code": 404, "msg": "not found"})

            def log_message(self, *a: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def user(email: str, sub: str) -> dict[str, Any]:
        return {
            "id": sub,
            "aud": "authenticated",
            "role": "authenticated",
            "email": email,
            "email_confirmed_at": "2026-12-01T00:00:00Z",
            "app_metadata": {"provider": "email", "providers": ["email"]},
            "user_metadata": {},
            "identities": [],
            "created_at": "2026-12-01T00:00:00Z",
            "updated_at": "2026-12-01T00:00:00Z",
        }

    def session(self, email: str) -> dict[str, Any]:
        assert self.settings is not None
        token = mint_dev_token(self.settings, email, "Supa User", ttl=self.expires_in)
        sub = jwt.decode(token, options={"verify_signature": False})["sub"]
        refresh = secrets.token_urlsafe(16)
        self.refresh_tokens[refresh] = email
        self.access_tokens[token] = email
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "expires_at": int(time.time()) + self.expires_in,
            "refresh_token": refresh,
            "user": self.user(email, sub),
        }

    def magic_link(self, email: str) -> str:
        """The URL the emailed link sends the browser to (GoTrue's implicit-flow redirect)."""
        sent = [m for m in self.magic if m["email"] == email][-1]
        s = self.session(email)
        fragment = "&".join(
            f"{k}={s[k]}"
            for k in ("access_token", "expires_in", "expires_at", "refresh_token", "token_type")
        )
        return f"{sent['redirect_to']}#{fragment}&type=magiclink"

    def __enter__(self) -> GoTrue:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
