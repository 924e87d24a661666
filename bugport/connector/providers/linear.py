"""Linear: OAuth 2 with PKCE and rotating refresh tokens, GraphQL API.

authorize  {linear_oauth_url}/oauth/authorize (prompt=consent lets the user pick the workspace)
token      POST {linear_api_url}/oauth/token (form-encoded; refresh tokens rotate)
identity   POST {linear_api_url}/graphql  `{ viewer { id name } }`
revoke     POST {linear_api_url}/oauth/revoke with the token as Bearer
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from bugport.connector.http import ProviderCallFailed, status_failure
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

ISSUE_CREATE = """mutation IssueCreate($input: IssueCreateInput!) {
  issueCreate(input: $input) { success issue { id identifier url } }
}"""
TEAM_LABELS = """query TeamLabels($team: String!) {
  team(id: $team) { labels(first: 100) { nodes { id name } } }
}"""
ISSUE_BY_ID = """query Issue($id: String!) { issue(id: $id) { id identifier url } }"""

_CODE = re.compile(r"^[A-Z_]{1,64}$")


class Linear(Provider):
    id = "linear"
    name = "Linear"
    supports_pkce = True
    supports_revoke = True

    def authorize_url(self, state: str, challenge: str | None, redirect_uri: str) -> str:
        q = {
            "client_id": self.client_id or "",
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": self.settings.linear_scopes,
            "state": state,
            "prompt": "consent",
        }
        if challenge:
            q |= {"code_challenge": challenge, "code_challenge_method": "S256"}
        return self.url("oauth_url", "/oauth/authorize", q)

    async def _token(self, form: dict[str, str], what: str, refreshing: bool) -> TokenSet:
        resp = await self.call("POST", self.url("api_url", "/oauth/token"), form=form)
        return self.token_set(resp, what, refreshing=refreshing)

    async def exchange_code(self, code: str, verifier: str | None, redirect_uri: str) -> TokenSet:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.client_id or "",
            "client_secret": self.client_secret or "",
        }
        if verifier:
            form["code_verifier"] = verifier
        return await self._token(form, "exchanging the authorization code", False)

    async def refresh(self, refresh_token: str) -> TokenSet:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": self.client_id or "",
            "client_secret": self.client_secret or "",
        }
        return await self._token(form, "refreshing the token", True)

    async def graphql(
        self, token: str, query: str, variables: dict[str, Any] | None, what: str
    ) -> dict[str, Any]:
        resp = await self.call(
            "POST",
            self.url("api_url", "/graphql"),
            headers={"Authorization": f"Bearer {token}"},
            json_body={"query": query, "variables": variables or {}},
        )
        body = resp.json() if resp.body else None
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            codes = {
                str(e.get("extensions", {}).get("code") or e.get("extensions", {}).get("type"))
                for e in errors
                if isinstance(e, dict) and isinstance(e.get("extensions"), dict)
            }
            safe = sorted(c for c in codes if _CODE.match(c.upper().replace(" ", "_")))
            auth = resp.status == 401 or any("AUTHENTICATION" in c.upper() for c in safe)
            label = ", ".join(c.upper().replace(" ", "_") for c in safe) or str(resp.status)
            raise ProviderCallFailed(
                f"Linear answered with an error ({label}) while {what}"
                + ("; reconnect." if auth else "."),
                status=resp.status,
                auth=auth,
                retryable=resp.status >= 500 or resp.status == 429,
            )
        if not 200 <= resp.status < 300:
            raise status_failure(self.name, resp, what)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise ProviderCallFailed(f"Linear answered without data while {what}.")
        return data

    async def identify(self, access_token: str, site_hint: str | None) -> Identity:
        data = await self.graphql(
            access_token,
            "query { viewer { id name } organization { id name urlKey } }",
            None,
            "reading the account",
        )
        viewer, org = data.get("viewer") or {}, data.get("organization") or {}
        vid, name = text(viewer.get("id")), text(viewer.get("name"))
        if not vid or not name:
            raise ProviderCallFailed("Linear's viewer answer has no id or name.")
        oid, key = text(org.get("id")), text(org.get("urlKey"), 100)
        return Identity(
            external_key=f"{oid or '-'}:{vid}",
            account_name=name,
            site_name=text(org.get("name")),
            site_url=f"https://linear.app/{key}" if key and re.fullmatch(r"[\w-]+", key) else None,
        )

    async def whoami(self, conn: Connection) -> str:
        data = await self.graphql(
            conn.access_token, "query { viewer { id name } }", None, "reading the account"
        )
        name = text((data.get("viewer") or {}).get("name"))
        if not name:
            raise ProviderCallFailed("Linear's viewer answer has no name.")
        return name

    async def revoke(self, access_token: str, refresh_token: str | None) -> None:
        resp = await self.call(
            "POST",
            self.url("api_url", "/oauth/revoke"),
            headers={"Authorization": f"Bearer {access_token}"},
        )
        if resp.status not in (200, 204, 400, 401):  # 400/401: already revoked or expired
            self.ok_json(resp, "revoking the token")

    @staticmethod
    def _issue(node: Any) -> ExternalIssue | None:
        if not isinstance(node, dict) or not text(node.get("identifier")):
            return None
        url = node.get("url")
        return ExternalIssue(
            id=str(text(node.get("id"))),
            key=str(text(node.get("identifier"))),
            url=url if isinstance(url, str) and url.startswith("https://") else None,
        )

    async def create_issue(
        self, conn: Connection, target: TargetSpec, draft: IssueDraft, push_id: uuid.UUID
    ) -> ExternalIssue:
        labels = await self.graphql(
            conn.access_token, TEAM_LABELS, {"team": target.team_id}, "reading the team's labels"
        )
        wanted = {name.lower() for name in draft.labels}
        nodes = (((labels.get("team") or {}).get("labels") or {}).get("nodes")) or []
        label_ids = [n["id"] for n in nodes if str(n.get("name", "")).lower() in wanted]
        issue_input: dict[str, Any] = {
            # Our push id as the issue id: Linear refuses a second issue with the same id, so a
            # retry can never duplicate, and find_issue looks it up directly.
            "id": str(push_id),
            "teamId": target.team_id,
            "title": draft.title,
            "description": draft.markdown,
        }
        if draft.priority is not None:
            issue_input["priority"] = draft.priority
        if label_ids:
            issue_input["labelIds"] = label_ids
        data = await self.graphql(
            conn.access_token, ISSUE_CREATE, {"input": issue_input}, "creating the issue"
        )
        result = data.get("issueCreate") or {}
        issue = self._issue(result.get("issue")) if result.get("success") else None
        if issue is None:
            raise ProviderCallFailed("Linear did not confirm the issue creation.")
        return issue

    async def find_issue(
        self, conn: Connection, target: TargetSpec, draft: IssueDraft, push_id: uuid.UUID
    ) -> ExternalIssue | None:
        try:
            data = await self.graphql(
                conn.access_token, ISSUE_BY_ID, {"id": str(push_id)}, "looking for an earlier push"
            )
        except ProviderCallFailed as exc:
            if exc.auth or exc.retryable:
                raise
            return None  # "Entity not found": the earlier attempt created nothing
        return self._issue(data.get("issue"))
