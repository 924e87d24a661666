"""GitHub (and GitHub Enterprise Server) through an OAuth app.

authorize  {github_oauth_url}/login/oauth/authorize   (PKCE S256 supported since 2025-07)
token      {github_oauth_url}/login/oauth/access_token (Accept: application/json; errors come
           back as 200 with an `error` field)
identity   GET {github_api_url}/user
revoke     DELETE {github_api_url}/applications/{client_id}/token (basic auth with the app's
           client id/secret). We revoke this token only, not the whole grant: deleting the grant
           would also cut the same GitHub user's connections in other BugPort workspaces.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote, urlsplit

from bugport.connector.http import ProviderCallFailed
from bugport.connector.issue import IssueDraft
from bugport.connector.providers.base import (
    Connection,
    ExternalIssue,
    Identity,
    Provider,
    TargetSpec,
    TokenSet,
    text,
)

API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


class GitHub(Provider):
    id = "github"
    name = "GitHub"
    supports_pkce = True
    supports_revoke = True

    def authorize_url(self, state: str, challenge: str | None, redirect_uri: str) -> str:
        q = {
            "client_id": self.client_id or "",
            "redirect_uri": redirect_uri,
            "scope": self.settings.github_scopes,
            "state": state,
            "allow_signup": "false",
        }
        if challenge:
            q |= {"code_challenge": challenge, "code_challenge_method": "S256"}
        return self.url("oauth_url", "/login/oauth/authorize", q)

    async def _token(self, form: dict[str, str], what: str, refreshing: bool) -> TokenSet:
        resp = await self.call(
            "POST", self.url("oauth_url", "/login/oauth/access_token"), form=form
        )
        return self.token_set(resp, what, refreshing=refreshing)

    async def exchange_code(self, code: str, verifier: str | None, redirect_uri: str) -> TokenSet:
        form = {
            "client_id": self.client_id or "",
            "client_secret": self.client_secret or "",
            "code": code,
            "redirect_uri": redirect_uri,
        }
        if verifier:
            form["code_verifier"] = verifier
        return await self._token(form, "exchanging the authorization code", False)

    async def refresh(self, refresh_token: str) -> TokenSet:
        # Only GitHub App user tokens expire; OAuth-app tokens never reach this.
        form = {
            "client_id": self.client_id or "",
            "client_secret": self.client_secret or "",
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        return await self._token(form, "refreshing the token", True)

    def _auth(self, token: str) -> dict[str, str]:
        return {**API_HEADERS, "Authorization": f"Bearer {token}"}

    async def _user(self, token: str) -> dict[str, object]:
        resp = await self.call("GET", self.url("api_url", "/user"), headers=self._auth(token))
        body = self.ok_json(resp, "reading the account (GET /user)")
        if not isinstance(body, dict) or text(body.get("login")) is None:
            raise ProviderCallFailed("GitHub's /user answer has no login.", status=resp.status)
        return body

    async def identify(self, access_token: str, site_hint: str | None) -> Identity:
        user = await self._user(access_token)
        site = self.setting("oauth_url")
        return Identity(
            external_key=text(user.get("id")) or str(text(user.get("login"))),
            account_name=str(text(user.get("login"))),
            site_name=urlsplit(site).hostname,
            site_url=site,
        )

    async def whoami(self, conn: Connection) -> str:
        return str(text((await self._user(conn.access_token)).get("login")))

    async def revoke(self, access_token: str, refresh_token: str | None) -> None:
        resp = await self.call(
            "DELETE",
            self.url("api_url", f"/applications/{self.client_id}/token"),
            headers=API_HEADERS,
            json_body={"access_token": access_token},
            auth=(self.client_id or "", self.client_secret or ""),
        )
        if resp.status not in (204, 404):  # 404: already revoked
            self.ok_json(resp, "revoking the token")

    def _issues_url(self, target: TargetSpec) -> str:
        owner, _, repo = str(target.repo).partition("/")
        return self.url("api_url", f"/repos/{quote(owner, safe='')}/{quote(repo, safe='')}/issues")

    def _issue(self, target: TargetSpec, body: object) -> ExternalIssue | None:
        if not isinstance(body, dict) or not isinstance(body.get("number"), int):
            return None
        url = body.get("html_url")
        return ExternalIssue(
            id=str(text(body.get("id")) or body["number"]),
            key=f"{target.repo}#{body['number']}",
            url=url if isinstance(url, str) and url.startswith("https://") else None,
        )

    async def create_issue(
        self, conn: Connection, target: TargetSpec, draft: IssueDraft, push_id: uuid.UUID
    ) -> ExternalIssue:
        resp = await self.call(
            "POST",
            self._issues_url(target),
            headers=self._auth(conn.access_token),
            json_body={"title": draft.title, "body": draft.markdown, "labels": draft.labels},
        )
        issue = self._issue(target, self.ok_json(resp, f"creating an issue in {target.repo}"))
        if issue is None:
            raise ProviderCallFailed("GitHub's answer to the issue creation has no number.")
        return issue

    async def find_issue(
        self, conn: Connection, target: TargetSpec, draft: IssueDraft, push_id: uuid.UUID
    ) -> ExternalIssue | None:
        # The newest issues of the repository (list endpoints are consistent, unlike search).
        resp = await self.call(
            "GET",
            self._issues_url(target) + "?state=all&sort=created&direction=desc&per_page=100",
            headers=self._auth(conn.access_token),
        )
        items = self.ok_json(resp, f"looking for an earlier push in {target.repo}")
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and draft.marker in str(item.get("body") or ""):
                return self._issue(target, item)
        return None
