"""The tracker providers BugPort connects to, by id."""

from __future__ import annotations

from bugport.config import Settings
from bugport.connector.http import ProviderHttp
from bugport.connector.providers.base import Connection, Identity, Provider, TokenSet
from bugport.connector.providers.github import GitHub
from bugport.connector.providers.jira import Jira
from bugport.connector.providers.linear import Linear

PROVIDERS: dict[str, type[Provider]] = {"github": GitHub, "linear": Linear, "jira": Jira}


def get_provider(provider_id: str, settings: Settings, http: ProviderHttp) -> Provider:
    return PROVIDERS[provider_id](settings, http)


__all__ = ["PROVIDERS", "Connection", "Identity", "Provider", "TokenSet", "get_provider"]
