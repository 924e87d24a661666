"""Property-based run over the OpenAPI schema, in process: no 5xx, and every response (status,
content type, headers, body) matches what the schema documents."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bugport.app import create_app
from bugport.auth.jwt import mint_dev_token
from bugport.db import make_sessionmaker
from bugport.migrate import upgrade
from tests.conftest import JWT_SECRET, make_settings


def _build_app():  # type: ignore[no-untyped-def]
    tmp = Path(tempfile.mkdtemp(prefix="bugport-schemathesis-"))
    url = f"sqlite+aiosqlite:///{tmp / 'st.db'}"
    app = create_app(make_settings(url, tmp))
    # The ASGI client opens a fresh event loop per call: never pool connections across loops.
    engine = create_async_engine(url, poolclass=NullPool)
    asyncio.run(upgrade(engine))
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    return app


APP = _build_app()
TOKEN = mint_dev_token(APP.state.settings, "schemathesis@example.com", "Fuzz")
assert JWT_SECRET == APP.state.settings.supabase_jwt_secret
schema = schemathesis.openapi.from_asgi("/v1/openapi.json", APP)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS)
