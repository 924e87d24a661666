"""The ceiling for this stack: a bare FastAPI endpoint doing one INSERT of the posted JSON on the
same PostgreSQL, through BugPort's engine (bugport.db.make_engine). Run by bench/widget_bench.py."""

from __future__ import annotations

import os
import uuid
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy import Column, MetaData, Table, Uuid
from sqlalchemy.dialects.postgresql import JSONB

from bugport.db import make_engine

metadata = MetaData()
reports = Table(
    "bench_ceiling_reports",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("body", JSONB, nullable=False),
)
# As many pooled connections as requests in flight: with fewer, connections beyond the pool are
# closed on return and opened again (a server process each time), which would slow the ceiling.
engine = make_engine(os.environ["BENCH_DATABASE_URL"], pool_size=32)
app = FastAPI()


@app.post("/v1/ingest", status_code=201)
async def ingest(request: Request) -> dict[str, Any]:
    body = await request.json()
    new_id = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(reports.insert().values(id=new_id, body=body))
    return {"id": str(new_id)}
