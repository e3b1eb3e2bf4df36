"""`aihub demo`: seeds three challenges from the cities' problems, reuses its folder, and
the newcomer's path (download the sample, submit, see the score on the board) works."""

from __future__ import annotations

import json
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
from aihub.settings import Settings

runner = CliRunner()
SLUGS = {"elderly-care-power", "daejeon-traffic-speed", "smart-factory-defects"}
CODE_SLUGS = {"smart-factory-defects-code"}  # its baseline needs a runtime: tests/demo


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "data"
    result = runner.invoke(app, ["demo", "--data-dir", str(folder), "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "Seeding a demo hub" in result.output
    return folder


def test_demo_writes_tokens_and_reuses_its_folder(demo_dir: Path) -> None:
    member = (demo_dir / "demo-token").read_text().strip()
    host = (demo_dir / "host-token").read_text().strip()
    assert member.startswith("aihub_") and host.startswith("aihub_") and member != host
    assert oct((demo_dir / "demo-token").stat().st_mode)[-3:] == "600"
    again = runner.invoke(app, ["demo", "--data-dir", str(demo_dir), "--no-serve"])
    assert again.exit_code == 0, again.output
    assert "Reusing the demo hub" in again.output
    assert (demo_dir / "demo-token").read_text().strip() == member


@pytest.fixture(scope="module")
def demo_server(demo_dir: Path) -> Iterator[str]:
    hub = Hub(Settings(data_dir=demo_dir, workers_in_process=1, worker_poll_seconds=0.05))
    server = uvicorn.Server(uvicorn.Config(create_app(hub=hub), host="127.0.0.1", port=0,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _cli(url: str, token: str | None, *args: str) -> object:
    env = {"AIHUB_URL": url, **({"AIHUB_TOKEN": token} if token else {})}
    return runner.invoke(app, list(args), env=env)


def _wait_for_baselines(url: str, slug: str) -> list[dict[str, object]]:
    deadline = time.monotonic() + 30
    while True:
        board = json.loads(_cli(url, None, "leaderboard", slug, "--json").output)  # type: ignore[attr-defined]
        rows: list[dict[str, object]] = board["rows"]
        if any(r["is_baseline"] for r in rows) or time.monotonic() > deadline:
            return rows


def test_every_challenge_listed_and_scored_baselines(demo_server: str) -> None:
    listed = json.loads(_cli(demo_server, None, "challenges", "list", "--json").output)  # type: ignore[attr-defined]
    assert {c["slug"] for c in listed} == SLUGS | CODE_SLUGS
    for slug in SLUGS:
        rows = _wait_for_baselines(demo_server, slug)
        assert [r for r in rows if r["is_baseline"]], f"{slug} has no scored baseline"


def test_newcomer_submits_the_sample_and_is_ranked(demo_server: str, demo_dir: Path,
                                                   tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    token = (demo_dir / "demo-token").read_text().strip()
    for slug in sorted(SLUGS):
        assert _cli(demo_server, token, "challenges", "join", slug, "--yes").exit_code == 0  # type: ignore[attr-defined]
        got = _cli(demo_server, token, "challenges", "download", slug, "-q")
        assert got.exit_code == 0, got.output  # type: ignore[attr-defined]
        sample = tmp_path / slug / "sample_submission.csv"
        sent = _cli(demo_server, token, "submit", slug, str(sample), "--wait", "-q", "--json")
        assert sent.exit_code == 0, sent.output  # type: ignore[attr-defined]
        result = json.loads(sent.output)  # type: ignore[attr-defined]
        assert result["status"] == "finished" and result["public_score"] is not None
        board = json.loads(_cli(demo_server, None, "leaderboard", slug, "--json").output)  # type: ignore[attr-defined]
        assert any(r["team"] == "demo" and r["rank"] for r in board["rows"])
