"""Every cross-feature hook, registered in this one place (`create_app` calls `install`). Read it
to see what else runs when a credential is resolved, a bug is created or deleted, or a project or
workspace is deleted: features never register themselves as a side effect of being imported.

Each hook list is replaced, not appended to, so building several apps in one process (tests)
never runs a hook twice."""

from __future__ import annotations


def install() -> None:
    from bugport.auth.credentials import register_resolver
    from bugport.billing import service as billing_service
    from bugport.bug import service as bug_service
    from bugport.connector import tasks as connector_tasks
    from bugport.events import outbox
    from bugport.mcp_token import resolver as mcp_token_resolver
    from bugport.media import service as media_service
    from bugport.project import service as project_service
    from bugport.similar import duplicates
    from bugport.widget_key import service as widget_key_service
    from bugport.workspace import service as workspace_service

    # Credentials by prefix (Supabase JWTs are the default when no prefix matches).
    register_resolver(mcp_token_resolver.PREFIX, mcp_token_resolver.resolve_mcp_token)
    register_resolver(widget_key_service.PREFIX, widget_key_service.resolve_widget_key)
    # A bug's life: trackers with auto-push queue the new bug; media gives its bytes back first.
    bug_service.AFTER_CREATE[:] = [connector_tasks.bugs_created]
    bug_service.BEFORE_DELETE[:] = [
        duplicates.canonical_deleted,
        media_service.tombstone_bug_media,
        outbox.bug_deleted,
    ]
    # Containers: their media's bytes and objects go before the rows do. A workspace's Stripe
    # subscription is canceled first: if Stripe says no, nothing else is done.
    project_service.BEFORE_DELETE[:] = [media_service.purge_project]
    workspace_service.BEFORE_DELETE[:] = [
        billing_service.cancel_with_workspace,
        media_service.forget_workspace,
    ]
