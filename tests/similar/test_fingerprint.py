"""Fingerprint rules as pure functions: one test per rule added for bench/similar/."""

from __future__ import annotations

from typing import Any

from bugport.similar.fingerprint import (
    digest,
    normalise_message,
    normalise_path,
    of_captures,
    top_frame,
)

PAGE = "https://shop.acme.test/cart"
BEACON = {
    "method": "POST",
    "url": "https://www.google-analytics.com/g/collect?v=2",
    "status": 0,
    "failed": True,
    "error": "net::ERR_BLOCKED_BY_CLIENT",
}


def err(message: str, stack: str | None = None) -> dict[str, Any]:
    return {"level": "error", "message": message, "stack": stack}


def test_content_slugs_are_ids_route_names_are_not() -> None:
    assert normalise_path("/api/products/merino-wool-scarf") == "/api/products/:id"
    assert normalise_path("/api/products/leather-weekender-bag") == "/api/products/:id"
    assert normalise_path("/api/checkout/1/shipping-rates") == "/api/checkout/:id/shipping-rates"
    assert normalise_path("/api/v2/inventory/sync-jobs") == "/api/v2/inventory/sync-jobs"


def test_failed_fetch_folds_across_browsers() -> None:
    chrome = normalise_message("TypeError: Failed to fetch")
    assert chrome == "typeerror: failed to fetch"
    assert normalise_message("TypeError: NetworkError when attempting to fetch resource.") == chrome
    assert normalise_message("TypeError: Load failed") == chrome


def test_failed_lazy_import_folds_across_browsers() -> None:
    chrome = normalise_message(
        "TypeError: Failed to fetch dynamically imported module: https://s.test/assets/A-x1.js"
    )
    assert chrome == "typeerror: failed to fetch dynamically imported module"
    assert (
        normalise_message(
            "TypeError: error loading dynamically imported module: https://s.test/assets/A-x1.js"
        )
        == chrome
    )
    assert normalise_message("TypeError: Importing a module script failed.") == chrome


def test_dom_exceptions_are_their_name() -> None:
    chrome = normalise_message(
        "QuotaExceededError: Failed to execute 'setItem' on 'Storage': Setting the value of "
        "'cart' exceeded the quota."
    )
    assert chrome == "quotaexceedederror"
    assert normalise_message("QuotaExceededError: The quota has been exceeded.") == chrome
    assert normalise_message("Uncaught NotAllowedError: play() failed") == "notallowederror"
    # An app's own error of a DOMException-like name keeps its message.
    assert (
        normalise_message("NotFoundError: Order 12 not found")
        == "notfounderror: order <n> not found"
    )


def test_safari_promise_rejection_prefix() -> None:
    chrome = normalise_message("Uncaught (in promise) Error: Could not save user 42")
    assert chrome == "error: could not save user <n>"
    assert normalise_message("Unhandled Promise Rejection: Error: Could not save user 7") == chrome


def test_safari_evaluating_with_brackets() -> None:
    assert normalise_message(
        "TypeError: undefined is not an object (evaluating 'currencies[code].symbol')"
    ) == normalise_message("TypeError: Cannot read properties of undefined (reading 'symbol')")


def test_error_codes_are_kept() -> None:
    a = normalise_message("Error: Minified React error #185; visit https://r.test/?i=185 for more")
    b = normalise_message("Error: Minified React error #418; visit https://r.test/?i=418 for more")
    assert a == "error: minified react error #<185>; visit <url> for more"
    assert a != b
    assert normalise_message("Error: Order #123 failed") == "error: order #<n> failed"


def test_top_frame_firefox_async_and_closures() -> None:
    assert top_frame("async*submitOrder@https://s.test/assets/index-BVk0Ca1D.js:1:2") == (
        "submitOrder@index.js"
    )
    assert top_frame("submitOrder/<@https://s.test/assets/index-BVk0Ca1D.js:1:2") == (
        "submitOrder@index.js"
    )


def test_top_frame_drops_minified_names() -> None:
    a = top_frame("    at Xe (https://s.test/assets/index-BVk0Ca1D.js:1:2)")
    b = top_frame("Ke@https://s.test/assets/index-D4t7Hn0q.js:3:9")
    assert a == b == "index.js"
    assert top_frame("    at Object.renderChart (https://s.test/main.js:1:2)") == (
        "renderChart@main.js"
    )


def test_top_frame_webpack_chunk_hash() -> None:
    a = top_frame("    at renderChart (https://a.test/static/js/823.a1b2c3d4.chunk.js:1:2)")
    b = top_frame("renderChart@https://a.test/static/js/823.9c8b7a6d.chunk.js:2:4")
    assert a == b == "renderChart@823.chunk.js"


def test_uninformative_errors_are_skipped() -> None:
    logs = [err("Script error."), err("ResizeObserver loop limit exceeded"), err("Error: boom")]
    fp = of_captures(logs, [], PAGE)
    assert fp.error == "error: boom"
    assert of_captures([err("Script error.")], [], PAGE).hash is None


def test_blocked_requests_are_no_failure() -> None:
    fp = of_captures([err("Error: boom")], [BEACON], PAGE)
    assert fp.request is None and fp.hash == digest("error", "error: boom")
    assert of_captures([], [BEACON], PAGE).hash is None


def test_own_request_then_error_then_third_party_request() -> None:
    maps = {
        "method": "GET",
        "url": "https://maps.googleapis.com/maps/api/place/js/Predict?input=x",
        "status": 403,
        "failed": True,
    }
    own = {"method": "POST", "url": "https://api.acme.test/api/pay", "status": 500, "failed": True}
    logs = [err("Error: Maps failed")]
    assert of_captures(logs, [maps, own], PAGE).hash == digest("request", "POST /api/pay → 5xx")
    third = of_captures(logs, [maps], PAGE)
    assert third.hash == digest("error", "error: maps failed")
    assert third.request == "GET /maps/api/place/js/predict → 4xx"
    alone = of_captures([], [maps], PAGE)
    assert alone.hash == digest("request", "GET /maps/api/place/js/predict → 4xx")
