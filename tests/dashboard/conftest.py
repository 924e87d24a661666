"""Fixtures of the dashboard tests (the live browser world is module-scoped: one server and one
Chromium per test module)."""

from tests.dashboard.browser import world  # noqa: F401
