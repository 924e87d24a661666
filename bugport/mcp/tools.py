"""THE tool definitions: one per tool, used by the REST bridge (`/v1/mcp/tools`, `/invoke`) and by
both MCP transports (which list them from here and run them through the bridge).

A tool is a name, a description, the scope a token needs, a Pydantic input model (its JSON Schema
is what clients see and what `invoke` validates against) and a handler that runs with the caller's
session and principal, so every scoping rule of the API applies unchanged."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from bugport.auth.principal import Principal
from bugport.errors import BugPortError, InsufficientScope, NotFound
from bugport.mcp import bug_tools, builtin_tools
from bugport.mcp.registry import REGISTRY, Tool, ToolContext

# Every tool module, imported for its registrations (the list is the whole tool set).
TOOL_MODULES = (bug_tools, builtin_tools)
__all__ = ["TOOL_MODULES", "Tool", "ToolContext", "available", "invoke"]


def available(principal: Principal) -> list[Tool]:
    """Tools the caller may call: a token sees those its scopes allow; a user sees all (each call
    is still checked against their role in the bug's workspace)."""
    tools = sorted(REGISTRY.values(), key=lambda t: t.name)
    if principal.kind == "mcp_token":
        tools = [t for t in tools if t.scope in principal.scopes]
    return tools


class ArgumentsInvalid(BugPortError):
    status, code, message = 422, "validation_error", "The tool's arguments failed validation."


async def invoke(ctx: ToolContext, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
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
