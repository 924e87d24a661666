"""`require(...)` builds the dependency a route declares; a route without one is public."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated

from fastapi import Depends, Request

from bugport.auth.credentials import resolve
from bugport.auth.principal import Kind, Principal
from bugport.db import Session
from bugport.errors import Forbidden, InsufficientScope

AUTH_MARKER = "__bugport_auth__"
# Hooks that see every authenticated call's outcome (the MCP audit log registers one).
PRINCIPAL_HOOKS: list[Callable[[Request, Principal], None]] = []


def require(
    kinds: Iterable[Kind] = ("user",), scopes: Iterable[str] = ()
) -> Callable[..., Awaitable[Principal]]:
    allowed = frozenset(kinds)
    needed = tuple(scopes)

    async def dependency(request: Request, session: Session) -> Principal:
        principal = await resolve(request, session)
        request.state.principal = principal
        for hook in PRINCIPAL_HOOKS:
            hook(request, principal)
        if principal.kind not in allowed:
            raise Forbidden("This kind of credential can't use this route.")
        if principal.kind == "mcp_token":
            for scope in needed:
                if scope not in principal.scopes:
                    raise InsufficientScope(scope)
        return principal

    setattr(dependency, AUTH_MARKER, (allowed, needed))
    return dependency


CurrentUser = Annotated[Principal, Depends(require(kinds=("user",)))]
