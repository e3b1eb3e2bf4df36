"""The CLI against a real server on loopback: the newcomer's path, and clear failures."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from aihub.app import create_app
from aihub.cli import app
from aihub.hub import Hub
from factories import Factories
from sandboxed import code_extra

runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(live_hub: Hub) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(create_app(hub=live_hub), host="127.0.0.1", port=port,
                            log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def _run(*args: str, token: str | None = None, url: str, input: str | None = None) -> object:
    env = {"AIHUB_URL": url}
    if token:
        env["AIHUB_TOKEN"] = token
    return runner.invoke(app, list(args), env=env, input=input)


def test_newcomer_path(server: str, live_factories: Factories, tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    host, member = live_factories.host(), live_factories.person("newbie")
    folder = live_factories.bundle("cli-power")
    created = _run("challenges", "create", str(folder), "--json", token=host.token, url=server)
    assert created.exit_code == 0, created.output  # type: ignore[attr-defined]
    # A host's challenge is hidden until a curator approves it.
    assert json.loads(_run("challenges", "list", "--json", url=server).output) == []  # type: ignore[attr-defined]
    approved = _run("challenges", "approve", "cli-power", token=live_factories.curator().token,
                    url=server)
    assert approved.exit_code == 0, approved.output  # type: ignore[attr-defined]
    listed = _run("challenges", "list", "--json", url=server)
    assert [c["slug"] for c in json.loads(listed.output)] == ["cli-power"]  # type: ignore[attr-defined]
    refused = _run("challenges", "join", "cli-power", token=member.token, url=server, input="n\n")
    assert refused.exit_code == 1  # type: ignore[attr-defined]
    assert "규칙을 지킵니다." in refused.output  # type: ignore[attr-defined]
    joined = _run("challenges", "join", "cli-power", "--yes", token=member.token, url=server)
    assert joined.exit_code == 0, joined.output  # type: ignore[attr-defined]
    downloaded = _run("challenges", "download", "cli-power", "-q", token=member.token,
                      url=server)
    assert downloaded.exit_code == 0, downloaded.output  # type: ignore[attr-defined]
    sample = tmp_path / "cli-power" / "sample_submission.csv"
    assert sample.read_text() == (folder / "sample_submission.csv").read_text()
    submitted = _run("submit", "cli-power", str(sample), "-m", "first", "--wait", "-q",
                     "--json", token=member.token, url=server)
    assert submitted.exit_code == 0, submitted.output  # type: ignore[attr-defined]
    result = json.loads(submitted.output)  # type: ignore[attr-defined]
    assert result["status"] == "finished" and result["public_score"] == pytest.approx(0.5)
    subs = _run("submissions", "cli-power", token=member.token, url=server)
    assert "finished" in subs.output  # type: ignore[attr-defined]
    board = _run("leaderboard", "cli-power", "--json", url=server)
    rows = json.loads(board.output)["rows"]  # type: ignore[attr-defined]
    assert any(r["team"] == "newbie" for r in rows)
    table = _run("leaderboard", "cli-power", url=server)
    assert "newbie" in table.output  # type: ignore[attr-defined]


def test_bad_file_exits_with_the_reason(server: str, live_factories: Factories,
                                        tmp_path: Path) -> None:
    host, member = live_factories.host(), live_factories.person()
    _run("challenges", "create", str(live_factories.bundle("cli-bad")), token=host.token,
         url=server)
    _run("challenges", "approve", "cli-bad", token=live_factories.curator().token, url=server)
    _run("challenges", "join", "cli-bad", "--yes", token=member.token, url=server)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,prediction\n1,0.3\n")
    result = _run("submit", "cli-bad", str(bad), "-q", token=member.token, url=server)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "target" in result.output  # type: ignore[attr-defined]
    assert "Traceback" not in result.output  # type: ignore[attr-defined]


def test_unreachable_hub_is_explained() -> None:
    result = _run("challenges", "list", url="http://127.0.0.1:9")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "Cannot reach the hub" in result.output  # type: ignore[attr-defined]


def test_private_board_refusal_is_readable(server: str, live_factories: Factories) -> None:
    host = live_factories.host()
    _run("challenges", "create", str(live_factories.bundle("cli-priv")), token=host.token,
         url=server)
    _run("challenges", "approve", "cli-priv", token=live_factories.curator().token, url=server)
    result = _run("leaderboard", "cli-priv", "--private", url=server)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "private leaderboard opens" in result.output  # type: ignore[attr-defined]


def test_admin_verbs_on_a_fresh_folder_say_to_upgrade(tmp_path: Path) -> None:
    result = runner.invoke(app, ["user", "create", "minji", "--email", "m@example.org",
                                 "--password", "longenough", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "aihub db upgrade" in result.output
    assert "Traceback" not in result.output
    assert runner.invoke(app, ["db", "upgrade", "--data-dir", str(tmp_path)]).exit_code == 0
    created = runner.invoke(app, ["user", "create", "minji", "--email", "m@example.org",
                                  "--password", "longenough", "--data-dir", str(tmp_path)])
    assert created.exit_code == 0, created.output
    again = runner.invoke(app, ["user", "create", "minji", "--email", "x@example.org",
                                "--password", "longenough", "--data-dir", str(tmp_path)])
    assert again.exit_code == 1 and "taken" in again.output
    token = runner.invoke(app, ["token", "create", "minji", "--data-dir", str(tmp_path)])
    assert token.exit_code == 0 and token.output.startswith("aihub_")


def test_a_curator_chooses_where_a_challenges_code_runs(
    server: str, live_factories: Factories
) -> None:
    host = live_factories.host()
    live_factories.challenge(host, "cli-code", extra=code_extra())
    curator = live_factories.curator().token
    allowed = _run("challenges", "sandbox", "cli-code", "--allow-reduced", token=curator,
                   url=server)
    assert allowed.exit_code == 0, allowed.output  # type: ignore[attr-defined]
    assert "or the reduced one" in allowed.output  # type: ignore[attr-defined]
    stopped = _run("challenges", "sandbox", "cli-code", "--full-only", token=curator, url=server)
    assert "only in the full sandbox" in stopped.output  # type: ignore[attr-defined]
    refused = _run("challenges", "sandbox", "cli-code", "--allow-reduced", token=host.token,
                   url=server)
    assert refused.exit_code == 1  # type: ignore[attr-defined]
    assert "Only curators" in refused.output  # type: ignore[attr-defined]


def test_square_brackets_from_people_print_as_written(
    server: str, live_factories: Factories, tmp_path: Path
) -> None:
    """Rich read ``[...]`` as markup: a team named "[/x] crew" stopped every leaderboard
    print with a MarkupError, and a hub message quoting a typed "[/y]" stopped ``fail``."""
    host, member = live_factories.host(), live_factories.person("bracketed")
    folder = live_factories.bundle("cli-brackets")
    _run("challenges", "create", str(folder), token=host.token, url=server)
    _run("challenges", "approve", "cli-brackets", token=live_factories.curator().token,
         url=server)
    _run("challenges", "join", "cli-brackets", "--yes", token=member.token, url=server)
    team = _run("teams", "create", "cli-brackets", "[/x] crew [bold]", token=member.token,
                url=server)
    assert team.exit_code == 0, team.output  # type: ignore[attr-defined]
    assert "Team [/x] crew [bold] created" in team.output  # type: ignore[attr-defined]
    submitted = _run("submit", "cli-brackets", str(folder / "sample_submission.csv"),
                     "--wait", "-q", token=member.token, url=server)
    assert submitted.exit_code == 0, submitted.output  # type: ignore[attr-defined]
    board = _run("leaderboard", "cli-brackets", url=server)
    assert board.exit_code == 0, board.output  # type: ignore[attr-defined]
    assert "[/x] crew" in board.output  # type: ignore[attr-defined]
    missing = _run("challenges", "show", "no-such-[/y]", url=server)
    assert missing.exit_code == 1  # type: ignore[attr-defined]
    assert missing.output.startswith("Error: ")  # type: ignore[attr-defined]
    assert "Traceback" not in missing.output  # type: ignore[attr-defined]
