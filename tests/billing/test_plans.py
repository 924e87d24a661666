from __future__ import annotations

import json
from pathlib import Path

import httpx
from fastapi import FastAPI

from bugport.app import create_app
from tests.conftest import client_for, make_settings

GIB = 1024**3


async def test_plans_are_public_and_come_from_the_default_catalogue(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/v1/plans")  # no credential
    assert r.status_code == 200, r.text
    body = r.json()
    assert [p["id"] for p in body["data"]] == ["free", "team", "business"]
    assert body["next_cursor"] is None
    assert body["default_plan"] == "free"
    assert body["billing_enabled"] is False  # the default test app has no Stripe settings
    team = body["data"][1]
    assert team == {
        "id": "team",
        "name": "Team",
        "monthly_price": 2900,
        "yearly_price": 29000,
        "storage_bytes": 50 * GIB,
        "unlimited_members": True,
        "limits": {"retention_days": 365, "projects": None},
        "storage_addons": True,
        "intervals": ["monthly", "yearly"],
    }
    assert all(p["unlimited_members"] for p in body["data"])
    assert body["data"][0]["intervals"] == [] and body["data"][0]["storage_addons"] is False
    assert body["storage_addon"] == {
        "block_bytes": 10 * GIB,
        "monthly_price": 500,
        "yearly_price": 5000,
        "max_quantity": 100,
    }
    assert "stripe_prices" not in json.dumps(body)  # price ids are server configuration


async def test_billing_app_reports_billing_enabled(bclient: httpx.AsyncClient) -> None:
    r = await bclient.get("/v1/plans")
    assert r.status_code == 200 and r.json()["billing_enabled"] is True


def _catalogue(**over: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "currency": "eur",
        "default_plan": "hobby",
        "storage_addon": {
            "block_bytes": 5 * GIB,
            "monthly_price": 300,
            "yearly_price": 3000,
            "max_blocks": 4,
            "stripe_prices": {"monthly": "price_blk"},
        },
        "plans": [
            {
                "id": "hobby",
                "name": "Hobby",
                "monthly_price": 0,
                "yearly_price": 0,
                "storage_bytes": 2 * GIB,
                "limits": {"projects": 1},
            },
            {
                "id": "pro",
                "name": "Pro",
                "monthly_price": 1500,
                "yearly_price": 15000,
                "storage_bytes": None,
                "storage_addons": True,
                "stripe_prices": {"monthly": "price_pro_m"},
            },
        ],
    }
    doc.update(over)
    return doc


async def test_operator_plan_file_replaces_the_catalogue(
    backend_url: tuple[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "plans.json"
    path.write_text(json.dumps(_catalogue()))
    application: FastAPI = create_app(make_settings(backend_url[1], tmp_path, plans_file=path))
    try:
        async with client_for(application) as c:
            body = (await c.get("/v1/plans")).json()
    finally:
        await application.state.engine.dispose()
    assert body["currency"] == "eur" and body["default_plan"] == "hobby"
    assert [(p["id"], p["storage_bytes"], p["intervals"]) for p in body["data"]] == [
        ("hobby", 2 * GIB, []),
        ("pro", None, ["monthly"]),
    ]
    assert body["storage_addon"]["max_quantity"] == 4


def test_a_broken_plan_file_fails_at_start(tmp_path: Path) -> None:
    path = tmp_path / "plans.json"
    path.write_text(json.dumps(_catalogue(default_plan="missing")))
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path, plans_file=path)
    try:
        create_app(settings)
    except RuntimeError as exc:
        assert "default_plan" in str(exc)
    else:
        raise AssertionError("a catalogue with an unknown default plan was accepted")
