from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.users import ApiUser, Tenant

SECRET = "planted-s3cr3t-9f8e7d6c5b4a"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.Zm9yZ2VkLXNpZ25hdHVyZS1wbGFudGVkLXNlY3JldA"
JWT_SIGNATURE = JWT.rsplit(".", 1)[1]


def bug_body(t: Tenant, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "project_id": t.project_id,
        "title": "Checkout button does nothing",
        "description": "Clicking **Pay** has no effect.",
        "severity": "high",
        "labels": ["checkout"],
        "page_url": "https://shop.example.com/cart?step=2",
        "environment": {"browser": "Firefox", "os": "Linux", "viewport_width": 1280},
        "logs": [
            {
                "level": "error",
                "message": "TypeError: x is undefined",
                "stack": "at pay (app.js:10)",
            },
            {"level": "info", "message": "cart loaded"},
        ],
        "network": [
            {"method": "GET", "url": "https://api.example.com/cart", "status": 200},
            {"method": "POST", "url": "https://api.example.com/pay", "status": 500},
        ],
    }
    body.update(overrides)
    return body


async def create(
    client: httpx.AsyncClient, t: Tenant, as_user: ApiUser | None = None, **overrides: Any
) -> dict[str, Any]:
    r = await client.post(
        "/v1/bugs", json=bug_body(t, **overrides), headers=(as_user or t.member).headers
    )
    assert r.status_code == 201, r.text
    return r.json()
