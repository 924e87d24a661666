"""Comments on a bug: markdown, bounded, with @mentions of workspace members recorded."""

from __future__ import annotations

import re
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.auth.principal import Principal
from bugport.bug import activity, repository, service, writer
from bugport.errors import Forbidden, InsufficientRole, NotFound
from bugport.kit.pagination import PageParams
from bugport.models import Bug, Comment, Project
from bugport.models.base import utcnow

_MENTION = re.compile(
    r"(?<![\w@])@(?P<who>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})"
)


async def mentions_in(session: AsyncSession, workspace_id: uuid.UUID, body: str) -> list[str]:
    ids: set[uuid.UUID] = set()
    emails: set[str] = set()
    for m in _MENTION.finditer(body):
        who = m.group("who")
        if "@" in who:
            emails.add(who.lower())
        else:
            ids.add(uuid.UUID(who))
    members = await authz.members_among(session, workspace_id, user_ids=ids, emails=emails)
    return sorted(str(uid) for uid in members)


async def _redacted(session: AsyncSession, bug: Bug, body: str) -> str:
    project = await session.get(Project, bug.project_id)
    assert project is not None
    return writer.redactor_for(project).text("comment", body) or ""


async def create_comment(
    session: AsyncSession, principal: Principal, bug_id: uuid.UUID, body: str
) -> Comment:
    bug = await service.get_bug(session, principal, bug_id)
    await authz.require_role(session, principal, bug.workspace_id, "comment.write")
    text = await _redacted(session, bug, body)
    now = utcnow()
    c = Comment(
        id=uuid.uuid4(),
        bug_id=bug.id,
        workspace_id=bug.workspace_id,
        project_id=bug.project_id,
        author_id=principal.user_id,
        body=text,
        mentions=await mentions_in(session, bug.workspace_id, text),
        created_at=now,
        updated_at=now,
    )
    session.add(c)
    await activity.record(session, bug, principal, "commented", {"comment_id": str(c.id)})
    await session.flush()
    return c


async def list_comments(
    session: AsyncSession, principal: Principal, bug_id: uuid.UUID, key: bytes, params: PageParams
) -> tuple[list[Comment], str | None]:
    bug = await service.get_bug(session, principal, bug_id)
    stmt = authz.visible(principal, Comment).where(Comment.bug_id == bug.id)
    rows = list((await session.execute(repository.COMMENTS.apply(stmt, key, params))).scalars())
    return repository.COMMENTS.page(rows, key, params, lambda c: (c.created_at, c.id))


async def _comment(
    session: AsyncSession, principal: Principal, bug_id: uuid.UUID, comment_id: uuid.UUID
) -> tuple[Bug, Comment]:
    bug = await service.get_bug(session, principal, bug_id)
    c = await authz.fetch_visible(session, principal, Comment, comment_id)
    if c.bug_id != bug.id:
        raise NotFound()
    return bug, c


async def update_comment(
    session: AsyncSession,
    principal: Principal,
    bug_id: uuid.UUID,
    comment_id: uuid.UUID,
    body: str,
) -> Comment:
    bug, c = await _comment(session, principal, bug_id, comment_id)
    await authz.require_role(session, principal, bug.workspace_id, "comment.write")
    if c.author_id is None or c.author_id != principal.user_id:
        raise Forbidden("Only the author can edit a comment.")
    text = await _redacted(session, bug, body)
    now = utcnow()
    c.body = text
    c.mentions = await mentions_in(session, bug.workspace_id, text)
    c.updated_at = now
    c.edited_at = now
    await activity.record(session, bug, principal, "comment_edited", {"comment_id": str(c.id)})
    await session.flush()
    return c


async def delete_comment(
    session: AsyncSession, principal: Principal, bug_id: uuid.UUID, comment_id: uuid.UUID
) -> None:
    bug, c = await _comment(session, principal, bug_id, comment_id)
    role = await authz.require_role(session, principal, bug.workspace_id, "comment.write")
    if c.author_id != principal.user_id and not authz.allows(role, "comment.moderate"):
        raise InsufficientRole("Only the author or an admin can delete a comment.")
    await activity.record(session, bug, principal, "comment_deleted", {"comment_id": str(c.id)})
    await session.delete(c)
    await session.flush()
