from __future__ import annotations

from pydantic import Field

from bugport.kit.schemas import InputModel, OutputModel


class NotificationPrefs(OutputModel):
    assigned: bool = Field(description="Email me when a bug is assigned to me.")
    mentioned: bool = Field(description="Email me when someone @mentions me in a comment.")
    watching: bool = Field(
        description="Email me about comments and status changes on bugs I watch (bugs I "
        "reported, was assigned, commented on, or chose to watch)."
    )


class NotificationPrefsUpdate(InputModel):
    assigned: bool | None = None
    mentioned: bool | None = None
    watching: bool | None = None


class Watching(OutputModel):
    watching: bool


class Unsubscribed(OutputModel):
    unsubscribed: list[str] = Field(description="The categories now turned off.")
