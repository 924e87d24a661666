"""Logs and network captures: reading, filters, size limits."""

from __future__ import annotations

import httpx

from tests.bug.helpers import bug_body, create
from tests.conftest import assert_error
from tests.fixtures.users import Tenant

LOGS = [
    {"level": "info", "message": "boot", "source": "https://app.example.com/main.js:1"},
    {"level": "warn", "message": "deprecated", "args": [{"api": "v1"}, 3]},
    {
        "level": "error",
        "message": "TypeError",
        "stack": "at f (a.js:1:2)",
        "timestamp": "2026-11-28T10:00:00.5Z",
    },
    {"level": "error", "message": "Unhandled rejection"},
]
NETWORK = [
    {
        "method": "get",
        "url": "https://api.example.com/a",
        "status": 200,
        "timing": {"duration": 12.5},
        "response_size": 10,
    },
    {"method": "POST", "url": "https://api.example.com/b", "status": 404},
    {"method": "POST", "url": "https://api.example.com/c", "status": 503, "response_body": "down"},
    {"method": "GET", "url": "https://api.example.com/d", "error": "net::ERR_CONNECTION_RESET"},
]


class TestLogs:
    async def test_read_and_filter(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        bug = await create(client, tenant_a, logs=LOGS, network=[])
        url = f"/v1/bugs/{bug['id']}/logs"
        assert_error(await client.get(url), 401, "unauthorized")
        assert_error(await client.get(url, headers=tenant_b.owner.headers), 404, "not_found")
        r = await client.get(url, headers=tenant_a.viewer.headers)
        data = r.json()["data"]
        assert [x["message"] for x in data] == [
            "boot",
            "deprecated",
            "TypeError",
            "Unhandled rejection",
        ]
        assert data[1]["args"] == [{"api": "v1"}, 3]
        assert (
            data[2]["timestamp"] == "2026-11-28T10:00:00.500Z"
            and data[2]["stack"] == "at f (a.js:1:2)"
        )
        assert data[0]["source"] == "https://app.example.com/main.js:1"
        r = await client.get(url, params={"level": "error"}, headers=tenant_a.viewer.headers)
        assert [x["message"] for x in r.json()["data"]] == ["TypeError", "Unhandled rejection"]
        r = await client.get(
            url, params={"level": ["warn", "info"]}, headers=tenant_a.viewer.headers
        )
        assert len(r.json()["data"]) == 2
        r = await client.get(url, params={"limit": 3}, headers=tenant_a.viewer.headers)
        page = r.json()
        assert len(page["data"]) == 3 and page["next_cursor"]
        r = await client.get(
            url, params={"cursor": page["next_cursor"]}, headers=tenant_a.viewer.headers
        )
        assert [x["message"] for x in r.json()["data"]] == ["Unhandled rejection"]
        assert_error(
            await client.get(url, params={"level": "fatal"}, headers=tenant_a.viewer.headers),
            422,
            "validation_error",
            "query.level.0",
        )


async def test_filtered_pages_cursors_and_entry_ids(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    """Entries are paged by position after the filter; a page's cursor belongs to its list; an
    entry's id is the same on every read and unique across entries and bugs."""
    bug = await create(client, tenant_a, logs=LOGS, network=NETWORK)
    other = await create(client, tenant_a, logs=LOGS, network=NETWORK)
    h = tenant_a.viewer.headers
    url = f"/v1/bugs/{bug['id']}/logs"
    seen, cursor = [], None
    while True:
        params: dict[str, object] = {"level": "error", "limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(url, params=params, headers=h)).json()
        seen += [(x["position"], x["message"]) for x in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [(2, "TypeError"), (3, "Unhandled rejection")]
    first = (await client.get(url, params={"limit": 1}, headers=h)).json()
    assert_error(
        await client.get(
            f"/v1/bugs/{bug['id']}/network", params={"cursor": first["next_cursor"]}, headers=h
        ),
        400,
        "invalid_cursor",
    )
    ids = []
    for b in (bug, other):
        for kind in ("logs", "network"):
            once = (await client.get(f"/v1/bugs/{b['id']}/{kind}", headers=h)).json()["data"]
            again = (await client.get(f"/v1/bugs/{b['id']}/{kind}", headers=h)).json()["data"]
            assert [x["id"] for x in once] == [x["id"] for x in again]
            ids += [x["id"] for x in once]
    assert len(ids) == len(set(ids)) == 2 * (len(LOGS) + len(NETWORK))


async def test_timestamps_with_an_offset_or_none_are_stored_as_utc(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    logs = [
        {"message": "offset", "timestamp": "2026-11-28T11:30:00+01:30"},
        {"message": "naive", "timestamp": "2026-11-28T10:00:00"},
    ]
    network = [
        {"method": "GET", "url": "https://a.test/", "started_at": "2026-11-28T05:00:00-05:00"}
    ]
    bug = await create(client, tenant_a, logs=logs, network=network)
    h = tenant_a.viewer.headers
    data = (await client.get(f"/v1/bugs/{bug['id']}/logs", headers=h)).json()["data"]
    assert [x["timestamp"] for x in data] == ["2026-11-28T10:00:00.000Z"] * 2
    data = (await client.get(f"/v1/bugs/{bug['id']}/network", headers=h)).json()["data"]
    assert data[0]["started_at"] == "2026-11-28T10:00:00.000Z"


class TestNetwork:
    async def test_read_and_filter(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        bug = await create(client, tenant_a, logs=[], network=NETWORK)
        assert bug["failed_request_count"] == 3
        url = f"/v1/bugs/{bug['id']}/network"
        assert_error(await client.get(url), 401, "unauthorized")
        assert_error(await client.get(url, headers=tenant_b.owner.headers), 404, "not_found")
        h = tenant_a.viewer.headers
        data = (await client.get(url, headers=h)).json()["data"]
        assert [x["url"][-1] for x in data] == ["a", "b", "c", "d"]
        assert (
            data[0]["method"] == "GET"
            and data[0]["timing"] == {"duration": 12.5}
            and not data[0]["failed"]
        )
        assert data[3]["status"] is None and data[3]["error"] == "net::ERR_CONNECTION_RESET"

        async def urls(**params: object) -> str:
            r = await client.get(url, params=params, headers=h)
            assert r.status_code == 200, r.text
            return "".join(x["url"][-1] for x in r.json()["data"])

        assert await urls(failed=True) == "bcd"
        assert await urls(failed=False) == "a"
        assert await urls(method="post") == "bc"
        assert await urls(status_min=400, status_max=499) == "b"
        assert await urls(status_min=500) == "c"
        assert_error(
            await client.get(url, params={"status_min": -1}, headers=h),
            422,
            "validation_error",
            "query.status_min",
        )


class TestSizeLimits:
    async def test_request_over_limit_is_413_before_parsing(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        body = bug_body(tenant_a, description="x" * (5 * 1024 * 1024))
        r = await client.post("/v1/bugs", json=body, headers=tenant_a.member.headers)
        assert_error(r, 413, "payload_too_large")

    async def test_counts_and_lengths_are_422_naming_the_field(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        h = tenant_a.member.headers
        r = await client.post(
            "/v1/bugs", json=bug_body(tenant_a, logs=[{"message": "x"}] * 1001), headers=h
        )
        assert_error(r, 422, "validation_error", "body.logs")
        r = await client.post(
            "/v1/bugs",
            json=bug_body(tenant_a, network=[{"method": "GET", "url": "https://a"}] * 501),
            headers=h,
        )
        assert_error(r, 422, "validation_error", "body.network")
        r = await client.post(
            "/v1/bugs",
            json=bug_body(tenant_a, logs=[{"message": "ok"}, {"message": "x" * 10_001}]),
            headers=h,
        )
        assert_error(r, 422, "validation_error", "body.logs.1.message")
        big = {"method": "GET", "url": "https://a", "response_body": "x" * 65_537}
        r = await client.post("/v1/bugs", json=bug_body(tenant_a, network=[big]), headers=h)
        assert_error(r, 422, "validation_error", "body.network.0.response_body")
        headers = {f"h{i}": "v" for i in range(101)}
        r = await client.post(
            "/v1/bugs",
            json=bug_body(
                tenant_a,
                network=[{"method": "GET", "url": "https://a", "request_headers": headers}],
            ),
            headers=h,
        )
        assert_error(r, 422, "validation_error", "body.network.0.request_headers")

    async def test_array_over_byte_budget_is_413_naming_the_field(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        h = tenant_a.member.headers
        entry = {
            "method": "GET",
            "url": "https://a",
            "request_body": "q" * 60_000,
            "response_body": "r" * 60_000,
        }
        r = await client.post(
            "/v1/bugs", json=bug_body(tenant_a, network=[entry] * 20, logs=[]), headers=h
        )
        err = assert_error(r, 413, "payload_too_large", "body.network")
        assert "HAR" in err["message"]
        entry = {
            "method": "GET",
            "url": "https://a",
            "request_body": "q" * 60_000,
            "response_body": "r" * 60_000,
            "request_headers": {f"h{i}": "v" * 8000 for i in range(20)},
        }
        r = await client.post(
            "/v1/bugs", json=bug_body(tenant_a, network=[entry], logs=[]), headers=h
        )
        assert_error(r, 413, "payload_too_large", "body.network.0")
        # Nothing was created by any of the refused requests.
        r = await client.get("/v1/bugs", params={"project_id": tenant_a.project_id}, headers=h)
        assert r.json()["data"] == []
