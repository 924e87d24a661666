"""The tool registry: what a tool is (name, description, scope, input model, handler) and the
`@tool` decorator the tool modules (bug_tools.py, builtin_tools.py) use to register theirs.
bugport/mcp/tools.py lists and invokes them; keeping the registry apart lets tools.py import the
tool modules at the top, with no cycle and no import-time side effect hidden in a function."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from bugport.auth.principal import Principal
from bugport.config import Settings
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
