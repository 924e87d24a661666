"""A loopback webhook receiver for bench/webhooks_bench.py: answers 204 to every POST, counts
the distinct webhook-ids it got (retries and repeats counted once) and tells on GET /count."""

from __future__ import annotations

from typing import Any

seen: set[str] = set()
total = 0


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global total
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    if scope["method"] == "GET":
        body = f'{{"distinct": {len(seen)}, "total": {total}}}'.encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return
    headers = dict(scope["headers"])
    seen.add(headers.get(b"webhook-id", b"").decode())
    total += 1
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
