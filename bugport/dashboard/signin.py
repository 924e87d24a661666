"""One-time sign-in links for the local dev user: `bugport serve` prints
`<base>/signin#code=<code>`; the dashboard posts the code to `POST /v1/auth/local-signin` and gets
a token. The code sits in the URL fragment, so it reaches neither server logs nor a Referer.

Codes live as files in the data dir, named by the code's hash (the code itself is never stored):
the CLI that prints the link and the server process(es) that redeem it share nothing else, and
no database table is needed. Redeeming deletes the file; `unlink` succeeds for exactly one caller,
so a code works once even with several API workers."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from pathlib import Path

from bugport.config import Settings

_WELL_FORMED = re.compile(r"^[A-Za-z0-9_-]{32,128}$")


def enabled(settings: Settings) -> bool:
    """Local sign-in only where BugPort itself signs tokens and no Supabase project is in use
    (the same condition under which `bugport serve` seeds the dev user)."""
    return bool(settings.jwt_secret and not settings.supabase_url)


def _dir(settings: Settings) -> Path:
    return settings.data_dir / "signin-codes"


def _path(settings: Settings, code: str) -> Path:
    return _dir(settings) / hashlib.sha256(code.encode()).hexdigest()


def issue(settings: Settings, email: str, name: str | None = None) -> str:
    """A fresh single-use code for `email`, valid for `signin_link_ttl_seconds`."""
    folder = _dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    _sweep(folder)
    code = secrets.token_urlsafe(32)
    path = _path(settings, code)
    expires = time.time() + settings.signin_link_ttl_seconds
    path.write_text(json.dumps({"email": email, "name": name, "expires_at": expires}))
    path.chmod(0o600)
    return code


def redeem(settings: Settings, code: str) -> tuple[str, str | None] | None:
    """(email, name) for a valid code, consuming it; None if unknown, used or expired."""
    if not enabled(settings) or not _WELL_FORMED.match(code):
        return None
    path = _path(settings, code)
    try:
        data = json.loads(path.read_text())
        path.unlink()  # the single use: a concurrent redeemer's unlink fails
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or float(data.get("expires_at", 0)) < time.time():
        return None
    return str(data["email"]), data.get("name")


def _sweep(folder: Path) -> None:
    """Drop expired codes so links printed by old runs don't pile up."""
    now = time.time()
    for path in folder.iterdir():
        try:
            if float(json.loads(path.read_text()).get("expires_at", 0)) < now:
                path.unlink()
        except (OSError, ValueError, AttributeError):
            continue
