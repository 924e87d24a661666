"""The text rule at the boundary (kit/text.py, docs/api.md "Text in every request"), on SQLite and
PostgreSQL: each row of issue 16's table, which gave 500s on PostgreSQL, is now a 422 naming the
field (typed text) or a kept report with U+FFFD (captured data); non-UTF-8 JSON never reaches a
parser."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import assert_error
from tests.fixtures.users import Tenant

NUL = "a\u0000b"
JSON = {"Content-Type": "application/json"}


def _body(t: Tenant, **fields: Any) -> dict[str, Any]:
    return {"project_id": t.project_id, "title": "t", **fields}


@pytest.mark.parametrize(
    ("route", "body", "field"),
    [
        ("/v1/bugs", lambda t: _body(t, labels=[NUL]), "body.labels"),
        ("/v1/bugs", lambda t: _body(t, title=NUL), "body.title"),
        ("/v1/bugs", lambda t: _body(t, description=NUL), "body.description"),
        ("/v1/bugs", lambda t: _body(t, title="a\u001bb"), "body.title"),
        ("/v1/workspaces", lambda t: {"name": NUL}, "body.name"),
        ("/v1/workspaces", lambda t: {"name": "two\nlines"}, "body.name"),
        (
            "/v1/projects",
            lambda t: {"workspace_id": t.workspace_id, "name": NUL, "key": "NUL"},
            "body.name",
        ),
        (
            "/v1/media/upload-url",
            lambda t: {
                "filename": "a\u0000.png",
                "content_type": "image/png",
                "size_bytes": 10,
                "kind": "screenshot",
                "project_id": t.project_id,
            },
            "body.filename",
        ),
    ],
)
async def test_typed_text_with_controls_is_422_naming_the_field(
    client: httpx.AsyncClient, tenant_a: Tenant, route: str, body: Any, field: str
) -> None:
    r = await client.post(route, json=body(tenant_a), headers=tenant_a.owner.headers)
    err = assert_error(r, 422, "validation_error")
    fields = [d["field"] for d in err["details"]]
    assert any(f.startswith(field) for f in fields), err
    assert "U+00" in json.dumps(err)


@pytest.mark.parametrize(
    "query", ["q=a%00b", "label=a%00b", "status=open%01", "q=%FF%FE", "cursor=%00"]
)
async def test_query_parameters_with_controls_are_422(
    client: httpx.AsyncClient, tenant_a: Tenant, query: str
) -> None:
    r = await client.get(f"/v1/bugs?{query}", headers=tenant_a.member.headers)
    err = assert_error(r, 422, "validation_error")
    assert err["details"][0]["field"].startswith("query"), err


async def test_text_people_write_is_kept_as_is(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    """Not refused: tabs and newlines in prose, right-to-left and zero-width characters, emoji,
    non-ASCII search terms."""
    title = "\u05e9\u05dc\u05d5\u05dd \u200bzero\u200dwidth \u202eRTL \U0001f41b"
    body = _body(tenant_a, title=title, description="line 1\n\tline 2\r\n", labels=["caf\u00e9"])
    r = await client.post("/v1/bugs", json=body, headers=tenant_a.member.headers)
    assert r.status_code == 201, r.text
    assert r.json()["title"] == title and r.json()["labels"] == ["caf\u00e9"]
    r = await client.get(
        "/v1/bugs",
        params={"q": "\u05e9\u05dc\u05d5\u05dd", "label": "caf\u00e9"},
        headers=tenant_a.member.headers,
    )
    assert r.status_code == 200, r.text


async def test_captured_data_keeps_the_report(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    body = _body(
        tenant_a,
        logs=[{"level": "error", "message": NUL, "stack": "\u001b[31mred\u001b[0m"}],
        network=[{"method": "GET", "url": f"https://a.example.com/{NUL}", "status": 500}],
        metadata={NUL: NUL},
        environment={"user_agent": NUL},
    )
    r = await client.post("/v1/bugs", json=body, headers=tenant_a.member.headers)
    assert r.status_code == 201, r.text
    bug = r.json()
    assert bug["metadata"] == {"a\ufffdb": "a\ufffdb"}
    assert bug["environment"]["user_agent"] == "a\ufffdb"
    assert "invalid_text" in {x["rule"] for x in bug["redactions"]}
    h = tenant_a.member.headers
    logs = (await client.get(f"/v1/bugs/{bug['id']}/logs", headers=h)).json()["data"]
    assert logs[0]["message"] == "a\ufffdb" and logs[0]["stack"] == "\u001b[31mred\u001b[0m"


@pytest.mark.parametrize(
    ("content_type", "raw", "status"),
    [
        ("application/json; charset=utf-16", "utf-16", 415),
        ("application/json; charset=latin-1", "latin-1", 415),
        ("application/json", "utf-16", 400),
        ("application/json", "utf-16-le", 400),
        ("application/json", "utf-32", 400),
        ("application/json", "utf-8-sig", 400),
        ("application/json", "latin-1", 400),
        ("application/json; charset=UTF-8", "utf-8", 201),
    ],
)
async def test_json_must_be_utf8(
    client: httpx.AsyncClient, tenant_a: Tenant, content_type: str, raw: str, status: int
) -> None:
    text = json.dumps(_body(tenant_a, title="Caf\u00e9 total wrong"), ensure_ascii=False)
    r = await client.post(
        "/v1/bugs",
        content=text.encode(raw),
        headers={**tenant_a.member.headers, "Content-Type": content_type},
    )
    if status == 201:
        assert r.status_code == 201, r.text
        return
    code = "unsupported_media_type" if status == 415 else "invalid_json"
    err = assert_error(r, status, code)
    assert "UTF-8" in err["message"], err
    listed = await client.get(
        "/v1/bugs", params={"project_id": tenant_a.project_id}, headers=tenant_a.member.headers
    )
    assert listed.json()["data"] == []  # nothing was created
