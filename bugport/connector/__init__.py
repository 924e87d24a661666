"""Connectors: OAuth connections to issue trackers (GitHub, Linear, Jira) and pushes to them."""
