"""The extension's capture: create the bug (logs, network) and issue one upload URL per
attachment in one transaction. An attachment that can't get a URL (type, size, quota) is reported
in its slot and never costs the bug: each is tried inside its own savepoint."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bugport.auth.principal import Principal
from bugport.bug import service as bug_service
from bugport.errors import BugPortError
from bugport.media import service as media_service
from bugport.media.service import Runtime, UploadSpec
from bugport.models import Bug
from bugport.plugin.schemas import CaptureCreate


async def create_capture(
    session: AsyncSession, rt: Runtime, principal: Principal, body: CaptureCreate
) -> tuple[Bug, list[dict[str, Any]]]:
    # CaptureCreate is a BugData (validated once, by the route). Access (404 / 403 for
    # viewers) is checked by create_bug, exactly as for POST /v1/bugs.
    bug = await bug_service.create_bug(
        session, principal, body, source="extension", project_id=body.project_id
    )
    results: list[dict[str, Any]] = []
    for i, att in enumerate(body.attachments):
        spec = UploadSpec(att.filename, att.content_type, att.size_bytes, att.kind)
        slot: dict[str, Any] = {
            "index": i,
            "filename": att.filename,
            "media_id": None,
            "upload": None,
            "expires_at": None,
            "error": None,
        }
        try:
            async with session.begin_nested():
                m, presigned = await media_service.issue_upload(
                    session,
                    rt,
                    workspace_id=bug.workspace_id,
                    project_id=bug.project_id,
                    bug_id=bug.id,
                    created_by_id=principal.user_id,
                    source="extension",
                    spec=spec,
                    field_prefix=f"body.attachments.{i}",
                )
        except BugPortError as exc:
            slot["error"] = {"code": exc.code, "message": exc.message, "details": exc.details}
        else:
            slot.update(
                media_id=m.id,
                upload={
                    "url": presigned.url,
                    "method": presigned.method,
                    "headers": presigned.headers,
                },
                expires_at=m.expires_at,
            )
        results.append(slot)
    return bug, results
