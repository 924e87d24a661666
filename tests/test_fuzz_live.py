"""Issue 16's proof: a property-based sweep of every route and method, generated from
/v1/openapi.json, against a live server on PostgreSQL over real sockets, as a credentialed
owner, with hostile text (NUL, lone surrogates, controls, very long strings, RTL and zero-width
characters, non-ASCII) put into bodies, query parameters and path parameters, and real ids put
where the schema wants ids so requests get past the 404s to the database. Zero 5xx, zero
connection resets.

Bounded by default so the suite stays within CI time; a release check runs it longer:

    BUGPORT_FUZZ_EXAMPLES=200 .venv/bin/pytest -p no:xdist tests/test_fuzz_live.py

Every 5xx this sweep ever found is a named test in tests/test_hostile_text.py."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from bugport.auth.jwt import mint_dev_token
from tests.conftest import database_url
from tests.fixtures.live import LiveServer

EXAMPLES = int(os.environ.get("BUGPORT_FUZZ_EXAMPLES", "3"))

HOSTILE = [
    "a\x00b",
    "\x00",
    "\ud800",
    "x\udfffy",
    "\u202eevil\u200b\u200d\ufeff",
    "caf\u00e9 \u4e2d\u6587 \U0001f41b",
    "\x1b[31m\x07\x7f",
    "line\r\nbreak\ttab",
    "A" * 20_000,
    "%00%ff",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "",
    " ",
]
# A URL can't carry a lone surrogate (no UTF-8 for it): query and path get the rest.
IN_URL = [h for h in HOSTILE if not any(0xD800 <= ord(c) <= 0xDFFF for c in h)]
Path_ = tuple[Any, ...]


def _string_paths(node: Any, path: Path_ = ()) -> list[Path_]:
    if isinstance(node, str):
        return [path]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _string_paths(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _string_paths(v, (*path, i))]
    return []


def _replace(node: Any, path: Path_, value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {**node, head: _replace(node[head], rest, value)}
    out = list(node)
    out[head] = _replace(out[head], rest, value)
    return out


def _with_ids(node: Any, ids: dict[str, str]) -> Any:
    """Real ids of the seeded workspace where the schema asks for one (a random UUID would stop
    every request at a 404 before the database sees the hostile text)."""
    if isinstance(node, dict):
        return {k: ids[k] if k in ids else _with_ids(v, ids) for k, v in node.items()}
    if isinstance(node, list):
        return [_with_ids(v, ids) for v in node]
    return node


def _hostile_map(ids: dict[str, str], texts: list[str]) -> Any:
    hostile = st.sampled_from(texts)

    def flatmap(ctx: Any, value: Any) -> st.SearchStrategy[Any]:
        if not isinstance(value, (dict, list)):
            return st.just(value)
        seeded = _with_ids(value, ids)
        # Ids stay real: hostile text goes into the text fields.
        paths = [p for p in _string_paths(seeded) if not str(p[-1] if p else "").endswith("_id")]
        if not paths:
            return st.just(seeded)
        edits = st.lists(st.tuples(st.sampled_from(paths), hostile), min_size=1, max_size=3)

        def apply(changes: list[tuple[Path_, str]]) -> Any:
            out = seeded
            for p, v in changes:
                out = _replace(out, p, v)
            return out

        return edits.map(apply)

    return flatmap


class Seed:
    """A live server on PostgreSQL with a workspace, a project, a bug and a comment."""

    def __init__(self) -> None:
        tmp = Path(tempfile.mkdtemp(prefix="bugport-fuzz-"))
        url = asyncio.run(database_url("postgresql", tmp, label="_fuzz"))
        self.live = LiveServer(url, tmp / "data").start()
        settings_ = self.live.app.state.settings
        self.token = mint_dev_token(settings_, "fuzz-owner@example.com", "Fuzz Owner")
        h = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.live.base_url, headers=h, timeout=30) as c:
            assert c.post("/v1/auth/sync-profile").status_code in (200, 201)
            ws = c.post("/v1/workspaces", json={"name": "Fuzz"}).json()
            body = {"workspace_id": ws["id"], "name": "Fuzzed", "key": "FUZ"}
            project = c.post("/v1/projects", json=body).json()
            bug = c.post("/v1/bugs", json={"project_id": project["id"], "title": "seed"}).json()
            comment = c.post(f"/v1/bugs/{bug['id']}/comments", json={"body": "seed"}).json()
        self.ids = {
            "workspace_id": ws["id"],
            "project_id": project["id"],
            "bug_id": bug["id"],
            "comment_id": comment["id"],
        }


@pytest.fixture(scope="session")
def fuzz_seed() -> Iterator[Seed]:
    from tests.fixtures.services import need_postgres

    need_postgres()
    seed = Seed()
    yield seed
    seed.live.stop()


@pytest.fixture(scope="session")
def fuzz_schema(fuzz_seed: Seed) -> Any:
    schema = schemathesis.openapi.from_url(f"{fuzz_seed.live.base_url}/v1/openapi.json")
    schema.hook("flatmap_body")(_hostile_map(fuzz_seed.ids, HOSTILE))
    schema.hook("flatmap_query")(_hostile_map(fuzz_seed.ids, IN_URL))
    schema.hook("flatmap_path_parameters")(_hostile_map(fuzz_seed.ids, IN_URL))
    return schema


def test_no_5xx_and_no_reset_on_hostile_input(fuzz_schema: Any, fuzz_seed: Seed) -> None:
    """Every operation in the schema, EXAMPLES hostile cases each; all failures reported at once."""
    headers = {"Authorization": f"Bearer {fuzz_seed.token}"}
    failures: list[str] = []
    operations = 0
    # Deletes last, so the seeded objects are there for every other operation.
    ops = sorted(
        (r.ok() for r in fuzz_schema.get_all_operations()), key=lambda o: o.method == "delete"
    )
    for op in ops:
        operations += 1

        @given(case=op.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        try:
            run()
        except (ConnectionError, OSError) as exc:  # a reset is a failure, named as such
            failures.append(f"{op.method.upper()} {op.path}: connection failed: {exc}")
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{op.method.upper()} {op.path}: {str(exc)[:800]}")
    assert operations > 50, operations
    assert not failures, "\n\n".join(failures)
