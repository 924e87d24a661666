"""Allowed origins of a widget key: parsing, normalising and matching (docs/widget.md).

An entry is either exact, `scheme://host[:port]`, or a wildcard, `scheme://*.domain[:port]`.
Both are normalised the same way before they are stored or compared: scheme and host lowercased,
the scheme's default port dropped (`https://a.com:443` == `https://a.com`), a lone trailing `/`
dropped. Nothing else may follow the authority (no path, query, fragment or user info).

Matching is by exact string equality of the normalised form, so scheme, host and port must all
agree. A wildcard matches a host that ends in `.domain` and has one or more extra non-empty
labels in front (`a.example.com`, `a.b.example.com`), never `domain` itself; scheme and port must
still agree. The wildcard must be the whole leftmost label and `domain` must have at least two
labels (`https://*.com` is refused)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_AUTHORITY = re.compile(
    r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<host>\[[0-9a-f:.]+\]|[^/:?#@\[\]]+)(?::(?P<port>[0-9]{1,5}))?$"
)


class OriginError(ValueError):
    pass


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str  # lowercase; IPv6 literals keep their brackets
    port: int | None  # None when it is the scheme's default
    wildcard: bool = False

    def __str__(self) -> str:
        host = f"*.{self.host}" if self.wildcard else self.host
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{host}{port}"


def _check_host(host: str, *, wildcard_base: bool) -> None:
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError as exc:
            raise OriginError("the IPv6 address is invalid") from exc
        if wildcard_base:
            raise OriginError("a wildcard needs a domain name, not an IP address")
        return
    labels = host.split(".")
    if not all(_LABEL.match(label) for label in labels):
        raise OriginError(f"'{host}' is not a valid host name")
    if wildcard_base:
        if len(labels) < 2:
            raise OriginError("a wildcard needs a domain of at least two labels (*.example.com)")
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return
        raise OriginError("a wildcard needs a domain name, not an IP address")


def parse(value: str, *, allow_wildcard: bool = False) -> Origin:
    """Parse and normalise one origin; raises OriginError with a reason a person can act on."""
    raw = value.strip()
    if raw.endswith("/") and raw.count("/") == 3:
        raw = raw[:-1]  # "https://app.example.com/" is a common paste; the slash carries nothing
    m = _AUTHORITY.match(raw.lower())
    if not m:
        raise OriginError(
            "use scheme://host[:port] with nothing after it (no path, query or user info)"
        )
    scheme, host, port_s = m["scheme"], m["host"], m["port"]
    if scheme not in DEFAULT_PORTS:
        raise OriginError("the scheme must be http or https")
    wildcard = False
    if "*" in host:
        if not allow_wildcard or not host.startswith("*.") or "*" in host[2:]:
            raise OriginError(
                "a wildcard is allowed only as the whole leftmost label: *.example.com"
            )
        wildcard, host = True, host[2:]
    _check_host(host, wildcard_base=wildcard)
    port: int | None = None
    if port_s is not None:
        port = int(port_s)
        if not 0 < port < 65536:
            raise OriginError("the port must be between 1 and 65535")
        if port == DEFAULT_PORTS[scheme]:
            port = None
    return Origin(scheme, host, port, wildcard)


def normalise_allowed(values: list[str]) -> list[str]:
    """Validated, normalised, de-duplicated (order kept) for storage."""
    out: list[str] = []
    for v in values:
        s = str(parse(v, allow_wildcard=True))
        if s not in out:
            out.append(s)
    return out


def request_origin(header: str | None) -> Origin | None:
    """The browser's Origin header, or None when it is missing, `null` or not a web origin."""
    if not header or header.strip().lower() == "null":
        return None
    try:
        return parse(header)
    except OriginError:
        return None


def matches(origin: Origin, allowed: str) -> bool:
    try:
        rule = parse(allowed, allow_wildcard=True)
    except OriginError:
        return False
    if (origin.scheme, origin.port) != (rule.scheme, rule.port):
        return False
    if not rule.wildcard:
        return origin.host == rule.host
    prefix = origin.host[: -len(rule.host) - 1]
    return origin.host.endswith("." + rule.host) and bool(prefix) and not prefix.endswith(".")


def allowed(header: str | None, allowed_origins: list[str]) -> bool:
    origin = request_origin(header)
    return origin is not None and any(matches(origin, a) for a in allowed_origins)
