"""The few Stripe calls billing makes, through the official SDK's async methods. One client per
app; `BUGPORT_STRIPE_API_BASE` points it at a Stripe-compatible server (tests use a loopback stub).
SDK errors become BugPort errors here so no provider detail leaks into a response."""

from __future__ import annotations

import logging
from typing import Any

import stripe
from starlette.datastructures import State

from bugport.config import Settings
from bugport.errors import BugPortError, Unavailable

log = logging.getLogger("bugport.billing")


class BillingDisabled(BugPortError):
    status, code = 409, "billing_disabled"
    message = "Billing is not enabled on this server; storage quotas are set by the operator."


class ProviderError(BugPortError):
    status, code = 502, "payment_provider_error"
    message = "The payment provider refused the request; try again or contact support."


def client_for(state: State) -> stripe.StripeClient:
    """The app's StripeClient, built on first use (billing-disabled servers never build one)."""
    settings: Settings = state.settings
    if not settings.billing_enabled or not settings.stripe_secret_key:
        raise BillingDisabled()
    existing = getattr(state, "stripe_client", None)
    if existing is None:
        base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
        http = stripe.HTTPXClient(timeout=settings.stripe_timeout_seconds)
        existing = stripe.StripeClient(
            settings.stripe_secret_key,
            base_addresses=base,  # type: ignore[arg-type]
            http_client=http,
            max_network_retries=2,  # the SDK adds an idempotency key, so retries are safe
        )
        state.stripe_client = existing
        state.stripe_http = http
    return existing


async def close(state: State) -> None:
    http = getattr(state, "stripe_http", None)
    if http is not None:
        await http.close_async()
        state.stripe_http = state.stripe_client = None


def plain(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


async def call(what: str, coro: Any) -> dict[str, Any]:
    try:
        return plain(await coro)
    except stripe.APIConnectionError as exc:
        log.warning("stripe %s: connection failed: %s", what, exc)
        raise Unavailable("The payment provider is unreachable; try again shortly.") from exc
    except stripe.RateLimitError as exc:
        raise Unavailable("The payment provider is busy; try again shortly.") from exc
    except stripe.StripeError as exc:
        log.warning("stripe %s failed: %s %s", what, exc.http_status, exc.user_message)
        raise ProviderError() from exc
