"""Shapes of the dashboard's public routes: its configuration and the local sign-in exchange."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bugport.kit.schemas import InputModel, OutputModel

AuthMode = Literal["signin_link", "token", "password", "magic_link"]


class PublicConfig(OutputModel):
    supabase_url: str | None = Field(description="Set when sign-in goes through Supabase Auth.")
    supabase_anon_key: str | None = Field(
        description="Supabase's public anon (publishable) key; never a service key."
    )
    auth_modes: list[AuthMode] = Field(
        description="How a person may sign in here: `signin_link` (the one-time link "
        "`bugport serve` prints), `token` (paste a token from `bugport token`), `password` and "
        "`magic_link` (Supabase Auth)."
    )


class LocalSignin(InputModel):
    code: str = Field(min_length=1, max_length=200)


class LocalSession(OutputModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")
    email: str
