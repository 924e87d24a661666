"""Ready-to-paste MCP client configurations for this deployment."""

from __future__ import annotations

from typing import Any

PLACEHOLDER = "<YOUR_BP_MCP_TOKEN>"


def build(base_url: str) -> dict[str, Any]:
    base = base_url.rstrip("/")
    api_url = f"{base}/v1"
    mcp_url = f"{base}/mcp"
    env = {"BUGPORT_API_URL": api_url, "BUGPORT_MCP_TOKEN": PLACEHOLDER}
    stdio = {"command": "bugport", "args": ["mcp"], "env": env}
    auth = {"Authorization": f"Bearer {PLACEHOLDER}"}
    clients: dict[str, dict[str, Any]] = {
        "claude_desktop": {
            "file": "claude_desktop_config.json (Settings → Developer → Edit Config)",
            "stdio": {"mcpServers": {"bugport": stdio}},
            # Claude Desktop's config file launches local commands; mcp-remote bridges to HTTP.
            "http": {
                "mcpServers": {
                    "bugport": {
                        "command": "npx",
                        "args": [
                            "-y",
                            "mcp-remote",
                            mcp_url,
                            "--header",
                            f"Authorization: Bearer {PLACEHOLDER}",
                        ],
                    }
                }
            },
        },
        "claude_code": {
            "file": "run in a terminal",
            "stdio": (
                f"claude mcp add bugport --env BUGPORT_API_URL={api_url} "
                f"--env BUGPORT_MCP_TOKEN={PLACEHOLDER} -- bugport mcp"
            ),
            "http": (
                f'claude mcp add --transport http bugport {mcp_url} --header "Authorization: '
                f'Bearer {PLACEHOLDER}"'
            ),
        },
        "cursor": {
            "file": "~/.cursor/mcp.json or .cursor/mcp.json in the project",
            "stdio": {"mcpServers": {"bugport": stdio}},
            "http": {"mcpServers": {"bugport": {"url": mcp_url, "headers": auth}}},
        },
        "vscode": {
            "file": ".vscode/mcp.json in the workspace",
            "stdio": {"servers": {"bugport": {"type": "stdio", **stdio}}},
            "http": {"servers": {"bugport": {"type": "http", "url": mcp_url, "headers": auth}}},
        },
    }
    return {
        "api_url": api_url,
        "mcp_url": mcp_url,
        "token_placeholder": PLACEHOLDER,
        "clients": clients,
    }
