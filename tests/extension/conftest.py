"""Fixtures of the extension tests (the live world is module-scoped: one server, one Chromium)."""

from tests.extension.browser import ext_world  # noqa: F401
from tests.fixtures.s3 import s3_server  # noqa: F401  (session fixture)
