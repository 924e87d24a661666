"""The one rule for text in requests (docs/api.md, "Text in every request").

- Text a person or a program typed on purpose (names, titles, descriptions, comments, labels,
  filenames, keys, emails, query parameters, path segments) must hold no NUL and no other C0
  control character except tab, line feed and carriage return: 422 naming the field. Single-line
  values (names, keys, labels, filenames, query parameters) refuse those three as well.
- Captured data (console entries, network entries, metadata, environment), where fidelity
  matters, is kept: a NUL or a lone surrogate becomes U+FFFD at ingest, and the report's
  redaction receipt says where (rule `invalid_text`, kit/redaction.py).

Typed strings also refuse lone surrogates (pydantic does: they are not Unicode text), so
nothing that reaches the database holds a character PostgreSQL refuses, on either engine.

Every `InputModel` applies the first rule to each of its string fields (and strings in its
list fields); `CapturedInput` models are the captured data. `SingleLine` marks the stricter
fields. Query strings and paths are checked by kit/middleware.BodyGuard before any route.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import parse_qsl

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError
from starlette.types import Scope

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _refuse(match: re.Match[str]) -> PydanticCustomError:
    return PydanticCustomError(
        "text_control",
        "Must not contain the control character U+{code}.",
        {"code": f"{ord(match.group()):04X}"},
    )


def check(value: Any) -> Any:
    """The rule for typed text: a string, or the strings of a list/tuple (dicts are free JSON)."""
    if isinstance(value, str):
        if not value.isprintable() and (m := _CONTROL.search(value)):
            raise _refuse(m)
    elif isinstance(value, (list, tuple)):
        for item in value:
            if isinstance(item, str) and not item.isprintable() and (m := _CONTROL.search(item)):
                raise _refuse(m)
    return value


def single_line(value: str) -> str:
    if not value.isprintable() and (m := _LINE_CONTROL.search(value)):
        raise _refuse(m)
    return value


SingleLine = Annotated[str, AfterValidator(single_line)]


def bad_request_text(scope: Scope) -> tuple[str, str] | None:
    """(field, message) for the first query parameter or path holding a control character."""
    path = scope["path"]
    if not path.isprintable() and (m := _LINE_CONTROL.search(path)):
        return "path", f"Must not contain the control character U+{ord(m.group()):04X}."
    raw = scope.get("query_string", b"")
    if not raw or (b"%" not in raw and raw.isascii() and raw.decode().isprintable()):
        return None
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return "query", "The query string is not valid UTF-8 (after percent-decoding)."
    for name, value in pairs:
        for text in (name, value):
            if not text.isprintable() and (m := _LINE_CONTROL.search(text)):
                code = f"{ord(m.group()):04X}"
                return f"query.{name}", f"Must not contain the control character U+{code}."
    return None
