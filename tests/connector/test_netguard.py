"""The outbound guard: what the default policy refuses, what the allowlist permits, that the
checked address is the one connected to, and the limits on provider answers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bugport.app import create_app
from bugport.connector.http import ProviderCallFailed, ProviderHttp
from bugport.connector.netguard import BlockedDestination, IPAddress, NetPolicy
from tests.conftest import assert_error, client_for, make_settings
from tests.connector.conftest import Stubs, start
from tests.fixtures.http_stub import StubServer
from tests.fixtures.providers import stub_settings
from tests.fixtures.users import make_tenant

BLOCKED = [
    "https://127.0.0.1/",
    "https://127.1.2.3:8443/x",
    "https://localhost/",
    "https://2130706433/",  # 127.0.0.1 written as one number
    "https://169.254.169.254/latest/meta-data/",  # cloud metadata
    "https://[fd00:ec2::254]/",  # AWS metadata over IPv6
    "https://100.100.100.200/",  # Alibaba metadata (shared address space)
    "https://10.0.0.1/",
    "https://172.16.5.4/",
    "https://192.168.1.1/",
    "https://0.0.0.0/",
    "https://224.0.0.1/",  # multicast
    "https://240.0.0.1/",  # reserved
    "https://[::1]/",
    "https://[fe80::1]/",
    "https://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
    "https://[::ffff:169.254.169.254]/",
    "https://[2002:7f00:1::]/",  # 6to4 wrapping 127.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 wrapping 169.254.169.254
    "https://[ff02::1]/",
]


@pytest.mark.parametrize("url", BLOCKED)
async def test_default_blocks_internal_addresses(url: str) -> None:
    with pytest.raises(BlockedDestination, match="non-public"):
        await NetPolicy().check(url)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://8.8.8.8/", "Only https"),
        ("ftp://8.8.8.8/", "Only https"),
        ("file:///etc/passwd", "Only https"),
        ("https://user:pw@8.8.8.8/", "credentials"),
        ("https:///nohost", "no host|malformed"),
    ],
)
async def test_default_blocks_bad_urls(url: str, why: str) -> None:
    with pytest.raises(BlockedDestination, match=why):
        await NetPolicy().check(url)


async def test_public_https_allowed_and_pinned() -> None:
    dest = await NetPolicy().check("https://8.8.8.8:444/p?q=1")
    assert dest.address == "8.8.8.8"
    assert str(dest.pinned_url) == "https://8.8.8.8:444/p?q=1"
    assert dest.host_header == "8.8.8.8:444"


class FakeDNS(NetPolicy):
    """A resolver we control, to test rules that depend on what a name resolves to."""

    def __init__(self, answers: dict[str, list[str]], allowlist: list[str] | None = None) -> None:
        super().__init__(allowlist or [])
        self.answers = answers

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        import ipaddress

        if host in self.answers:
            return [ipaddress.ip_address(a) for a in self.answers[host]]
        return await super().resolve(host, port)


async def test_every_resolved_address_is_checked() -> None:
    policy = FakeDNS({"mixed.example": ["93.184.216.34", "10.1.2.3"]})
    with pytest.raises(BlockedDestination, match="non-public"):
        await policy.check("https://mixed.example/")
    ok = await FakeDNS({"public.example": ["93.184.216.34"]}).check("https://public.example/")
    assert ok.address == "93.184.216.34" and ok.host == "public.example"
    assert ok.host_header == "public.example"


async def test_allowlist_by_cidr_and_host() -> None:
    by_cidr = NetPolicy(["10.0.0.0/8"])
    assert (await by_cidr.check("https://10.20.30.40/")).address == "10.20.30.40"
    assert (await by_cidr.check("http://10.20.30.40/")).address == "10.20.30.40"
    with pytest.raises(BlockedDestination):
        await by_cidr.check("https://192.168.0.1/")
    with pytest.raises(BlockedDestination, match="Only https"):
        await by_cidr.check("http://8.8.8.8/")  # http stays refused outside the allowlist
    by_host = FakeDNS({"jira.corp": ["10.9.9.9"]}, ["jira.corp"])
    assert (await by_host.check("https://jira.corp/")).address == "10.9.9.9"


async def test_request_connects_to_the_checked_address_with_the_original_host() -> None:
    """DNS-rebinding defence: the name is resolved once, checked, and the connection goes to
    that address (Host header keeps the name)."""
    with StubServer(lambda m, p, h, b: (200, {"host": h.get("host")})) as srv:
        port = srv.server.server_address[1]
        policy = FakeDNS({"tracker.test": ["127.0.0.1"]}, ["tracker.test"])
        http = ProviderHttp(policy=policy, timeout=3, max_bytes=10_000)
        resp = await http.request("Stub", "GET", f"http://tracker.test:{port}/x")
        assert resp.json() == {"host": f"tracker.test:{port}"}
        assert srv.requests[-1][1] == "/x"


async def test_blocked_destination_is_a_call_failure() -> None:
    http = ProviderHttp(policy=NetPolicy(), timeout=3, max_bytes=10_000)
    with pytest.raises(ProviderCallFailed, match="outbound network policy"):
        await http.request("Jira", "GET", "https://169.254.169.254/latest/meta-data/")


def _loopback_http(**kw: object) -> ProviderHttp:
    return ProviderHttp(policy=NetPolicy(["127.0.0.1"]), **{"timeout": 3, "max_bytes": 1000, **kw})  # type: ignore[arg-type]


async def test_redirects_are_not_followed() -> None:
    hits: list[str] = []

    def handler(m: str, p: str, h: dict[str, str], b: bytes) -> tuple[int, object]:
        hits.append(p)
        return 302, {"to": "http://169.254.169.254/"}

    with StubServer(handler) as srv:
        with pytest.raises(ProviderCallFailed, match="redirect"):
            await _loopback_http().request("GitHub", "GET", f"{srv.url}/user")
    assert hits == ["/user"]


async def test_response_size_is_capped() -> None:
    with StubServer(lambda m, p, h, b: (200, b"x" * 5000)) as srv:
        with pytest.raises(ProviderCallFailed, match="larger than 1000 bytes"):
            await _loopback_http().request("Linear", "GET", f"{srv.url}/graphql")


async def test_slow_provider_times_out() -> None:
    def slow(m: str, p: str, h: dict[str, str], b: bytes) -> tuple[int, object]:
        time.sleep(1.5)
        return 200, {}

    with StubServer(slow) as srv:
        with pytest.raises(ProviderCallFailed, match="did not answer within 0.3 s") as exc:
            await _loopback_http(timeout=0.3).request("Jira", "GET", f"{srv.url}/myself")
    assert exc.value.retryable


async def test_default_policy_blocks_loopback_providers_end_to_end(
    backend_url: tuple[str, str], tmp_root: Path, stubs: Stubs
) -> None:
    """Provider URLs pointing at loopback, no allowlist: the callback never reaches the stub."""
    overrides = stub_settings(stubs.github, stubs.linear, stubs.jira)
    overrides["connector_net_allowlist"] = []
    app = create_app(make_settings(backend_url[1], tmp_root / "data-guard", **overrides))
    try:
        async with client_for(app) as c:
            t = await make_tenant(c, app.state.settings)
            s = await start(c, t.admin, "github", t.workspace_id)
            code = stubs.github.grant(s["authorize_url"])
            n = len(stubs.github.requests)
            r = await c.post(
                "/v1/connectors/github/oauth/callback",
                json={"code": code, "state": s["state"]},
                headers=t.admin.headers,
            )
            err = assert_error(r, 502, "upstream_error")
            assert "outbound network policy" in err["message"]
            assert len(stubs.github.requests) == n
    finally:
        await app.state.engine.dispose()
