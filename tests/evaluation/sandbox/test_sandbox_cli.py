"""``aihub sandbox check`` and ``aihub runtimes list/build`` on this machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from aihub.cli import sandbox_verbs
from aihub.evaluation.sandbox import Runtime, SandboxReport

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    sandbox_verbs.register(app)
    return app


def test_check_prints_the_probe(app: typer.Typer, report: SandboxReport) -> None:
    result = runner.invoke(app, ["sandbox", "check"])
    assert result.exit_code == 0, result.output
    assert "usable for code challenges: yes" in result.output
    data = json.loads(runner.invoke(app, ["sandbox", "check", "--json"]).output)
    assert data["usable"] is True and data["bwrap"]
    assert data["isolation"] == "full"
    assert data["privileged_namespaces"] is report.per_slot_uids  # root can run it privileged


def test_runtimes_list_and_build(app: typer.Typer, bare: Runtime, runtimes_dir: Path) -> None:
    listed = runner.invoke(app, ["runtimes", "list", "--runtimes-dir", str(runtimes_dir),
                                 "--json"])
    assert listed.exit_code == 0, listed.output
    assert "bare" in [item["name"] for item in json.loads(listed.output)]
    table = runner.invoke(app, ["runtimes", "list"], env={"AIHUB_RUNTIMES_DIR": str(runtimes_dir)})
    assert "bare" in table.output
    built = runner.invoke(app, ["runtimes", "build", "bare", "--runtimes-dir", str(runtimes_dir)])
    # "bare" was built without packages; asking for the default name's stack is refused.
    assert built.exit_code == 0, built.output
    assert f"at {bare.root}" in built.output.replace("\n", "")


def test_runtimes_folder_defaults_to_the_data_folder(tmp_path: Path) -> None:
    assert sandbox_verbs.runtimes_folder(None, tmp_path) == tmp_path / "runtimes"
    assert sandbox_verbs.runtimes_folder(Path("/x/r"), tmp_path) == Path("/x/r")


def test_build_failure_is_a_clear_error(app: typer.Typer, tmp_path: Path) -> None:
    result = runner.invoke(app, ["runtimes", "build", "Bad Name", "--runtimes-dir",
                                 str(tmp_path)])
    assert result.exit_code == 1
    assert "lower-case letters" in result.output
