"""Jira Cloud through Atlassian OAuth 2.0 (3LO). Atlassian does not support PKCE for these
(confidential) apps and has no token revocation endpoint: disconnecting deletes our copy, and the
user removes the app under "Connected apps" in their Atlassian account settings.

authorize  {jira_auth_url}/authorize?audience=api.atlassian.com&prompt=consent (offline_access
           in the scopes gets a refresh token; refresh tokens rotate)
token      POST {jira_auth_url}/oauth/token (JSON)
sites      GET {jira_api_url}/oauth/token/accessible-resources  -> cloud id, site name and URL
identity   GET {jira_api_url}/ex/jira/{cloudid}/rest/api/3/myself
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx

from bugport.connector.http import ProviderCallFailed
from bugport.connector.issue import IssueDraft, jira_marker_label
from bugport.connector.providers.base import (
    Connection,
    ExternalIssue,
    Identity,
    Provider,
    TargetSpec,
    TokenSet,
    text,
)

CLOUD_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")


def _site(url: Any) -> str | None:
    """A site URL from Atlassian, kept only when it is a plain https origin (used for links)."""
    if not isinstance(url, str):
        return None
    try:
        u = httpx.URL(url)
    except httpx.InvalidURL:
        return None
    if u.scheme != "https" or not u.host or u.userinfo:
        return None
    return f"https://{u.host}"


class Jira(Provider):
    id = "jira"
    name = "Jira"
    supports_pkce = False
    supports_revoke = False

    def authorize_url(self, state: str, challenge: str | None, redirect_uri: str) -> str:
        q = {
            "audience": "api.atlassian.com",
            "client_id": self.client_id or "",
            "scope": self.settings.jira_scopes,
            "redirect_uri": redirect_uri,
            "state": state,
            "response_type": "code",
            "prompt": "consent",
        }
        return self.url("auth_url", "/authorize", q)

    async def _token(self, body: dict[str, str], what: str, refreshing: bool) -> TokenSet:
        resp = await self.call("POST", self.url("auth_url", "/oauth/token"), json_body=body)
        return self.token_set(resp, what, refreshing=refreshing)

    async def exchange_code(self, code: str, verifier: str | None, redirect_uri: str) -> TokenSet:
        body = {
            "grant_type": "authorization_code",
            "client_id": self.client_id or "",
            "client_secret": self.client_secret or "",
            "code": code,
            "redirect_uri": redirect_uri,
        }
        return await self._token(body, "exchanging the authorization code", False)

    async def refresh(self, refresh_token: str) -> TokenSet:
        body = {
            "grant_type": "refresh_token",
            "client_id": self.client_id or "",
            "client_secret": self.client_secret or "",
            "refresh_token": refresh_token,
        }
        return await self._token(body, "refreshing the token", True)

    def _auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def api(self, cloud_id: str, path: str) -> str:
        if not CLOUD_ID.match(cloud_id):
            raise ProviderCallFailed("The stored Jira cloud id is malformed; reconnect.")
        return self.url("api_url", f"/ex/jira/{cloud_id}{path}")

    async def _myself(self, token: str, cloud_id: str) -> dict[str, Any]:
        resp = await self.call(
            "GET", self.api(cloud_id, "/rest/api/3/myself"), headers=self._auth(token)
        )
        body = self.ok_json(resp, "reading the account (GET /myself)")
        if not isinstance(body, dict) or not text(body.get("accountId")):
            raise ProviderCallFailed("Jira's /myself answer has no accountId.", status=resp.status)
        return body

    async def identify(self, access_token: str, site_hint: str | None) -> Identity:
        resp = await self.call(
            "GET",
            self.url("api_url", "/oauth/token/accessible-resources"),
            headers=self._auth(access_token),
        )
        sites = self.ok_json(resp, "listing the accessible Jira sites")
        sites = [s for s in sites if isinstance(s, dict)] if isinstance(sites, list) else []
        sites = [s for s in sites if isinstance(s.get("id"), str) and CLOUD_ID.match(s["id"])]
        if site_hint:
            sites = [s for s in sites if _site(s.get("url")) == site_hint]
        if not sites:
            raise ProviderCallFailed(
                "The Atlassian account has no accessible Jira site"
                + (f" at {site_hint}." if site_hint else ".")
            )
        site = sites[0]
        me = await self._myself(access_token, site["id"])
        return Identity(
            external_key=f"{site['id']}:{text(me.get('accountId'))}",
            account_name=text(me.get("displayName")) or str(text(me.get("accountId"))),
            site_name=text(site.get("name")),
            site_url=_site(site.get("url")),
            cloud_id=site["id"],
        )

    async def whoami(self, conn: Connection) -> str:
        me = await self._myself(conn.access_token, conn.cloud_id or "")
        return text(me.get("displayName")) or str(text(me.get("accountId")))

    @staticmethod
    def _issue(conn: Connection, body: Any) -> ExternalIssue | None:
        if not isinstance(body, dict) or not text(body.get("key")):
            return None
        key = str(text(body.get("key")))
        return ExternalIssue(
            id=str(text(body.get("id")) or key),
            key=key,
            url=f"{conn.site_url}/browse/{key}" if conn.site_url else None,
        )

    async def create_issue(
        self, conn: Connection, target: TargetSpec, draft: IssueDraft, push_id: uuid.UUID
    ) -> ExternalIssue:
        fields = {
            "project": {"key": target.project_key},
            "issuetype": {"name": target.issue_type or "Bug"},
            "summary": draft.title,
            "description": draft.adf,
            "labels": draft.labels,
        }
        resp = await self.call(
            "POST",
            self.api(conn.cloud_id or "", "/rest/api/3/issue"),
            headers=self._auth(conn.access_token),
            json_body={"fields": fields},
        )
        issue = self._issue(conn, self.ok_json(resp, f"creating an issue in {target.project_key}"))
        if issue is None:
            raise ProviderCallFailed("Jira's answer to the issue creation has no key.")
        return issue

    async def find_issue(
        self, conn: Connection, target: TargetSpec, draft: IssueDraft, push_id: uuid.UUID
    ) -> ExternalIssue | None:
        jql = f'labels = "{jira_marker_label(push_id)}"'
        query = urlencode({"jql": jql, "fields": "summary", "maxResults": "1"})
        resp = await self.call(
            "GET",
            self.api(conn.cloud_id or "", f"/rest/api/3/search/jql?{query}"),
            headers=self._auth(conn.access_token),
        )
        body = self.ok_json(resp, "looking for an earlier push")
        issues = body.get("issues") if isinstance(body, dict) else None
        return self._issue(conn, issues[0]) if isinstance(issues, list) and issues else None
