"""Docs that must stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

from bugport.config import Settings

ROOT = Path(__file__).parents[1]


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"`BUGPORT_([A-Z0-9_]+)`", text))
    settings = {name.upper() for name in Settings.model_fields}
    assert settings - documented == set(), (
        f"document these in docs/configuration.md: {sorted(settings - documented)}"
    )
    assert documented - settings == set(), (
        f"documented but not settings: {sorted(documented - settings)}"
    )


def test_readme_quickstart_has_exactly_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:bash|sh)?\n(.*?)```", quick, re.S)
    commands = [
        line
        for b in blocks
        for line in b.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert commands == ["./dev serve", "./dev test"]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "./dev test" in ci
