"""A report's failure fingerprint, from what it captured (no database, no network).

Two normalised parts, each kept on the bug for "shares the failing request / the error":

- `request`: the first failing network request, same-site first (a failed third-party beacon is
  the least telling failure on a page; one the visitor's blocker stopped is no failure at all):
  `METHOD /path/with/:id → 5xx`. Query and fragment go; path segments that vary per call
  (numbers, UUIDs, hashes, long tokens, emails, content slugs) become `:id`.
- `error`: the first console error that says something (not a cross-origin "Script error.", not
  the benign ResizeObserver notice), its message with the volatile parts normalised (URLs,
  quoted values, numbers, ids), the browsers' own wordings of the common TypeErrors, failed
  fetches, failed lazy imports and DOMExceptions folded into one, plus the top in-app stack frame
  (function and file, hash-free, no line numbers, no minified names) when the stack has one.

The fingerprint is the hash of the page's own failing request when there is one (a failing
request reads the same in every browser), else of the error part, else of another site's failing
request; a report with none of these has no fingerprint. The rule is documented in
docs/similar.md; bench/similar/ measures it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

MAX_PART = 300

_UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.I)
_HEX = re.compile(r"^[0-9a-f]{8,}$", re.I)
_NUMERIC = re.compile(r"^[+-]?\d[\d_.,:-]*$")
_MIXED_TOKEN = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_-]{12,}$")
_EMAILISH = re.compile(r"^[^@/]+@[^@/]+$")
_PREFIXED_ID = re.compile(r"^[a-z]{1,6}[_-][A-Za-z0-9]{6,}$")  # cus_9s8d7f, ord-7F3kq9
# A content slug: three words or more joined by hyphens (blue-cotton-tshirt); route names are
# one or two words (shipping-rates, sync-jobs).
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+){2,}$")


def _volatile_segment(seg: str) -> bool:
    return bool(
        _NUMERIC.match(seg)
        or _UUID.match(seg)
        or (_HEX.match(seg) and any(c.isdigit() for c in seg))
        or _MIXED_TOKEN.match(seg)
        or _EMAILISH.match(seg)
        or (_PREFIXED_ID.match(seg) and any(c.isdigit() for c in seg))
        or (len(seg) >= 12 and _SLUG.match(seg))
    )


def normalise_path(url: str) -> str:
    try:
        path = urlsplit(url).path or "/"
    except ValueError:
        path = url.split("?", 1)[0].split("#", 1)[0]
    segments = [":id" if _volatile_segment(s) else s.lower() for s in path.split("/")]
    path = "/".join(segments)
    if len(path) > 1:
        path = path.rstrip("/")
    return path or "/"


def status_class(status: int | None) -> str:
    if not status:
        return "no response"
    return f"{status // 100}xx"


def _host(url: str | None) -> str:
    if not url:
        return ""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _same_site(a: str, b: str) -> bool:
    """Same host, or the same last two labels (app.example.com and api.example.com)."""
    if not a or not b:
        return not a  # a relative URL is the page's own site
    return a == b or a.split(".")[-2:] == b.split(".")[-2:]


# A request the browser's ad/tracker blocker stopped: the visitor's choice, not a failure.
_BLOCKED = re.compile(r"ERR_BLOCKED_BY_CLIENT|blocked by client|NS_ERROR_CONTENT_BLOCKED", re.I)


def _failing_request(
    network: list[dict[str, Any]], page_url: str | None
) -> tuple[dict[str, Any] | None, bool]:
    """The first failing request, same-site first, and whether it is the page's own site."""
    first: dict[str, Any] | None = None
    page_host: str | None = None
    for n in network:  # one pass, stopping at the first of the page's own (intake's hot path)
        if not n.get("failed") or (n.get("error") and _BLOCKED.search(str(n["error"]))):
            continue
        if page_host is None:
            page_host = _host(page_url)
        if _same_site(_host(n.get("url")), page_host):
            return n, True
        first = first or n
    return first, False


def _request_text(entry: dict[str, Any]) -> str:
    method = str(entry.get("method") or "GET").upper()
    path = normalise_path(str(entry.get("url") or ""))
    return f"{method} {path} → {status_class(entry.get('status'))}"[:MAX_PART]


def request_part(network: list[dict[str, Any]], page_url: str | None) -> str | None:
    entry, _ = _failing_request(network, page_url)
    return _request_text(entry) if entry is not None else None


# The same TypeError as Chrome, Firefox and Safari word it, folded into Chrome's wording.
_TYPE_ERRORS = [
    # Chrome: Cannot read properties of undefined (reading 'total')
    (
        re.compile(
            r"cannot read propert(?:y|ies) of (undefined|null) \(reading ['\"]([^'\"]+)['\"]\)",
            re.I,
        ),
        r"cannot read properties of \1 (reading <\2>)",
    ),
    # Chrome (older): Cannot read property 'total' of undefined
    (
        re.compile(r"cannot read property ['\"]([^'\"]+)['\"] of (undefined|null)", re.I),
        r"cannot read properties of \2 (reading <\1>)",
    ),
    # Firefox: can't access property "total", cart is undefined
    (
        re.compile(
            r"can't access property ['\"]([^'\"]+)['\"],? [\w$.\[\]]+ is (undefined|null)", re.I
        ),
        r"cannot read properties of \2 (reading <\1>)",
    ),
    # Firefox (older): cart.total is undefined / cart is null
    (
        re.compile(r"^(?:typeerror: )?[\w$]+(?:\.[\w$]+)*\.([\w$]+) is (undefined|null)$", re.I),
        r"cannot read properties of \2 (reading <\1>)",
    ),
    # Safari: undefined is not an object (evaluating 'cart.total'), also 'rates[code].symbol'
    (
        re.compile(
            r"(undefined|null) is not an object \(evaluating ['\"](?:[\w$\[\]]+\.)*([\w$]+)['\"]\)",
            re.I,
        ),
        r"cannot read properties of \1 (reading <\2>)",
    ),
    # x is not a function: Chrome "a.b is not a function", Safari "a.b is not a function. (In 'a.b()', 'a.b' is undefined)"
    (re.compile(r"([\w$]+(?:\.[\w$]+)*) is not a function.*", re.I), r"<\1> is not a function"),
    # A fetch that got no response: Chrome, Firefox, Safari.
    (
        re.compile(
            r"^(?:failed to fetch|networkerror when attempting to fetch resource\.?|load failed)$",
            re.I,
        ),
        "failed to fetch",
    ),
    # A lazy module that did not load (Vite/ESM): Chrome, Firefox, Safari (Safari names no URL).
    (
        re.compile(
            r"^(?:failed to fetch|error loading) dynamically imported module\b.*$"
            r"|^importing a module script failed\.?$",
            re.I,
        ),
        "failed to fetch dynamically imported module",
    ),
]
# DOMExceptions whose message each browser words its own way: the name says it all. (Not
# NotFoundError or InvalidStateError: apps name their own errors so, with their own messages.)
_DOM_EXCEPTIONS = frozenset(
    "QuotaExceededError NotAllowedError AbortError SecurityError NotSupportedError".split()
)
# Reports a page can't act on: a cross-origin script's hidden error, a benign browser notice.
_UNINFORMATIVE = re.compile(
    r"^(?:uncaught )?(?:script error\.?|resizeobserver loop (?:limit exceeded|completed with "
    r"undelivered notifications\.?))$",
    re.I,
)
_PROMISE_PREFIX = re.compile(
    r"^(?:uncaught (?:\(in promise\) )?|unhandled promise rejection: |unhandledrejection: )", re.I
)
# An error code that names the error (React's "Minified React error #185"): kept.
_ERROR_CODE = re.compile(r"(\berror #)(\d+)", re.I)
_ERROR_NAME = re.compile(r"^([A-Z]\w*(?:Error|Exception)): (.*)$")
_URL = re.compile(r"\b(?:https?|wss?|file|blob|data):[^\s'\"<>)]*", re.I)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
_UUID_ANY = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_HEX_ANY = re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b", re.I)
_TOKEN_ANY = re.compile(r"\b(?=[A-Za-z_-]*\d)(?=[\d_-]*[A-Za-z])[A-Za-z0-9_-]{12,}\b")
_NUMBER_ANY = re.compile(r"(?<![\w<])[+-]?\d+(?:[.,:]\d+)*(?![\w>])")
_SPACE = re.compile(r"\s+")


def normalise_message(message: str) -> str:
    # Some captures carry the stack inside the message: its first line is the message.
    lines = message.strip().splitlines()
    text = _SPACE.sub(" ", lines[0]).strip() if lines else ""
    text = _PROMISE_PREFIX.sub("", text)
    named = _ERROR_NAME.match(text)
    name, text = (named.group(1), named.group(2)) if named else ("", text)
    if name in _DOM_EXCEPTIONS:
        return name.lower()
    for pattern, repl in _TYPE_ERRORS:
        folded = pattern.sub(repl, text)
        if folded != text:
            text, name = folded, name or "TypeError"
            break
    text = f"{name}: {text}" if name else text
    text = _URL.sub("<url>", text)
    # Placeholders made above survive; other quoted values are data.
    text = _QUOTED.sub(lambda m: m.group(0) if m.group(0).startswith("<") else "<str>", text)
    text = _UUID_ANY.sub("<id>", text)
    text = _HEX_ANY.sub("<id>", text)
    text = _TOKEN_ANY.sub("<id>", text)
    text = _ERROR_CODE.sub(r"\1<code\2>", text)
    text = _NUMBER_ANY.sub("<n>", text)
    text = text.replace("<code", "<")
    return text.lower()[:200]


# Chrome: "    at addToCart (https://shop.test/assets/app.3f9a1c.js:10:5)" or "at https://…:1:2"
_CHROME_FRAME = re.compile(r"^\s*at (?:(?:async )?([^\s(]+) \()?(.+?)(?::\d+)?(?::\d+)?\)?$")
# Firefox / Safari: "addToCart@https://shop.test/assets/app.3f9a1c.js:10:5"
_GECKO_FRAME = re.compile(r"^\s*([^@\s]*)@(.+?)(?::\d+)?(?::\d+)?$")
_VENDOR = re.compile(
    r"node_modules|/vendor[s~.-]|chunk-vendors|/@vite/|webpack/bootstrap|react-dom|"
    r"\bextension://|<anonymous>|native code|^\[native",
    re.I,
)
_BUNDLE_HASH = re.compile(
    r"[.-][0-9a-f]{6,}(?=(?:\.chunk)?\.\w+$)|[.-][A-Za-z0-9_-]{8}(?=(?:\.chunk)?\.(?:js|mjs)$)"
)
# A minifier's name (e, Xe, qt): other in every build, so it says nothing.
_MINIFIED = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]?$")


def _frame_file(location: str) -> str:
    try:
        path = urlsplit(location).path or location
    except ValueError:
        path = location
    name = path.rsplit("/", 1)[-1]
    if not name or _NUMERIC.match(name):
        return ""
    return _BUNDLE_HASH.sub("", name).lower()


def top_frame(stack: str | None) -> str | None:
    """The first stack frame that is the app's own code: `function@file` or `file`."""
    if not stack:
        return None
    for line in stack.splitlines()[:50]:
        m = (
            _CHROME_FRAME.match(line)
            if line.lstrip().startswith("at ")
            else _GECKO_FRAME.match(line)
        )
        if not m:
            continue
        func, location = (m.group(1) or "").strip(), (m.group(2) or "").strip()
        if not location or _VENDOR.search(location):
            continue
        file = _frame_file(location)
        if not file:
            continue
        # Firefox marks async callers `async*fn` and inner closures `fn/<`; Chrome `Class.fn`.
        func = func.rsplit("*", 1)[-1].split("/", 1)[0] if func else ""
        func = func.split(".")[-1] if func else ""
        if func in {"<anonymous>", "Object", "anonymous", "eval", "global code"}:
            func = ""
        if _MINIFIED.match(func):
            func = ""
        return f"{func}@{file}" if func else file
    return None


def error_part(logs: list[dict[str, Any]]) -> str | None:
    for entry in logs:
        if entry.get("level") != "error":
            continue
        message = normalise_message(str(entry.get("message") or ""))
        if not message or _UNINFORMATIVE.match(message):
            continue
        frame = top_frame(entry.get("stack"))
        return (f"{message} @ {frame}" if frame else message)[:MAX_PART]
    return None


@dataclass(frozen=True)
class Fingerprint:
    hash: str | None
    request: str | None
    error: str | None

    def columns(self) -> dict[str, str | None]:
        return {"fingerprint": self.hash, "fp_request": self.request, "fp_error": self.error}


def digest(kind: str, part: str) -> str:
    return hashlib.sha256(f"{kind}\n{part}".encode()).hexdigest()[:32]


def of_captures(
    logs: list[dict[str, Any]], network: list[dict[str, Any]], page_url: str | None
) -> Fingerprint:
    """The page's own failing request, else the console error, else another site's failing
    request (a third-party failure tells less than the page's own error)."""
    entry, own = _failing_request(network, page_url)
    request = _request_text(entry) if entry is not None else None
    error = error_part(logs)
    if request is not None and (own or error is None):
        return Fingerprint(digest("request", request), request, error)
    if error is not None:
        return Fingerprint(digest("error", error), request, error)
    return Fingerprint(None, None, None)
