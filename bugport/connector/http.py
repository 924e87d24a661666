"""The one way connector code talks to a provider: guarded destination, pinned address, timeouts,
no redirects, a response size cap, and failures turned into safe, human reasons."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from bugport.config import Settings
from bugport.connector.netguard import BlockedDestination, NetPolicy

log = logging.getLogger("bugport.connector")


class ProviderCallFailed(Exception):
    """A provider call failed. `reason` is written by us (never the provider's raw body) and is
    safe to show; `auth` means the credential was rejected; `retryable` marks transient faults."""

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        auth: bool = False,
        retryable: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.auth = auth
        self.retryable = retryable


@dataclass
class ProviderResponse:
    status: int
    headers: httpx.Headers
    body: bytes
    provider: str = ""

    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError as exc:
            raise ProviderCallFailed(
                f"{self.provider} answered with a body that is not JSON.", status=self.status
            ) from exc


@dataclass
class ProviderHttp:
    policy: NetPolicy
    timeout: float
    max_bytes: int
    transport: httpx.AsyncBaseTransport | None = field(default=None, repr=False)
    shared_transport: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ProviderHttp:
        return cls(
            policy=NetPolicy(settings.connector_net_allowlist),
            timeout=settings.connector_timeout_seconds,
            max_bytes=settings.connector_max_response_bytes,
        )

    async def request(
        self,
        provider: str,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        content: bytes | None = None,
        auth: tuple[str, str] | None = None,
    ) -> ProviderResponse:
        """`content`: a body sent byte for byte (a signed webhook payload)."""
        try:
            dest = await self.policy.check(url)
        except BlockedDestination as exc:
            raise ProviderCallFailed(
                f"{provider} can't be reached: {exc} (outbound network policy)"
            ) from exc
        # identity encoding: the size cap then bounds what we decode, not only what we receive.
        hdrs = {
            "Accept": "application/json",
            "Accept-Encoding": "identity",
            "User-Agent": "BugPort-Connector/1",
        }
        hdrs.update(headers or {})
        hdrs["Host"] = dest.host_header
        extensions = {"sni_hostname": dest.host} if dest.url.scheme == "https" else {}
        client = httpx.AsyncClient(
            timeout=self.timeout,
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment can route around the guard
            transport=self.transport,
        )
        try:
            req = client.build_request(
                method,
                dest.pinned_url,
                headers=hdrs,
                json=json_body,
                data=form,
                content=content,
                extensions=extensions,
            )
            resp = await client.send(req, stream=True, auth=auth)
            try:
                body = await self._read_capped(provider, resp)
            finally:
                await resp.aclose()
        except httpx.TimeoutException as exc:
            raise ProviderCallFailed(
                f"{provider} did not answer within {self.timeout:g} s.", retryable=True
            ) from exc
        except httpx.HTTPError as exc:
            log.info("provider call failed", extra={"provider": provider, "error": repr(exc)})
            raise ProviderCallFailed(f"{provider} could not be reached.", retryable=True) from exc
        finally:
            if not self.shared_transport:  # a pool shared between calls stays open
                await client.aclose()
        if 300 <= resp.status_code < 400:
            # A redirect could point anywhere (an internal address included): never followed.
            raise ProviderCallFailed(
                f"{provider} answered with a redirect ({resp.status_code}), which is not followed.",
                status=resp.status_code,
            )
        return ProviderResponse(resp.status_code, resp.headers, body, provider)

    async def _read_capped(self, provider: str, resp: httpx.Response) -> bytes:
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise ProviderCallFailed(
                f"{provider}'s answer is larger than {self.max_bytes} bytes.",
                status=resp.status_code,
            )
        chunks: list[bytes] = []
        total = 0
        async for chunk in resp.aiter_bytes():
            total += len(chunk)
            if total > self.max_bytes:
                raise ProviderCallFailed(
                    f"{provider}'s answer is larger than {self.max_bytes} bytes.",
                    status=resp.status_code,
                )
            chunks.append(chunk)
        return b"".join(chunks)


def status_failure(provider: str, resp: ProviderResponse, what: str) -> ProviderCallFailed:
    """A non-2xx answer as a safe reason: the status and what it usually means, nothing else."""
    s = resp.status
    if s == 401:
        return ProviderCallFailed(
            f"{provider} rejected the connection's token (401) while {what}; reconnect.",
            status=s,
            auth=True,
        )
    if s == 403:
        return ProviderCallFailed(
            f"{provider} refused access (403) while {what}; check the granted scopes and "
            "the account's permissions.",
            status=s,
        )
    if s == 404:
        return ProviderCallFailed(
            f"{provider} found nothing at the target (404) while {what}; check the mapping "
            "and that the account can see it.",
            status=s,
        )
    if s == 429:
        return ProviderCallFailed(
            f"{provider} rate-limited the request (429) while {what}.", status=s, retryable=True
        )
    if s >= 500:
        return ProviderCallFailed(
            f"{provider} failed ({s}) while {what}.", status=s, retryable=True
        )
    return ProviderCallFailed(f"{provider} refused the request ({s}) while {what}.", status=s)
