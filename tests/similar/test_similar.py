"""Failure fingerprints at ingest, similar bugs (for a bug and for a draft), the grouped inbox
and duplicate merging, over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import assert_error
from tests.fixtures.mcp import bearer, make_token
from tests.fixtures.users import ApiUser, Tenant
from tests.fixtures.widget import make_key, widget_headers


def report(
    t: Tenant,
    title: str,
    *,
    order: int = 1001,
    http: int = 500,
    path: str = "/api/orders/{n}/pay",
    message: str | None = "TypeError: Cannot read properties of undefined (reading 'total')",
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "project_id": t.project_id,
        "title": title,
        "page_url": f"https://shop.example.com/orders/{order}",
        "network": [
            {"method": "GET", "url": "https://shop.example.com/api/cart", "status": 200},
            {
                "method": "POST",
                "url": f"https://api.example.com{path.format(n=order)}?session=abc{order}",
                "status": http,
            },
        ],
        "logs": [{"level": "info", "message": "loaded"}]
        + (
            [
                {
                    "level": "error",
                    "message": message,
                    "stack": f"{message}\n    at pay (https://shop.example.com/assets/app.3f9a{order}c.js:10:5)",
                }
            ]
            if message
            else []
        ),
    }
    body.update(extra)
    return body


async def file(c: httpx.AsyncClient, who: ApiUser, body: dict[str, Any]) -> dict[str, Any]:
    r = await c.post("/v1/bugs", json=body, headers=who.headers)
    assert r.status_code == 201, r.text
    got = await c.get(f"/v1/bugs/{r.json()['id']}", headers=who.headers)
    return dict(got.json())


async def similar(c: httpx.AsyncClient, who: ApiUser, bug_id: str, **params: Any) -> dict[str, Any]:
    r = await c.get(f"/v1/bugs/{bug_id}/similar", params=params, headers=who.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


class TestFingerprint:
    async def test_normalised_at_ingest_and_equal_across_ids(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        a = await file(client, tenant_a.member, report(tenant_a, "Pay fails", order=1001))
        b = await file(
            client,
            tenant_a.member,
            report(
                tenant_a,
                "Can't pay",
                order=77,
                http=503,
                message='TypeError: can\'t access property "total", cart is undefined',
            ),
        )
        fp = a["fingerprint"]
        assert fp["request"] == "POST /api/orders/:id/pay → 5xx"
        assert fp["error"] == (
            "typeerror: cannot read properties of undefined (reading <total>) @ pay@app.js"
        )
        # Another order id, another 5xx, Firefox's wording: the same failure.
        assert b["fingerprint"]["hash"] == fp["hash"] and len(fp["hash"]) == 32
        assert b["fingerprint"]["error"] == fp["error"]

    async def test_other_failures_differ_and_no_failure_has_none(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        a = await file(client, tenant_a.member, report(tenant_a, "Pay fails"))
        c4 = await file(client, tenant_a.member, report(tenant_a, "Pay fails", http=401))
        other = await file(
            client, tenant_a.member, report(tenant_a, "Pay fails", path="/api/orders/{n}/refund")
        )
        quiet = await file(
            client, tenant_a.member, {"project_id": tenant_a.project_id, "title": "Typo"}
        )
        hashes = {a["fingerprint"]["hash"], c4["fingerprint"]["hash"]}
        assert len(hashes | {other["fingerprint"]["hash"]}) == 3
        assert c4["fingerprint"]["request"].endswith("→ 4xx")
        assert quiet["fingerprint"] is None and quiet["duplicate_of_id"] is None
        # Only a console error: the fingerprint is the error's.
        err_only = await file(
            client,
            tenant_a.member,
            report(tenant_a, "Crash", network=[], message="Error: Order 123 failed"),
        )
        assert err_only["fingerprint"]["request"] is None
        assert err_only["fingerprint"]["error"].startswith("error: order <n> failed")

    async def test_every_intake_fingerprints(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        ref = await file(client, tenant_a.member, report(tenant_a, "Pay fails"))
        key = (await make_key(client, tenant_a))["key"]
        body = report(tenant_a, "From the widget", order=5)
        body.pop("project_id")
        r = await client.post("/v1/widget/bugs", json=body, headers=widget_headers(key))
        assert r.status_code == 201, r.text
        got = await client.get(f"/v1/bugs/{r.json()['id']}", headers=tenant_a.member.headers)
        assert got.json()["fingerprint"]["hash"] == ref["fingerprint"]["hash"]
        ext = report(tenant_a, "From the extension", order=6)
        r = await client.post("/v1/plugin/captures", json=ext, headers=tenant_a.member.headers)
        assert r.status_code == 201, r.text
        bug_id = r.json()["bug"]["id"]
        got = await client.get(f"/v1/bugs/{bug_id}", headers=tenant_a.member.headers)
        assert got.json()["fingerprint"]["hash"] == ref["fingerprint"]["hash"]


class TestSimilar:
    async def test_ranked_same_failure_then_shared_part_then_text(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        m = tenant_a.member
        src = await file(client, m, report(tenant_a, "Payment fails at checkout", order=1))
        same = await file(client, m, report(tenant_a, "Order page broken", order=2))
        shared_error = await file(
            client, m, report(tenant_a, "Totally different", path="/api/other/{n}", order=3)
        )
        texty = await file(
            client,
            m,
            {"project_id": tenant_a.project_id, "title": "Payment fails on checkout page"},
        )
        unrelated = await file(
            client, m, {"project_id": tenant_a.project_id, "title": "Logo is blurry"}
        )
        got = await similar(client, m, src["id"])
        ids = [s["bug"]["id"] for s in got["data"]]
        assert ids[:3] == [same["id"], shared_error["id"], texty["id"]], got
        assert src["id"] not in ids and unrelated["id"] not in ids
        by_id = {s["bug"]["id"]: s for s in got["data"]}
        assert by_id[same["id"]]["reason"] == "same failing request POST /api/orders/:id/pay → 5xx"
        assert by_id[shared_error["id"]]["reason"].startswith("same console error typeerror")
        assert by_id[texty["id"]]["reason"] == "similar title"
        assert got["same_failure_count"] == 2
        assert got["fingerprint"]["hash"] == src["fingerprint"]["hash"]
        assert len((await similar(client, m, src["id"], limit=1))["data"]) == 1

    async def test_draft_before_filing(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        filed = await file(client, tenant_a.member, report(tenant_a, "Payment fails", order=9))
        draft = report(tenant_a, "checkout payment broken", order=4242)
        r = await client.post("/v1/bugs/similar", json=draft, headers=tenant_a.viewer.headers)
        assert r.status_code == 200, r.text
        top = r.json()["data"][0]
        assert top["bug"]["id"] == filed["id"] and top["reason"].startswith("same failing request")
        assert r.json()["same_failure_count"] == 1
        before = await client.get(
            "/v1/bugs", params={"project_id": tenant_a.project_id}, headers=tenant_a.member.headers
        )
        assert len(before.json()["data"]) == 1  # nothing was stored
        r = await client.post(
            "/v1/bugs/similar",
            json={"project_id": tenant_a.project_id},
            headers=tenant_a.member.headers,
        )
        assert_error(r, 422, "validation_error")

    async def test_scoped(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        a = await file(client, tenant_a.member, report(tenant_a, "Payment fails"))
        b = await file(client, tenant_b.member, report(tenant_b, "Payment fails"))
        assert a["fingerprint"]["hash"] == b["fingerprint"]["hash"]
        got = await similar(client, tenant_a.member, a["id"])
        assert got["data"] == [] and got["same_failure_count"] == 1
        r = await client.get(f"/v1/bugs/{a['id']}/similar", headers=tenant_b.owner.headers)
        assert_error(r, 404, "not_found")
        draft = report(tenant_a, "Payment fails")
        r = await client.post("/v1/bugs/similar", json=draft, headers=tenant_b.owner.headers)
        assert_error(r, 404, "not_found")
        # A read-only MCP token of A sees A's similar list; a token of B does not.
        tok = await make_token(client, tenant_a.member, tenant_a.workspace_id, ("bugs:read",))
        r = await client.post(
            "/v1/mcp/tools/invoke",
            json={"name": "find_similar_bugs", "arguments": {"bug_id": a["key"]}},
            headers=bearer(tok["token"]),
        )
        assert r.status_code == 200, r.text
        assert r.json()["result"]["same_failure_count"] == 1


class TestGroups:
    async def test_one_row_per_failure_with_counts_and_filters(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        m = tenant_a.member
        first = await file(client, m, report(tenant_a, "Pay 1", order=1))
        await file(client, m, report(tenant_a, "Pay 2", order=2))
        newest = await file(client, m, report(tenant_a, "Pay 3", order=3, severity="critical"))
        refund = await file(client, m, report(tenant_a, "Refund", path="/api/refund/{n}"))
        quiet = await file(client, m, {"project_id": tenant_a.project_id, "title": "Typo"})
        params = {"project_id": tenant_a.project_id, "group": "fingerprint"}
        r = await client.get("/v1/bugs", params=params, headers=m.headers)
        assert r.status_code == 200, r.text
        rows = r.json()["data"]
        assert [b["id"] for b in rows] == [quiet["id"], refund["id"], newest["id"]]
        pay = rows[2]["group"]
        assert pay["count"] == 3 and pay["fingerprint"] == first["fingerprint"]["hash"]
        assert pay["first_seen"] == first["created_at"] and pay["last_seen"] == newest["created_at"]
        assert pay["count_capped"] is False
        assert rows[0]["group"] == {
            "fingerprint": None,
            "count": 1,
            "count_capped": False,
            "first_seen": quiet["created_at"],
            "last_seen": quiet["created_at"],
        }
        # Filters apply to the groups' members: severity high leaves two of the three.
        r = await client.get("/v1/bugs", params={**params, "severity": "medium"}, headers=m.headers)
        medium = {b["id"]: b["group"] for b in r.json()["data"]}
        pay_medium = [g for g in medium.values() if g["fingerprint"] == pay["fingerprint"]]
        assert len(pay_medium) == 1 and pay_medium[0]["count"] == 2
        assert newest["id"] not in medium
        # Keyset pages over groups: one at a time, each group once.
        seen, cursor = [], None
        while True:
            page = await client.get(
                "/v1/bugs",
                params={**params, "limit": 1, **({"cursor": cursor} if cursor else {})},
                headers=m.headers,
            )
            seen += [b["id"] for b in page.json()["data"]]
            cursor = page.json()["next_cursor"]
            if not cursor:
                break
        assert seen == [quiet["id"], refund["id"], newest["id"]]
        r = await client.get("/v1/bugs", params={**params, "sort": "oldest"}, headers=m.headers)
        assert_error(r, 422, "validation_error", "query.sort")
        plain = await client.get(
            "/v1/bugs", params={"project_id": tenant_a.project_id}, headers=m.headers
        )
        assert len(plain.json()["data"]) == 5 and plain.json()["data"][0]["group"] is None


class TestDuplicates:
    async def test_mark_list_and_undo(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        m = tenant_a.member
        canonical = await file(client, m, report(tenant_a, "Pay fails"))
        dup = await file(client, m, report(tenant_a, "Pay broken", status="in_progress"))
        r = await client.post(
            f"/v1/bugs/{dup['id']}/duplicate-of",
            json={"bug_id": canonical["id"]},
            headers=m.headers,
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "duplicate" and r.json()["duplicate_of_id"] == canonical["id"]
        listed = await client.get(f"/v1/bugs/{canonical['id']}/duplicates", headers=m.headers)
        assert [b["id"] for b in listed.json()["data"]] == [dup["id"]]
        acts = await client.get(f"/v1/bugs/{dup['id']}/activity", headers=m.headers)
        marked = [a for a in acts.json()["data"] if a["type"] == "marked_duplicate"]
        assert marked and marked[0]["payload"]["key"] == canonical["key"]
        acts = await client.get(f"/v1/bugs/{canonical['id']}/activity", headers=m.headers)
        assert any(a["type"] == "duplicate_added" for a in acts.json()["data"])
        # Again: nothing changes (idempotent).
        r = await client.post(
            f"/v1/bugs/{dup['id']}/duplicate-of",
            json={"bug_id": canonical["id"]},
            headers=m.headers,
        )
        assert r.status_code == 200 and r.json()["duplicate_of_id"] == canonical["id"]
        # Undo: the status it had before comes back.
        r = await client.delete(f"/v1/bugs/{dup['id']}/duplicate-of", headers=m.headers)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "in_progress" and r.json()["duplicate_of_id"] is None
        listed = await client.get(f"/v1/bugs/{canonical['id']}/duplicates", headers=m.headers)
        assert listed.json()["data"] == []

    async def test_chains_collapse_and_cycles_are_refused(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        m = tenant_a.member
        a, b, c = [await file(client, m, report(tenant_a, f"Bug {n}")) for n in "abc"]

        async def link(x: dict[str, Any], y: dict[str, Any]) -> httpx.Response:
            return await client.post(
                f"/v1/bugs/{x['id']}/duplicate-of", json={"bug_id": y["id"]}, headers=m.headers
            )

        assert (await link(a, b)).status_code == 200  # a → b
        # b → c: a follows b to c.
        assert (await link(b, c)).json()["duplicate_of_id"] == c["id"]
        got = await client.get(f"/v1/bugs/{a['id']}", headers=m.headers)
        assert got.json()["duplicate_of_id"] == c["id"]
        # d → a (a duplicate): d links to a's canonical, c.
        d = await file(client, m, report(tenant_a, "Bug d"))
        assert (await link(d, a)).json()["duplicate_of_id"] == c["id"]
        # c → a would close a cycle.
        assert_error(await link(c, a), 409, "duplicate_cycle")
        assert_error(await link(c, c), 422, "validation_error", "body.bug_id")
        # Nor can a new bug start as one, nor a bulk edit make one.
        r = await client.post(
            "/v1/bugs", json={**report(tenant_a, "New"), "status": "duplicate"}, headers=m.headers
        )
        assert_error(r, 422, "validation_error", "body.status")
        r = await client.patch(
            "/v1/bugs",
            json={"ids": [c["id"]], "changes": {"status": "duplicate"}},
            headers=m.headers,
        )
        assert r.status_code == 422, r.text
        # PATCH can't set `duplicate` by hand; moving a duplicate to another status unlinks it.
        r = await client.patch(
            f"/v1/bugs/{c['id']}", json={"status": "duplicate"}, headers=m.headers
        )
        assert_error(r, 422, "validation_error", "body.status")
        r = await client.patch(
            f"/v1/bugs/{d['id']}", json={"status": "resolved"}, headers=m.headers
        )
        assert r.json()["status"] == "resolved" and r.json()["duplicate_of_id"] is None
        # Deleting the canonical bug gives its duplicates their status back.
        r = await client.delete(f"/v1/bugs/{c['id']}", headers=tenant_a.admin.headers)
        assert r.status_code == 204
        for x in (a, b):
            got = await client.get(f"/v1/bugs/{x['id']}", headers=m.headers)
            assert got.json()["status"] == "open" and got.json()["duplicate_of_id"] is None

    async def test_scoped(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        a = await file(client, tenant_a.member, report(tenant_a, "A"))
        a2 = await file(client, tenant_a.member, report(tenant_a, "A2"))
        b = await file(client, tenant_b.member, report(tenant_b, "B"))
        url = f"/v1/bugs/{a['id']}/duplicate-of"
        # Another workspace's bug as the target: unknown here.
        r = await client.post(url, json={"bug_id": b["id"]}, headers=tenant_a.member.headers)
        assert_error(r, 422, "validation_error", "body.bug_id")
        # B's owner can't touch A's bug, even naming their own as the target.
        r = await client.post(url, json={"bug_id": b["id"]}, headers=tenant_b.owner.headers)
        assert_error(r, 404, "not_found")
        # B's owner naming A's bug as the canonical one for B's own bug: unknown to them.
        r = await client.post(
            f"/v1/bugs/{b['id']}/duplicate-of",
            json={"bug_id": a["id"]},
            headers=tenant_b.owner.headers,
        )
        assert_error(r, 422, "validation_error", "body.bug_id")
        r = await client.post(url, json={"bug_id": a2["id"]}, headers=tenant_a.viewer.headers)
        assert_error(r, 403, "insufficient_role")
        r = await client.get(f"/v1/bugs/{a['id']}/duplicates", headers=tenant_b.owner.headers)
        assert_error(r, 404, "not_found")
        got = await client.get(f"/v1/bugs/{a['id']}", headers=tenant_a.member.headers)
        assert got.json()["status"] == "open" and got.json()["duplicate_of_id"] is None


async def test_group_counts_stop_at_the_cap(
    client: httpx.AsyncClient, tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bugport.similar import groups

    monkeypatch.setattr(groups, "COUNT_CAP", 2)
    for n in range(3):
        await file(client, tenant_a.member, report(tenant_a, f"Pay {n}", order=n))
    r = await client.get(
        "/v1/bugs",
        params={"project_id": tenant_a.project_id, "group": "fingerprint"},
        headers=tenant_a.member.headers,
    )
    [row] = r.json()["data"]
    assert row["group"]["count"] == 2 and row["group"]["count_capped"] is True
