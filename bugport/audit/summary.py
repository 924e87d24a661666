"""Arguments summarised for the audit log: shapes and short values, never secrets."""

from __future__ import annotations

import re
from typing import Any

MAX_KEYS = 20
MAX_STR = 80
SENSITIVE_KEY = re.compile(r"pass|secret|token|auth|cookie|session|api[_-]?key|credential", re.I)
SECRET_VALUE = re.compile(
    r"bp_(?:mcp|pub|inv)_\w+|eyJ[\w-]+\.[\w-]+\.[\w-]*|(?i:bearer)\s+\S+", re.ASCII
)


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        text = SECRET_VALUE.sub("[REDACTED]", value)
        return text if len(text) <= MAX_STR else text[:MAX_STR] + f"… ({len(text)} chars)"
    if isinstance(value, list):
        return f"[{len(value)} items]"
    if isinstance(value, dict):
        return f"{{{len(value)} keys}}"
    return type(value).__name__


def summarise(args: Any) -> dict[str, Any] | None:
    """Top-level keys with short scalar values; nested data is reduced to its size."""
    if not isinstance(args, dict) or not args:
        return None
    out: dict[str, Any] = {}
    for i, (k, v) in enumerate(args.items()):
        if i >= MAX_KEYS:
            out["…"] = f"{len(args) - MAX_KEYS} more keys"
            break
        key = str(k)[:50]
        out[key] = "[REDACTED]" if SENSITIVE_KEY.search(key) else _scalar(v)
    return out
