from __future__ import annotations

import uuid

from pydantic import Field

from bugport.kit.schemas import OutputModel


class WidgetCheck(OutputModel):
    ok: bool = Field(description="Always true: the key is live and this origin is allowed.")
    project_id: uuid.UUID
