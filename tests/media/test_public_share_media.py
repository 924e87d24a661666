"""A share link shows the bug's ready files through share routes that redirect to short-lived
signed URLs, and the public view holds no internal id anywhere in its JSON tree."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import assert_error
from tests.fixtures.users import Tenant
from tests.media.conftest import MediaEnv, png
from tests.media.test_bug_media import attach

UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)


def ids_in(node: Any, path: str = "$") -> list[str]:
    """Every place in a JSON tree that holds an id: an `id`/`*_id` key or an id-shaped value."""
    found: list[str] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "id" or k.endswith("_id") or k.endswith("_ids"):
                found.append(f"{path}.{k}")
            found += ids_in(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += ids_in(v, f"{path}[{i}]")
    elif isinstance(node, str) and UUID.search(node):
        found.append(f"{path} = {node[:80]}")
    return found


async def test_public_view_has_no_ids_and_serves_its_files(env: MediaEnv, tenant_a: Tenant) -> None:
    h = tenant_a.member.headers
    r = await env.client.post(
        "/v1/bugs",
        json={
            "project_id": tenant_a.project_id,
            "title": "Checkout shows an empty cart",
            "logs": [{"level": "error", "message": "cart is empty"}],
            "network": [{"method": "GET", "url": "https://shop.example.com/cart", "status": 500}],
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    bug = r.json()
    data = png()
    await attach(env, tenant_a, bug["id"], data)
    link = await env.client.post(f"/v1/bugs/{bug['id']}/share-links", json={}, headers=h)
    assert link.status_code == 201, link.text
    share_id = link.json()["share_id"]
    view = await env.client.get(f"/v1/public/share/bug/{share_id}")
    assert view.status_code == 200, view.text
    body = view.json()
    assert ids_in(body) == [], ids_in(body)
    assert body["logs"][0]["message"] == "cart is empty" and body["network"][0]["status"] == 500
    (shot,) = body["media"]
    assert shot["kind"] == "screenshot" and shot["content_type"] == "image/png"
    assert shot["url"].endswith(f"/v1/public/share/bug/{share_id}/media/0")
    # The file: a redirect (the API never carries the bytes) to a signed URL that serves them.
    path = shot["url"].split("://", 1)[1].split("/", 1)[1]
    r = await env.client.get(f"/{path}")
    assert r.status_code == 302, r.text
    assert (
        r.headers["referrer-policy"] == "no-referrer" and r.headers["cache-control"] == "no-store"
    )
    got = await env.put({"method": "GET", "headers": {}, "url": r.headers["location"]}, b"")
    assert got.status_code == 200 and got.content == data
    assert_error(await env.client.get(f"/{path[:-1]}7"), 404, "not_found")
    assert_error(await env.client.get(f"/{path}/thumbnail".replace("/0/", "/9/")), 404, "not_found")
    # Revoked: the files go with the view, with the same 404.
    await env.client.delete(f"/v1/bugs/{bug['id']}/share-links/{link.json()['id']}", headers=h)
    assert_error(await env.client.get(f"/{path}"), 404, "not_found")
    assert_error(await env.client.get(f"/v1/public/share/bug/{share_id}"), 404, "not_found")
