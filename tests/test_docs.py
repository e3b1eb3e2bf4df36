"""Docs that machines check: the CLI and settings references match the code."""

from __future__ import annotations

from pathlib import Path

from aihub.cli import app
from aihub.cli.reference import cli_markdown, settings_markdown

DOCS = Path(__file__).parent.parent / "docs"


def test_settings_reference_is_current() -> None:
    assert (DOCS / "settings.md").read_text(encoding="utf-8") == settings_markdown(), (
        "docs/settings.md is stale: run 'aihub docs'"
    )


def test_cli_reference_is_current() -> None:
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == cli_markdown(app), (
        "docs/cli.md is stale: run 'aihub docs'"
    )


def test_readme_names_the_two_commands() -> None:
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    first_screen = "\n".join(readme.splitlines()[:40])
    assert "bash scripts/demo.sh" in first_screen
    assert "bash scripts/test.sh" in first_screen
    assert "scripts/test.sh" in (DOCS.parent / ".ci" / "run").read_text()
