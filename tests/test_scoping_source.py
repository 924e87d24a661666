"""Scope is decided in one place: outside `bugport/authz/`, no code filters rows by workspace or
project by hand (`Model.workspace_id == …`, `Model.project_id.in_(…)`, `Membership.user_id == …`).
Callers start from `authz.visible`, `visible_resolved`, `in_workspace`, `my_workspaces`,
`writable_project` or `widget_writable` instead. The few places that filter by hand on purpose
are listed below with why; a new one fails this test until it moves onto authz or is listed."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "bugport"
SCOPE_COLUMNS = {"workspace_id", "project_id"}

# (module, function) -> why filtering by hand is right there.
ALLOWED: dict[tuple[str, str], str] = {
    ("bug/repository.py", "filtered"): "narrows authz.visible_resolved by the caller's own "
    "?workspace_id=/?project_id= filter (the statement is already scoped)",
    ("similar/groups.py", "_stats"): "counts the groups of the page's head rows, which were "
    "read through authz.visible_resolved (a group lives in its head's project)",
    ("connector/service.py", "start_oauth"): "drops expired OAuth states of the workspace the "
    "caller was just checked against (authz.require_workspace)",
    ("connector/service.py", "complete_oauth"): "upserts the connection in the workspace the "
    "verified, signed OAuth state names (the state is checked, not the caller)",
    ("connector/tasks.py", "auto_push_of"): "internal job: the project of a bug just created",
    ("connector/tasks.py", "auto_push_projects"): "internal job: the projects of bugs just created",
    ("webhook/delivery.py", "relay"): "internal job: the endpoints of the workspaces whose "
    "events are being relayed",
    ("media/service.py", "purge_project"): "internal hook: the media of a project being deleted, "
    "already fetched through authz",
    ("workspace/service.py", "_membership"): "the membership row being changed, in a workspace "
    "authz.require_workspace has already checked",
    ("workspace/service.py", "_owner_count"): "the last-owner rule, in a workspace "
    "authz.require_workspace has already checked",
    ("workspace/service.py", "accept_invite_for"): "joins the workspace the verified invite names",
    ("workspace/service.py", "storage"): "sums the media of a workspace fetched through "
    "authz.require_workspace",
    ("widget_key/service.py", "list_keys"): "narrows authz.visible to the project just fetched "
    "through authz",
    ("project/service.py", "create_project"): "project key uniqueness in a workspace checked "
    "through authz.require_workspace",
    ("mcp_token/resolver.py", "resolve_mcp_token"): "credential resolution: reads the token "
    "creator's membership before any scope exists",
}


def _scope_attr(node: ast.AST) -> bool:
    if not isinstance(node, ast.Attribute) or not isinstance(node.value, ast.Name):
        return False
    model = node.value.id
    if not model[:1].isupper():
        return False  # an instance's attribute (`bug.project_id`), not a column in a filter
    return node.attr in SCOPE_COLUMNS or (model == "Membership" and node.attr == "user_id")


def _column(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id[:1].isupper()
    )


def _filter(node: ast.AST) -> bool:
    """`Model.workspace_id == x` or `Model.project_id.in_(x)`; a join condition between two
    columns (`Project.id == Bug.project_id`) is not a filter."""
    if isinstance(node, ast.Compare):
        sides = (node.left, *node.comparators)
        return (
            any(isinstance(op, ast.Eq | ast.In) for op in node.ops)
            and any(_scope_attr(n) for n in sides)
            and not all(_column(n) for n in sides)
        )
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "in_"
        and _scope_attr(node.func.value)
    )


def hand_filters() -> dict[tuple[str, str], list[int]]:
    found: dict[tuple[str, str], list[int]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(("authz/", "migrations/", "models/")):
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if _filter(node):
                    found.setdefault((rel, fn.name), []).append(node.lineno)
    return found


def test_no_hand_built_scope_outside_authz() -> None:
    found = hand_filters()
    new = {k: v for k, v in found.items() if k not in ALLOWED}
    assert not new, (
        "scope filters built by hand outside bugport/authz/ (use an authz helper, or list the "
        f"function in ALLOWED with why): {new}"
    )
    stale = sorted(set(ALLOWED) - set(found))
    assert not stale, f"ALLOWED entries that no longer filter by hand (remove them): {stale}"


def test_the_scan_sees_a_hand_built_filter() -> None:
    """The scan itself can fail: a filter on a model's workspace_id in a function is found."""
    src = "async def leak(s, ws):\n    return select(Bug).where(Bug.workspace_id == ws)\n"
    compare = next(n for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Compare))
    assert _filter(compare)
    assert _filter(ast.parse("Media.project_id.in_(ids)", mode="eval").body)
    assert _filter(ast.parse("Membership.user_id == principal.user_id", mode="eval").body)
    assert not _filter(ast.parse("bug.workspace_id == ws", mode="eval").body)
    assert not _filter(ast.parse("Project.id == Bug.project_id", mode="eval").body)
