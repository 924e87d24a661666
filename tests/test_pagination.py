from __future__ import annotations

import httpx

from tests.conftest import assert_error
from tests.fixtures.users import ApiUser


async def _workspaces(client: httpx.AsyncClient, u: ApiUser, n: int) -> None:
    for i in range(n):
        assert (
            await client.post("/v1/workspaces", json={"name": f"w{i}"}, headers=u.headers)
        ).status_code == 201


async def test_tampered_cursor_is_400(client: httpx.AsyncClient, user: ApiUser) -> None:
    await _workspaces(client, user, 2)
    page = (await client.get("/v1/workspaces", params={"limit": 1}, headers=user.headers)).json()
    cursor = page["next_cursor"]
    assert cursor
    body, sig = cursor.rsplit(".", 1)
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + sig
    assert_error(
        await client.get("/v1/workspaces", params={"cursor": forged}, headers=user.headers),
        400,
        "invalid_cursor",
    )
    assert_error(
        await client.get("/v1/workspaces", params={"cursor": "garbage"}, headers=user.headers),
        400,
        "invalid_cursor",
    )


async def test_cursor_of_another_list_is_400(client: httpx.AsyncClient, user: ApiUser) -> None:
    await _workspaces(client, user, 2)
    cursor = (await client.get("/v1/workspaces", params={"limit": 1}, headers=user.headers)).json()[
        "next_cursor"
    ]
    r = await client.get("/v1/projects", params={"cursor": cursor}, headers=user.headers)
    assert_error(r, 400, "invalid_cursor")


async def test_limit_is_clamped_to_100(client: httpx.AsyncClient, user: ApiUser) -> None:
    r = await client.get("/v1/workspaces", params={"limit": 1000}, headers=user.headers)
    assert r.status_code == 200


async def test_limit_below_one_is_422(client: httpx.AsyncClient, user: ApiUser) -> None:
    assert_error(
        await client.get("/v1/workspaces", params={"limit": 0}, headers=user.headers),
        422,
        "validation_error",
        "query.limit",
    )


async def test_pages_walk_every_item_once(client: httpx.AsyncClient, user: ApiUser) -> None:
    await _workspaces(client, user, 5)
    ids: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, object] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/workspaces", params=params, headers=user.headers)).json()
        ids += [w["id"] for w in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(ids) == 6 and len(set(ids)) == 6
