from __future__ import annotations

import uuid

from pydantic import Field, model_validator

from bugport.bug.schemas import MAX_LOGS, MAX_NETWORK, Bug, Fingerprint, LogIn, NetworkIn
from bugport.kit.schemas import InputModel, OutputModel

MAX_SIMILAR = 20


class SimilarBug(OutputModel):
    bug: Bug
    score: float = Field(description="Higher is more alike; only the order is meaningful.")
    reason: str = Field(
        description="The strongest reason, for a person: "
        "`same failing request POST /api/checkout/:id → 5xx`, `similar title`…"
    )
    reasons: list[str] = Field(description="Every reason this bug came up, strongest first.")


class SimilarList(OutputModel):
    data: list[SimilarBug]
    fingerprint: Fingerprint | None = Field(description="The failure the results were matched on.")
    same_failure_count: int = Field(
        description="Visible reports with this exact fingerprint (the bug itself included), "
        'so a client can say "this failure has 37 reports".'
    )


class DraftSimilar(InputModel):
    """A report not filed yet: what the dashboard or the extension holds before sending."""

    project_id: uuid.UUID
    title: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=50_000)
    page_url: str | None = Field(default=None, max_length=8192)
    logs: list[LogIn] = Field(default_factory=list, max_length=MAX_LOGS)
    network: list[NetworkIn] = Field(default_factory=list, max_length=MAX_NETWORK)
    limit: int = Field(default=5, ge=1, le=MAX_SIMILAR)

    @model_validator(mode="after")
    def _something(self) -> DraftSimilar:
        if not (self.title or self.description or self.logs or self.network):
            raise ValueError("send a title, a description, logs or network entries")
        return self


class DuplicateOf(InputModel):
    bug_id: uuid.UUID = Field(description="The canonical bug (a duplicate's canonical is used).")
