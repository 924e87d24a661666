from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from bugport.db import Session
from bugport.kit.pagination import PageParams, page_params, signing_key
from bugport.kit.schemas import Page
from bugport.models import WidgetKey as WidgetKeyRow
from bugport.widget_key import service
from bugport.widget_key.auth import WidgetKeyAdmin
from bugport.widget_key.schemas import (
    WidgetKey,
    WidgetKeyCreate,
    WidgetKeyCreated,
    WidgetKeyRotate,
    WidgetKeyUpdate,
)

router = APIRouter(prefix="/projects/{project_id}/widget-keys", tags=["widget keys"])


def _created(key: WidgetKeyRow, secret: str, response: Response) -> WidgetKeyCreated:
    response.headers["Location"] = f"/v1/projects/{key.project_id}/widget-keys/{key.id}"
    return WidgetKeyCreated.model_validate(
        {**WidgetKey.model_validate(key).model_dump(), "key": secret}
    )


@router.post(
    "",
    status_code=201,
    response_model=WidgetKeyCreated,
    summary="Create a widget key (admin); the full key is shown only in this response",
)
async def create_widget_key(
    project_id: uuid.UUID,
    body: WidgetKeyCreate,
    principal: WidgetKeyAdmin,
    session: Session,
    response: Response,
) -> WidgetKeyCreated:
    key, secret = await service.create_key(session, principal, project_id, body)
    return _created(key, secret, response)


@router.get("", response_model=Page[WidgetKey], summary="List a project's widget keys (admin)")
async def list_widget_keys(
    project_id: uuid.UUID,
    principal: WidgetKeyAdmin,
    session: Session,
    paging: Annotated[PageParams, Depends(page_params)],
    request: Request,
) -> Page[WidgetKey]:
    rows, nxt = await service.list_keys(
        session, principal, project_id, signing_key(request), paging
    )
    return Page(data=[WidgetKey.model_validate(k) for k in rows], next_cursor=nxt)


@router.get("/{key_id}", response_model=WidgetKey, summary="Get a widget key (admin)")
async def get_widget_key(
    project_id: uuid.UUID, key_id: uuid.UUID, principal: WidgetKeyAdmin, session: Session
) -> WidgetKey:
    return WidgetKey.model_validate(await service.get_key(session, principal, project_id, key_id))


@router.patch(
    "/{key_id}",
    response_model=WidgetKey,
    summary="Change a widget key's label, allowed origins or enabled flag (admin)",
)
async def update_widget_key(
    project_id: uuid.UUID,
    key_id: uuid.UUID,
    body: WidgetKeyUpdate,
    principal: WidgetKeyAdmin,
    session: Session,
) -> WidgetKey:
    key = await service.update_key(session, principal, project_id, key_id, body)
    return WidgetKey.model_validate(key)


@router.delete(
    "/{key_id}", status_code=204, summary="Revoke a widget key (admin); it stops working at once"
)
async def revoke_widget_key(
    project_id: uuid.UUID, key_id: uuid.UUID, principal: WidgetKeyAdmin, session: Session
) -> Response:
    await service.revoke_key(session, principal, project_id, key_id)
    return Response(status_code=204)


@router.post(
    "/{key_id}/rotate",
    status_code=201,
    response_model=WidgetKeyCreated,
    summary="Rotate a widget key (admin): a new key now, the old one works until grace_until",
)
async def rotate_widget_key(
    project_id: uuid.UUID,
    key_id: uuid.UUID,
    body: WidgetKeyRotate,
    principal: WidgetKeyAdmin,
    session: Session,
    request: Request,
    response: Response,
) -> WidgetKeyCreated:
    settings = request.app.state.settings
    key, secret = await service.rotate_key(
        session, principal, project_id, key_id, body, settings.widget_key_max_grace_days
    )
    return _created(key, secret, response)
