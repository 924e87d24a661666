"""Secrets out of reports before anything is stored (HAR files leak live sessions).

One `Redactor` per report walks every value that came from a browser: headers, URLs (query
parameters and fragments), JWT-looking strings, `Bearer …` and `name=value` pairs in free text,
and sensitive keys in JSON bodies. Each replacement is recorded as a receipt `{path, rule}` so the
API can show what was removed without showing what it was.

Rules (the `rule` value of a receipt):
- `header`       a header whose name is sensitive (built-in list + the project's names)
- `cookie`       Cookie / Set-Cookie values
- `query_param`  a sensitive query/fragment/form parameter of a URL or url-encoded body
- `json_key`     a sensitive key in a JSON object (metadata, args, JSON bodies)
- `jwt`          a JWT's signature anywhere in text (header and claims stay readable)
- `bearer`       `Bearer <token>` / `Basic <creds>` in free text
- `text_param`   `password=…`, `token: …` style pairs in free text
- `invalid_text` a NUL or a lone surrogate in captured text, stored as U+FFFD (kit/text.py)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

MARKER = "[REDACTED]"
ENCODED_MARKER = "%5BREDACTED%5D"

SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "x-access-token",
        "x-csrf-token",
        "x-xsrf-token",
        "x-amz-security-token",
        "x-goog-api-key",
        "x-session-token",
        "x-refresh-token",
        "private-token",
    }
)
# Substrings that make any header, parameter or JSON key sensitive (X-Api-Key-style names).
SENSITIVE_FRAGMENTS = (
    "token",
    "secret",
    "password",
    "passwd",
    "api-key",
    "api_key",
    "apikey",
    "signature",
    "credential",
    "session",
    "authorization",
    "cookie",
)
SENSITIVE_PARAMS = frozenset(
    {
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "code",
        "state",
        "password",
        "pass",
        "pwd",
        "secret",
        "client_secret",
        "key",
        "api_key",
        "apikey",
        "signature",
        "sig",
        "jwt",
        "auth",
        "otp",
        "nonce",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
    }
)


def _shortest(names: Iterable[str]) -> tuple[str, ...]:
    """The names that contain no other name: text holding none of them holds none of `names`."""
    unique = {n for n in names if n}
    return tuple(sorted(n for n in unique if not any(m != n and m in n for m in unique)))


# Every built-in sensitive parameter name or fragment, reduced: text without one of these holds
# no pair to redact (compared lower-case). Plain substring tests beat a regex alternation by ~3x
# on a report's joined console text.
_NAME_PARTS = _shortest({*SENSITIVE_PARAMS, *SENSITIVE_FRAGMENTS})
_FRAGMENT = re.compile("|".join(re.escape(f) for f in SENSITIVE_FRAGMENTS))
_JWT = re.compile(r"\b(eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,})\.([A-Za-z0-9_-]{8,})")
_BEARER = re.compile(r"\b(Bearer|Basic|Token)\s+([A-Za-z0-9._~+/=-]{8,})", re.IGNORECASE)
_SCHEMES = ("bearer", "basic", "token")
_URL = re.compile(r"\bhttps?://[^\s\"'<>`]+", re.IGNORECASE)
_PAIR = re.compile(
    r"(?P<name>[A-Za-z][A-Za-z0-9_.-]{1,40})(?P<sep>\s*[:=]\s*)"
    r"(?P<q>[\"']?)(?P<value>[^\s\"'&,;}]{3,})",
)


def _clean(text: str) -> str:
    """PostgreSQL text/jsonb reject NUL and lone surrogates (SQLite stores them): both engines get
    U+FFFD instead, so a report never becomes a 500 on one engine and data on the other."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if text.isascii():  # O(1) in CPython: no surrogate possible
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


@dataclass
class Redactor:
    extra_headers: frozenset[str] = frozenset()
    extra_params: frozenset[str] = frozenset()
    receipts: list[dict[str, str]] = field(default_factory=list)
    _headers_seen: dict[str, bool] = field(default_factory=dict, repr=False)
    _params_seen: dict[str, bool] = field(default_factory=dict, repr=False)
    _name_parts: tuple[str, ...] | None = field(default=None, repr=False)

    @classmethod
    def for_project(cls, headers: Iterable[str] = (), params: Iterable[str] = ()) -> Redactor:
        return cls(
            frozenset(h.strip().lower() for h in headers if h),
            frozenset(p.strip().lower() for p in params if p),
        )

    # -- name rules ----------------------------------------------------------------------------
    # A report repeats the same few names hundreds of times (accept, content-type, page...):
    # each name is judged once per report.
    def header_is_sensitive(self, name: str) -> bool:
        hit = self._headers_seen.get(name)
        if hit is None:
            n = name.strip().lower()
            hit = (
                n in SENSITIVE_HEADERS or n in self.extra_headers or _FRAGMENT.search(n) is not None
            )
            self._headers_seen[name] = hit
        return hit

    def param_is_sensitive(self, name: str) -> bool:
        hit = self._params_seen.get(name)
        if hit is None:
            n = name.strip().lower()
            hit = (
                n in SENSITIVE_PARAMS
                or n in self.extra_params
                or n in self.extra_headers
                or _FRAGMENT.search(n) is not None
            )
            self._params_seen[name] = hit
        return hit

    def _holds_name(self, lower: str) -> bool:
        """Whether lower-case text holds anything that could be a sensitive name (built-in or
        the project's)."""
        if self._name_parts is None:
            extra = self.extra_headers | self.extra_params
            self._name_parts = _shortest({*_NAME_PARTS, *extra}) if extra else _NAME_PARTS
        return any(n in lower for n in self._name_parts)

    def _clean(self, path: str, text: str) -> str:
        """`_clean`, with a receipt entry (rule `invalid_text`) when a character was replaced, so
        a reader knows the stored text differs from what was captured."""
        out = _clean(text)
        if out is not text and out != text:
            self._note(path, "invalid_text")
        return out

    def _note(self, path: str, rule: str) -> None:
        receipt = {"path": path, "rule": rule}
        if receipt not in self.receipts:
            self.receipts.append(receipt)

    def _may_hold_secret(self, value: str, lower: str) -> bool:
        """Whether any free-text rule could match. Each rule runs only where its pattern could
        (most console lines hold no secret; intake walks hundreds of strings per report): a
        name=value pair can only be redacted if the text holds a sensitive name. No trigger spans
        a line break, so text that joins many values with newlines triggers if any value does."""
        return (
            "eyJ" in value
            or "bearer" in lower
            or "basic" in lower
            or "token" in lower
            or "://" in value
            or (("=" in value or ":" in value) and self._holds_name(lower))
        )

    def untouched(self, lines: str) -> bool:
        """True when `text` would return every line of `lines` unchanged (ASCII without NUL, no
        rule could match): callers check many values with one call."""
        return (
            lines.isascii()
            and "\x00" not in lines
            and not self._may_hold_secret(lines, lines.lower())
        )

    # -- values --------------------------------------------------------------------------------
    def text(self, path: str, value: str | None) -> str | None:
        """Free text (titles, messages, stacks, bodies): JWTs, bearer tokens, URLs, pairs."""
        if value is None:
            return None
        value = self._clean(path, value)
        lower = value.lower()
        if not self._may_hold_secret(value, lower):
            return value

        def jwt(m: re.Match[str]) -> str:
            self._note(path, "jwt")
            return f"{m.group(1)}.{MARKER}"

        def bearer(m: re.Match[str]) -> str:
            if m.group(2) == MARKER:
                return m.group(0)
            self._note(path, "bearer")
            return f"{m.group(1)} {MARKER}"

        def url(m: re.Match[str]) -> str:
            return self.url(path, m.group(0)) or ""

        def pair(m: re.Match[str]) -> str:
            if not self.param_is_sensitive(m.group("name")) or m.group("value") == MARKER:
                return m.group(0)
            if m.group("value").startswith(MARKER) or m.group("value").lower() in _SCHEMES:
                return m.group(0)
            self._note(path, "text_param")
            return f"{m.group('name')}{m.group('sep')}{m.group('q')}{MARKER}"

        if "eyJ" in value:
            value = _JWT.sub(jwt, value)
            lower = value.lower()
        if "bearer" in lower or "basic" in lower or "token" in lower:
            value = _BEARER.sub(bearer, value)
        if "://" in value:
            value = _URL.sub(url, value)
        if ":" in value or "=" in value:
            value = _PAIR.sub(pair, value)
        return value

    def url(self, path: str, value: str | None) -> str | None:
        if value is None:
            return None
        value = self._clean(path, value)
        if "?" not in value and "#" not in value and "@" not in value:
            return self._jwt_only(path, value)  # no query, fragment or credentials to redact
        try:
            parts = urlsplit(value)
        except ValueError:
            return self._jwt_only(path, value)
        query = self._params(path, parts.query)
        fragment = self._params(path, parts.fragment) if "=" in parts.fragment else parts.fragment
        netloc = parts.netloc
        if "@" in netloc:  # user:password@host
            creds, host = netloc.rsplit("@", 1)
            if ":" in creds:
                self._note(path, "query_param")
                netloc = f"{creds.split(':', 1)[0]}:{MARKER}@{host}"
        if query is parts.query and fragment is parts.fragment and netloc is parts.netloc:
            return self._jwt_only(path, value)  # nothing redacted: the URL as sent
        out = urlunsplit((parts.scheme, netloc, parts.path, query, fragment))
        return self._jwt_only(path, out)

    def _jwt_only(self, path: str, value: str) -> str:
        if "eyJ" not in value:
            return value

        def jwt(m: re.Match[str]) -> str:
            self._note(path, "jwt")
            return f"{m.group(1)}.{MARKER}"

        return _JWT.sub(jwt, value)

    def _params(self, path: str, query: str) -> str:
        if not query:
            return query
        if "%" not in query and not self._holds_name(query.lower()):
            return query  # no sensitive name, not even percent-encoded
        pairs = parse_qsl(query, keep_blank_values=True)
        if not pairs:
            return query
        out = []
        changed = False
        for k, v in pairs:
            if self.param_is_sensitive(k) and v and v != MARKER:
                self._note(path, "query_param")
                v, changed = MARKER, True
            out.append(f"{quote(k, safe='')}={quote(v, safe='[]') if v != MARKER else MARKER}")
        if not changed and ENCODED_MARKER in query.upper():
            # Already redacted by a client that percent-encoded the marker (URLSearchParams
            # does): store the readable marker, as for everything redacted here.
            changed = True
        return "&".join(out) if changed else query

    def headers(self, path: str, headers: dict[str, Any]) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, raw in headers.items():
            name = self._clean(path, str(name))
            sub = f"{path}.{name.lower()}"
            value = self._clean(sub, raw if isinstance(raw, str) else json.dumps(raw))
            low = name.lower()
            if low in ("cookie", "set-cookie"):
                self._note(sub, "cookie")
                out[name] = MARKER
            elif self.header_is_sensitive(name):
                self._note(sub, "header")
                out[name] = MARKER
            else:
                out[name] = self.text(sub, value) or ""
        return out

    def body(self, path: str, value: str | None) -> str | None:
        """A request/response body: JSON keys, form parameters, then the free-text rules."""
        if value is None:
            return None
        value = self._clean(path, value)
        stripped = value.strip()
        if stripped[:1] in ("{", "["):
            try:
                parsed = json.loads(stripped)
            except ValueError:
                parsed = None
            if parsed is not None:
                return json.dumps(self.json(path, parsed), ensure_ascii=False)
        if "=" in value and " " not in stripped and "\n" not in stripped:
            value = self._params(path, value)
        return self.text(path, value)

    def json(self, path: str, value: Any) -> Any:
        """Any JSON value: sensitive keys blanked, strings through the text rules."""
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for k, v in value.items():
                k = self._clean(path, str(k))
                sub = f"{path}.{k}"
                if (
                    self.param_is_sensitive(k)
                    and v not in (None, "", MARKER)
                    and not isinstance(v, (dict, list, bool))
                ):
                    self._note(sub, "json_key")
                    out[k] = MARKER
                else:
                    out[k] = self.json(sub, v)
            return out
        if isinstance(value, list):
            return [self.json(f"{path}[{i}]", v) for i, v in enumerate(value)]
        if isinstance(value, str):
            return self.text(path, value)
        return value
