"""Cross-feature hooks are registered in bugport/hooks.py only, by create_app, exactly once."""

from __future__ import annotations

import re
from pathlib import Path

from bugport import hooks
from bugport.auth.credentials import RESOLVERS
from bugport.billing import service as billing_service
from bugport.bug import service as bug_service
from bugport.events import outbox
from bugport.media import service as media_service
from bugport.project import service as project_service
from bugport.similar import duplicates
from bugport.workspace import service as workspace_service

PACKAGE = Path(hooks.__file__).resolve().parent


def test_install_sets_every_hook_once() -> None:
    hooks.install()
    hooks.install()  # a second app in the same process adds nothing
    assert bug_service.BEFORE_DELETE == [
        duplicates.canonical_deleted,
        media_service.tombstone_bug_media,
        outbox.bug_deleted,
    ]
    assert len(bug_service.AFTER_CREATE) == 1
    assert project_service.BEFORE_DELETE == [media_service.purge_project]
    assert workspace_service.BEFORE_DELETE == [
        billing_service.cancel_with_workspace,
        media_service.forget_workspace,
    ]
    assert {"bp_mcp_", "bp_pub_"} <= set(RESOLVERS)


def test_no_module_registers_itself_on_import() -> None:
    """A hook list appended to, or a resolver registered, at a module's top level is a hook a
    reader of create_app can't see: they belong in bugport/hooks.py."""
    pattern = re.compile(
        r"^\S.*[A-Z_]*(HOOKS|BEFORE_DELETE|AFTER_CREATE|PROVIDERS|RESOLVERS)(\.(append|extend|insert)\(|\[.*\]\s*=)|^register_resolver\(",
        re.M,
    )
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p.name != "hooks.py" and pattern.search(p.read_text())
    ]
    assert offenders == []
