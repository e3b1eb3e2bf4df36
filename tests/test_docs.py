"""Docs that machines check: the CLI and settings references match the code."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

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


def test_docs_command_makes_its_folder_or_says_why(tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(app, ["docs", "--folder", str(tmp_path / "new" / "docs")])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "new" / "docs" / "cli.md").read_text(encoding="utf-8") == cli_markdown(app)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    refused = runner.invoke(app, ["docs", "--folder", str(blocker / "docs")])
    assert refused.exit_code == 1
    assert "Cannot write the reference into" in refused.output
    assert "Traceback" not in refused.output
