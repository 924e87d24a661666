"""The client's IP. X-Forwarded-For is honoured only when the direct peer is a configured proxy."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(ip: str, nets: Iterable[Network]) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(addr in n for n in nets)


def client_ip(scope: Scope, trusted_proxies: list[str]) -> str:
    peer = (scope.get("client") or ("unknown", 0))[0]
    if not trusted_proxies:
        return peer
    nets = _networks(tuple(trusted_proxies))
    if not _trusted(peer, nets):
        return peer
    xff = ""
    for k, v in scope.get("headers", []):
        if k == b"x-forwarded-for":
            xff = f"{xff},{v.decode('latin-1')}" if xff else v.decode("latin-1")
    # Walk from the right: the first hop that is not one of our proxies is the client.
    hops = [h.strip() for h in xff.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, nets):
            return hop
    return hops[0] if hops else peer
