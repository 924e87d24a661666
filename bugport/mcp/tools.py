"""THE tool definitions: one per tool, used by the REST bridge (`/v1/mcp/tools`, `/invoke`) and by
both MCP transports (which list them from here and run them through the bridge).

A tool is a name, a description, the scope a token needs, a Pydantic input model (its JSON Schema
is what clients see and what `invoke` validates against) and a handler that runs with the caller's
session and principal, so every scoping rule of the API applies unchanged."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from bugport.auth.principal import Principal
from bugport.config import Settings
from bugport.errors import BugPortError, InsufficientScope, NotFound
from bugport.kit.schemas import InputModel


@dataclass
class ToolContext:
    session: AsyncSession
    principal: Principal
    settings: Settings
    request: Request


Handler = Callable[[ToolContext, Any], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    description: str
    scope: str  # what an MCP token needs; signed-in users are checked by role instead
    input_model: type[InputModel]
    handler: Handler
    read_only: bool = True

    @property
    def input_schema(self) -> dict[str, Any]:
        return self.input_model.model_json_schema()


REGISTRY: dict[str, Tool] = {}


def tool(
    name: str,
    *,
    title: str,
    description: str,
    scope: str,
    input_model: type[InputModel],
    read_only: bool = True,
) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        REGISTRY[name] = Tool(name, title, description, scope, input_model, fn, read_only)
        return fn

    return register


def available(principal: Principal) -> list[Tool]:
    """Tools the caller may call: a token sees those its scopes allow; a user sees all (each call
    is still checked against their role in the bug's workspace)."""
    load()
    tools = sorted(REGISTRY.values(), key=lambda t: t.name)
    if principal.kind == "mcp_token":
        tools = [t for t in tools if t.scope in principal.scopes]
    return tools


class ArgumentsInvalid(BugPortError):
    status, code, message = 422, "validation_error", "The tool's arguments failed validation."


async def invoke(ctx: ToolContext, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    load()
    t = REGISTRY.get(name)
    if t is None:
        raise NotFound(f"No tool named {name!r}; GET /v1/mcp/tools lists them.")
    if ctx.principal.kind == "mcp_token" and t.scope not in ctx.principal.scopes:
        raise InsufficientScope(t.scope)
    try:
        args = t.input_model.model_validate(arguments)
    except ValidationError as exc:
        details = [
            {
                "field": ".".join(["body", "arguments", *(str(p) for p in e["loc"])]),
                "message": "Unknown field." if e["type"] == "extra_forbidden" else str(e["msg"]),
            }
            for e in exc.errors()
        ]
        raise ArgumentsInvalid(details=details) from exc
    return await t.handler(ctx, args)


def load() -> None:
    """Import the modules that define tools (kept out of import time to avoid cycles)."""
    from bugport.mcp import bug_tools, builtin_tools  # noqa: F401
