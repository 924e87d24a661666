"""Redaction at ingest: a planted secret never comes back, in any response."""

from __future__ import annotations

from typing import Any

import httpx

from bugport.kit.redaction import MARKER, Redactor
from tests.bug.helpers import JWT, JWT_SIGNATURE, SECRET, create
from tests.conftest import assert_error
from tests.fixtures.users import Tenant


def planted_report(t: Tenant) -> dict[str, Any]:
    return {
        "project_id": t.project_id,
        "title": f"Login loop, token={SECRET}",
        "description": f"Session JWT was {JWT}; header Authorization: Bearer {SECRET}",
        "page_url": f"https://app.example.com/callback?code={SECRET}&state={SECRET}&tab=1#access_token={SECRET}",
        "repro_steps": f"curl -H 'X-Api-Key: {SECRET}' https://api.example.com/?api_key={SECRET}",
        "metadata": {"api_token": SECRET, "plan": "pro", "nested": {"password": SECRET}},
        "environment": {"user_agent": f"Mozilla/5.0 {JWT}"},
        "logs": [
            {
                "level": "error",
                "message": f"fetch failed for https://api.example.com/me?access_token={SECRET}",
                "args": [{"Authorization": SECRET}, f"Bearer {SECRET}"],
                "stack": f"jwt={JWT}",
            },
            {"level": "log", "message": f"customer={SECRET}"},
        ],
        "network": [
            {
                "method": "POST",
                "url": f"https://api.example.com/login?password={SECRET}&next=/home",
                "status": 401,
                "request_headers": {
                    "Authorization": f"Bearer {SECRET}",
                    "Cookie": f"sid={SECRET}",
                    "X-Api-Key": SECRET,
                    "X-Customer-Id": SECRET,
                    "Accept": "application/json",
                },
                "response_headers": {
                    "Set-Cookie": f"sid={SECRET}; HttpOnly",
                    "Content-Type": "application/json",
                },
                "request_body": f'{{"user": "ann", "password": "{SECRET}", "refresh_token": "{SECRET}"}}',
                "response_body": f'{{"error": "bad", "echo": "{JWT}"}}',
            },
            {
                "method": "POST",
                "url": "https://api.example.com/form",
                "status": 200,
                "request_body": f"user=ann&secret={SECRET}",
                "error": f"redirected to https://x.example.com/?sig={SECRET}",
            },
        ],
    }


async def test_planted_secret_never_comes_back(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    t = tenant_a
    # The project adds its own names on top of the built-in rules.
    r = await client.patch(
        f"/v1/projects/{t.project_id}",
        json={"redact_headers": ["X-Customer-Id"], "redact_params": ["customer"]},
        headers=t.admin.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["redact_headers"] == ["X-Customer-Id"]
    r = await client.post("/v1/bugs", json=planted_report(t), headers=t.member.headers)
    assert r.status_code == 201, r.text
    bug = r.json()
    h = t.viewer.headers
    bid = bug["id"]
    texts = [r.text]
    for url in (
        f"/v1/bugs/{bid}",
        f"/v1/bugs/{bid}/logs",
        f"/v1/bugs/{bid}/network",
        f"/v1/bugs/{bid}/export",
        f"/v1/bugs/{bid}/export?format=markdown",
        f"/v1/bugs?project_id={t.project_id}",
        f"/v1/bugs/{bid}/activity",
    ):
        resp = await client.get(url, headers=h)
        assert resp.status_code == 200, (url, resp.text)
        texts.append(resp.text)
    r = await client.post(f"/v1/bugs/{bid}/share-links", json={}, headers=t.member.headers)
    assert r.status_code == 201, r.text
    texts.append(r.text)
    public = await client.get(f"/v1/public/share/bug/{r.json()['share_id']}")
    assert public.status_code == 200, public.text
    texts.append(public.text)
    for body in texts:
        assert SECRET not in body
        assert JWT_SIGNATURE not in body
    # The useful parts survive, the marker shows where something was.
    network = (await client.get(f"/v1/bugs/{bid}/network", headers=h)).json()["data"]
    req = network[0]["request_headers"]
    assert req["Accept"] == "application/json" and req["Authorization"] == MARKER
    assert req["X-Customer-Id"] == MARKER and req["Cookie"] == MARKER
    assert "next=/home" in network[0]["url"] or "next=%2Fhome" in network[0]["url"]
    assert '"user": "ann"' in network[0]["request_body"]
    assert bug["metadata"]["plan"] == "pro" and bug["metadata"]["api_token"] == MARKER
    assert "tab=1" in bug["page_url"]
    assert JWT.rsplit(".", 1)[0] in bug["description"]  # header and claims stay readable
    logs = (await client.get(f"/v1/bugs/{bid}/logs", headers=h)).json()["data"]
    assert logs[1]["message"] == f"customer={MARKER}"
    # The receipt says which paths were redacted and by which rule, never the value.
    receipts = {(x["path"], x["rule"]) for x in bug["redactions"]}
    for expected in (
        ("title", "text_param"),
        ("description", "jwt"),
        ("description", "bearer"),
        ("page_url", "query_param"),
        ("metadata.api_token", "json_key"),
        ("metadata.nested.password", "json_key"),
        ("environment.user_agent", "jwt"),
        ("logs[0].message", "query_param"),
        ("logs[0].args[0].Authorization", "json_key"),
        ("logs[0].stack", "jwt"),
        ("logs[1].message", "text_param"),
        ("network[0].url", "query_param"),
        ("network[0].request_headers.authorization", "header"),
        ("network[0].request_headers.cookie", "cookie"),
        ("network[0].request_headers.x-api-key", "header"),
        ("network[0].request_headers.x-customer-id", "header"),
        ("network[0].response_headers.set-cookie", "cookie"),
        ("network[0].request_body.password", "json_key"),
        ("network[0].response_body.echo", "jwt"),
        ("network[1].request_body", "query_param"),
        ("network[1].error", "query_param"),
    ):
        assert expected in receipts, (expected, sorted(receipts))


async def test_edits_and_comments_are_redacted(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    t = tenant_a
    r = await client.post(
        "/v1/bugs", json={"project_id": t.project_id, "title": "ok"}, headers=t.member.headers
    )
    bid = r.json()["id"]
    assert r.json()["redactions"] == []
    r = await client.patch(
        f"/v1/bugs/{bid}", json={"description": f"password={SECRET}"}, headers=t.member.headers
    )
    assert (
        SECRET not in r.text
        and {"path": "description", "rule": "text_param"} in r.json()["redactions"]
    )
    r = await client.post(
        f"/v1/bugs/{bid}/comments",
        json={"body": f"token: {SECRET} and {JWT}"},
        headers=t.member.headers,
    )
    assert r.status_code == 201 and SECRET not in r.text and JWT_SIGNATURE not in r.text
    r = await client.get(f"/v1/bugs/{bid}/export", headers=t.member.headers)
    assert SECRET not in r.text and JWT_SIGNATURE not in r.text


async def test_nul_and_lone_surrogates_are_stored_the_same_on_both_engines(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    """Policy (kit/text.py): typed text refuses NUL (422 naming the field); captured data keeps
    the report, NUL and lone surrogates becoming U+FFFD, marked in the receipt as
    `invalid_text`. PostgreSQL would refuse both; SQLite would keep them: neither engine decides."""
    h = {**tenant_a.member.headers, "Content-Type": "application/json"}
    pid = tenant_a.project_id
    body = '{"project_id": "PID", "title": "a\\u0000b"}'.replace("PID", pid)
    r = await client.post("/v1/bugs", content=body, headers=h)
    assert_error(r, 422, "validation_error", "body.title")
    body = (
        '{"project_id": "PID", "title": "t", "metadata": {"k": "m\\ud800n", "n\\u0000": 1},'
        ' "logs": [{"message": "x\\u0000y", "args": ["p\\udc00q"]}],'
        ' "network": [{"method": "GET", "url": "https://a.example.com/\\u0000"}]}'
    ).replace("PID", pid)
    r = await client.post("/v1/bugs", content=body, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["metadata"] == {"k": "m\ufffdn", "n\ufffd": 1}
    bug_id = r.json()["id"]
    logs = (await client.get(f"/v1/bugs/{bug_id}/logs", headers=h)).json()["data"]
    assert logs[0]["message"] == "x\ufffdy" and logs[0]["args"] == ["p\ufffdq"]
    net = (await client.get(f"/v1/bugs/{bug_id}/network", headers=h)).json()["data"]
    assert net[0]["url"] == "https://a.example.com/\ufffd"
    receipt = {(x["path"], x["rule"]) for x in r.json()["redactions"]}
    assert ("logs[0].message", "invalid_text") in receipt, receipt
    assert any(rule == "invalid_text" and path.startswith("metadata") for path, rule in receipt)
    body = '{"project_id": "PID", "title": "t", "logs": [{"message": "x\\ud800y"}]}'
    body = body.replace("PID", pid)
    r = await client.post("/v1/bugs", content=body, headers=h)
    assert_error(r, 422, "validation_error", "body.logs.0.message")


async def test_project_redaction_settings_are_admin_and_validated(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    url = f"/v1/projects/{tenant_a.project_id}"
    r = await client.patch(url, json={"redact_headers": ["X-A"]}, headers=tenant_a.member.headers)
    assert_error(r, 403, "insufficient_role")
    r = await client.patch(
        url, json={"redact_params": ["bad name"]}, headers=tenant_a.admin.headers
    )
    assert_error(r, 422, "validation_error", "body.redact_params.0")
    r = await client.patch(url, json={"redact_params": None}, headers=tenant_a.admin.headers)
    assert_error(r, 422, "validation_error", "body.redact_params")


def test_redactor_rules_unit() -> None:
    red = Redactor.for_project(["X-Org"], ["tenant"])
    assert (
        red.url("u", "https://u:pw@h.example/p?x=1&Token=abc")
        == f"https://u:{MARKER}@h.example/p?x=1&Token={MARKER}"
    )
    assert red.headers("h", {"X-Org": "1", "X-Request-Id": "r", "Proxy-Authorization": "p"}) == {
        "X-Org": MARKER,
        "X-Request-Id": "r",
        "Proxy-Authorization": MARKER,
    }
    assert red.text("t", "Authorization: Bearer abcdefgh123") == f"Authorization: Bearer {MARKER}"
    assert red.text("t", "tenant=acme and author: Ann") == f"tenant={MARKER} and author: Ann"
    assert red.text("t", "plain words") == "plain words"


def test_quick_checks_never_skip_a_secret() -> None:
    """Redaction skips text and queries with no sensitive name in them (intake speed); names in
    any case, percent-encoded names and project names must still be caught."""
    red = Redactor.for_project(["X-Org"], ["tenant"])
    assert red.url("u", "https://h.example/p?%74oken=abc&page=2") == (
        f"https://h.example/p?token={MARKER}&page=2"
    )
    assert red.url("u", "https://h.example/p?ACCESS_TOKEN=abc") == (
        f"https://h.example/p?ACCESS_TOKEN={MARKER}"
    )
    assert red.url("u", "https://h.example/p?Tenant=acme") == f"https://h.example/p?Tenant={MARKER}"
    assert red.text("t", "PassWord: hunter2secret") == f"PassWord: {MARKER}"
    assert red.text("t", "x-org=acme-corp") == f"x-org={MARKER}"
    assert red.text("t", "see HTTPS://h.example/?sig=abcdef").endswith(f"?sig={MARKER}")
    # Nothing sensitive: returned untouched, nothing noted.
    plain = Redactor()
    assert plain.text("t", "cart item 3: ok") == "cart item 3: ok"
    assert (
        plain.url("u", "https://shop.example/cart/3?page=2") == "https://shop.example/cart/3?page=2"
    )
    assert plain.receipts == []


async def test_one_secret_line_among_plain_console_lines_is_caught(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    """Console text is first checked as a whole (intake speed): a single line that needs a rule,
    in any of message, stack and source, still gets it, and so does a NUL."""
    plain = [{"message": f"cart item {i}: ok", "source": f"app.js:{i}"} for i in range(20)]
    cases = [
        ({"message": f"Bearer {SECRET}"}, "message"),
        (
            {"message": "boom", "stack": f"at f (https://h.example/a.js?token={SECRET}:1:2)"},
            "stack",
        ),
        ({"message": "boom", "source": f"https://h.example/a.js?sig={SECRET}:3"}, "source"),
    ]
    for extra, field in cases:
        bug = await create(client, tenant_a, logs=[*plain, extra], network=[])
        data = (
            await client.get(
                f"/v1/bugs/{bug['id']}/logs", params={"limit": 50}, headers=tenant_a.viewer.headers
            )
        ).json()["data"]
        assert [d["message"] for d in data[:20]] == [p["message"] for p in plain]
        assert SECRET not in str(data[20][field]) and MARKER in str(data[20][field]), field
        assert any(r["path"] == f"logs[20].{field}" for r in bug["redactions"]), field
    bug = await create(client, tenant_a, logs=[*plain, {"message": "nul \u0000 here"}], network=[])
    data = (
        await client.get(
            f"/v1/bugs/{bug['id']}/logs", params={"limit": 50}, headers=tenant_a.viewer.headers
        )
    ).json()["data"]
    assert data[20]["message"] == "nul \ufffd here"


async def test_the_stored_marker_is_readable_in_urls(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    """A client that redacted already (the widget, through URLSearchParams) sends the marker
    percent-encoded; what is stored and shown is the literal `[REDACTED]` either way."""
    h = tenant_a.member.headers
    encoded = "https://shop.example.com/pay?token=%5BREDACTED%5D&item=7"
    plain = f"https://shop.example.com/pay?token={SECRET}&item=7"
    bug = await create(
        client,
        tenant_a,
        page_url=encoded,
        network=[
            {"method": "POST", "url": plain, "status": 500},
            {"method": "GET", "url": encoded},
        ],
    )
    assert bug["page_url"] == "https://shop.example.com/pay?token=[REDACTED]&item=7"
    net = (await client.get(f"/v1/bugs/{bug['id']}/network", headers=h)).json()["data"]
    assert [n["url"] for n in net] == ["https://shop.example.com/pay?token=[REDACTED]&item=7"] * 2
    unrelated = "https://shop.example.com/search?q=%5Bbrackets%5D"
    assert Redactor().url("page_url", unrelated) == unrelated  # only redaction rewrites a URL
