"""Outbound-request guard (SSRF): decides whether BugPort may call a URL, and pins the address.

Rules, applied to every provider URL whether it comes from settings or from a provider's answer:
- `https` only; no credentials in the URL.
- The host is resolved once and EVERY resolved address must be public: private, loopback,
  link-local (cloud metadata lives at 169.254.169.254 / fd00:ec2::254), shared (100.64/10),
  multicast, reserved, unspecified and documentation ranges are refused, including IPv4 addresses
  embedded in IPv6 (mapped, 6to4, Teredo, NAT64).
- The request then connects to the address that was checked (the Host header and TLS SNI keep the
  name), so a DNS answer that changes between check and connect (rebinding) can't redirect it.
- An explicit allowlist (hosts or CIDRs) lets operators reach on-prem trackers and tests reach
  loopback stubs; an allowlisted destination may also use plain http.
Redirects are never followed (see connector/http.py).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedDestination(Exception):
    """The URL is not allowed by the outbound policy; the message is safe to show."""


@dataclass(frozen=True)
class Destination:
    url: httpx.URL  # what the caller asked for
    host: str  # the name (Host header, TLS SNI)
    address: str  # the checked address we connect to

    @property
    def pinned_url(self) -> httpx.URL:
        return self.url.copy_with(host=self.address)

    @property
    def host_header(self) -> str:
        default = {"https": 443, "http": 80}[self.url.scheme]
        port = self.url.port
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if port in (None, default) else f"{host}:{port}"


def _embedded_v4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    out = []
    if ip.ipv4_mapped is not None:
        out.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        out.append(ip.sixtofour)
    if ip.teredo is not None:
        out.extend(ip.teredo)
    if ip in _NAT64:
        out.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return out


def is_public(ip: IPAddress) -> bool:
    """True only for globally routable unicast addresses (and their IPv6 embeddings)."""
    if (
        not ip.is_global
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_private
    ):
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        return all(is_public(v4) for v4 in _embedded_v4(ip))
    return True


class NetPolicy:
    def __init__(self, allowlist: Iterable[str] = ()) -> None:
        self.networks: list[IPNetwork] = []
        self.hosts: set[str] = set()
        for entry in allowlist:
            entry = entry.strip().lower()
            if not entry:
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.hosts.add(entry.rstrip("."))

    def _allowlisted(self, host: str, ips: list[IPAddress]) -> bool:
        if host in self.hosts:
            return True
        return bool(ips) and all(any(ip in net for net in self.networks) for ip in ips)

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise BlockedDestination(f"The host {host} could not be resolved.") from exc
        ips: list[IPAddress] = []
        for info in infos:
            # Drop any IPv6 zone id ("fe80::1%eth0"): the address itself decides.
            raw = str(info[4][0]).split("%", 1)[0]
            ip = ipaddress.ip_address(raw)
            if ip not in ips:
                ips.append(ip)
        if not ips:
            raise BlockedDestination(f"The host {host} could not be resolved.")
        return ips

    async def check(self, url: str | httpx.URL) -> Destination:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise BlockedDestination("The URL is malformed.") from exc
        if parsed.scheme not in ("https", "http"):
            raise BlockedDestination("Only https URLs are allowed.")
        if parsed.userinfo:
            raise BlockedDestination("URLs with credentials are not allowed.")
        host = (parsed.host or "").lower().rstrip(".")
        if not host:
            raise BlockedDestination("The URL has no host.")
        if parsed.scheme == "http" and not (self.hosts or self.networks):
            raise BlockedDestination("Only https URLs are allowed.")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        ips = await self.resolve(host, port)
        allowlisted = self._allowlisted(host, ips)
        if parsed.scheme == "http" and not allowlisted:
            raise BlockedDestination("Only https URLs are allowed.")
        if not allowlisted:
            for ip in ips:
                if not is_public(ip):
                    raise BlockedDestination(
                        f"The host {host} resolves to a non-public address; "
                        "add it to BUGPORT_CONNECTOR_NET_ALLOWLIST if this is intended."
                    )
        return Destination(url=parsed, host=host, address=str(ips[0]))
