"""`aihub datasets` against a real server on loopback: a host publishes a version whose
upload is cut mid-way and resumed by a second run, the intake jobs run on the hub's worker,
a curator publishes, and downloads are checked against the manifest's sha256."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from aihub.app import create_app
from aihub.cli import app
from aihub.datasets import services, versions
from aihub.datasets.uploads import forget_cached_hashes
from aihub.evaluation.worker import Worker
from aihub.hub import Hub
from datasets.uploads.upload_helpers import CutProxy, live_server
from factories import Factories

runner = CliRunner()
START, END = str(date.today()), str(date.today() + timedelta(days=180))
MIB = 1024 * 1024


@pytest.fixture
def server(hub: Hub) -> Iterator[str]:
    # The hub's workers do not run here: the test runs the intake jobs when it wants them.
    forget_cached_hashes()
    with live_server(create_app(hub=hub)) as url:
        yield url
    forget_cached_hashes()


@pytest.fixture
def proxy(server: str) -> Iterator[CutProxy]:
    host, port = server.removeprefix("http://").split(":")
    cut = CutProxy((host, int(port)))
    yield cut
    cut.close()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "aihub" / "uploads.json"


def _run(*args: str, url: str, token: str | None = None) -> Result:
    env = {"AIHUB_URL": url, "AIHUB_TOKEN": token or ""}
    result = runner.invoke(app, list(args), env=env)
    assert "Traceback" not in result.output, result.output
    return result


def _said(result: Result) -> str:
    """The output with Rich's line wrapping undone."""
    return " ".join(result.output.split())


def _readings(path: Path, rows: int) -> Path:
    """Hourly power readings of Daejeon households: a few MB of plain CSV."""
    rng = random.Random(7)
    lines = ["household_id,gu,measured_at,kwh"]
    for i in range(rows):
        lines.append(f"H{i % 500:04d},{rng.choice(['중구', '서구', '유성구'])},"
                     f"2024-07-{1 + i // 12000:02d}T{i % 24:02d}:00:00+09:00,"
                     f"{rng.uniform(0.05, 2.5):.3f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run_intake(hub: Hub) -> int:
    worker, count = Worker(hub.db, hub.evaluator, lease_seconds=60, poll_seconds=0.05,
                           queues=("intake",)), 0
    while worker.run_once():
        count += 1
    return count


def _entries(cache: Path) -> dict[str, Any]:
    return json.loads(cache.read_text()) if cache.exists() else {}  # type: ignore[no-any-return]


def _publish(server: str, token: str, slug: str, label: str) -> dict[str, Any]:
    answer = httpx.post(f"{server}/api/v1/datasets/{slug}/versions/{label}/publish",
                        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_upload_resumes_then_publish_and_download_verified(
    server: str, proxy: CutProxy, cache: Path, hub: Hub, factories: Factories, tmp_path: Path
) -> None:
    host, member = factories.host(), factories.person()
    created = _run("datasets", "create", "daejeon-power", "--organization", "daejeon-city",
                   "--title-ko", "대전 가구별 시간대 전력 사용량", "--title-en", "Household power",
                   "--tag", "전력", "--tag", "energy", url=server, token=host.token)
    assert created.exit_code == 0, created.output
    drafted = _run("datasets", "version", "daejeon-power", "1.0.0", "-m", "7월 한 달",
                   url=server, token=host.token)
    assert drafted.exit_code == 0, drafted.output
    source = _readings(tmp_path / "전력 2024-07.csv", 80_000)
    assert source.stat().st_size > 3 * MIB
    upload = ("datasets", "upload", "daejeon-power", "1.0.0", str(source), "--path",
              "power/2024-07.csv", "--chunk-mb", "1", "-q")
    # The second PATCH is cut half-way and the run gives up at the first failure.
    proxy.cut_next(b"PATCH ", MIB // 2, skip=1)
    first = _run(*upload, "--retries", "1", url=proxy.url, token=host.token)
    assert first.exit_code == 1
    assert "resumes where it stopped" in _said(first)
    assert len(_entries(cache)) == 1  # the upload's address, kept for the next run
    second = _run(*upload, url=proxy.url, token=host.token)
    assert second.exit_code == 0, second.output
    assert f"Resuming {source.name} at byte {MIB}." in _said(second)
    assert "power/2024-07.csv" in _said(second)
    assert _entries(cache) == {}  # done: forgotten
    submitted = _run("datasets", "submit", "daejeon-power", "1.0.0", "--json", url=server,
                     token=host.token)
    assert submitted.exit_code == 0, submitted.output
    assert json.loads(submitted.output)["status"] == "quarantine"
    assert _run_intake(hub) == 1
    assert _publish(server, factories.curator().token, "daejeon-power", "1.0.0")[
        "status"] == "published"
    dest = tmp_path / "out"
    got = _run("datasets", "download", "daejeon-power", "--dest", str(dest), "-q", url=server,
               token=member.token)
    assert got.exit_code == 0, got.output
    assert (dest / "power" / "2024-07.csv").read_bytes() == source.read_bytes()
    shown = _run("datasets", "show", "daejeon-power", "--json", url=server)
    (version,) = json.loads(shown.output)["versions"]
    assert version["status"] == "published"
    # A version named by its rev, and only the files under a folder.
    by_rev = _run("datasets", "download", "daejeon-power", "power/", "--version",
                  version["rev"], "--dest", str(tmp_path / "by-rev"), "-q", url=server)
    assert by_rev.exit_code == 0, by_rev.output
    assert (tmp_path / "by-rev" / "power" / "2024-07.csv").stat().st_size == source.stat(
        ).st_size
    listed = _run("datasets", "list", "--q", "전력", "--json", url=server)
    assert [d["slug"] for d in json.loads(listed.output)["items"]] == ["daejeon-power"]


def _published(factories: Factories, tier: str = "open", licence: str = "KOGL-1",
               slug: str = "gwangju-roads") -> bytes:
    content = "sensor_id,measured_at,speed_kmh\nGJ-001,2024-05-01T08:00:00+09:00,41.2\n" * 300
    factories.dataset(factories.host(), slug, tier=tier, licence=licence,
                      files={"raw/sensors.csv": content.encode()})
    return content.encode()


def test_a_tampered_part_file_fails_with_the_reason(
    server: str, factories: Factories, tmp_path: Path
) -> None:
    content = _published(factories)
    dest = tmp_path / "out"
    part = dest / "raw" / "sensors.csv.part"
    part.parent.mkdir(parents=True)
    # An earlier run's part file whose bytes were damaged since: the resumed download
    # cannot hash to the manifest's sha256.
    part.write_bytes(b"X" + content[1:1000])
    bad = _run("datasets", "download", "gwangju-roads", "--dest", str(dest), "-q", url=server)
    assert bad.exit_code == 1
    assert "not the expected" in _said(bad) and "was deleted" in _said(bad)
    assert not part.exists() and not (dest / "raw" / "sensors.csv").exists()
    again = _run("datasets", "download", "gwangju-roads", "--dest", str(dest), "-q", url=server)
    assert again.exit_code == 0, again.output
    assert (dest / "raw" / "sensors.csv").read_bytes() == content
    third = _run("datasets", "download", "gwangju-roads", "--dest", str(dest), "-q", url=server)
    assert third.exit_code == 0 and "already there, sha256 ok" in _said(third)


def test_bytes_that_differ_from_the_manifest_are_refused(
    server: str, hub: Hub, factories: Factories, tmp_path: Path
) -> None:
    content = _published(factories)
    stored = next(p for p in hub.storage.root.rglob("*") if p.is_file()
                  and p.read_bytes() == content)
    stored.chmod(0o644)
    stored.write_bytes(content.replace(b"41.2", b"99.9"))  # the store's copy rotted
    dest = tmp_path / "out"
    bad = _run("datasets", "download", "gwangju-roads", "raw/sensors.csv", "--dest", str(dest),
               "-q", url=server)
    assert bad.exit_code == 1
    assert "sensors.csv: the downloaded bytes hash to sha256" in _said(bad)
    assert not (dest / "raw" / "sensors.csv").exists()


def test_tiers_from_the_cli(server: str, factories: Factories, tmp_path: Path) -> None:
    _published(factories, tier="approval", licence="KOGL-2")
    member = factories.person()
    refused = _run("datasets", "download", "gwangju-roads", "--dest", str(tmp_path), "-q",
                   url=server, token=member.token)
    assert refused.exit_code == 1
    assert "aihub datasets request-access gwangju-roads --purpose" in _said(refused)
    commercial = _run("datasets", "request-access", "gwangju-roads", "--purpose", "연구",
                      "--starts", START, "--ends", END, "--commercial",
                      url=server, token=member.token)
    assert commercial.exit_code == 1 and "commercial" in _said(commercial)
    asked = _run("datasets", "request-access", "gwangju-roads", "--purpose", "교통 연구",
                 "--starts", START, "--ends", END, "--json", url=server,
                 token=member.token)
    assert asked.exit_code == 0, asked.output
    assert json.loads(asked.output)["status"] == "pending"
    listed = _run("datasets", "list", "--tier", "approval", "--organization", "daejeon-city",
                  "--json", url=server)
    assert [d["slug"] for d in json.loads(listed.output)["items"]] == ["gwangju-roads"]
    table = _run("datasets", "list", "--tier", "open", url=server)
    assert table.exit_code == 0 and "0 dataset(s)" in _said(table)
    _published(factories, tier="registered", slug="daejeon-homes")
    accepted = _run("datasets", "accept-licence", "daejeon-homes", url=server,
                    token=member.token)
    assert accepted.exit_code == 0 and "KOGL-1" in _said(accepted)


def test_mistakes_are_explained(server: str, factories: Factories, tmp_path: Path) -> None:
    missing = _run("datasets", "show", "no-such-set", url=server)
    assert missing.exit_code == 1 and "no-such-set" in _said(missing)
    _published(factories)
    host = factories.host()
    not_draft = tmp_path / "x.csv"
    not_draft.write_text("a\n1\n")
    late = _run("datasets", "upload", "gwangju-roads", "1.0.0", str(not_draft), "-q",
                url=server, token=host.token)
    assert late.exit_code == 1 and "files are attached to drafts only" in _said(late)
    absent = _run("datasets", "upload", "gwangju-roads", "1.0.0", str(tmp_path / "nope.csv"),
                  url=server, token=host.token)
    assert absent.exit_code == 1 and "Not a file" in _said(absent)
    wrong_path = _run("datasets", "download", "gwangju-roads", "raw/other.csv", "--dest",
                      str(tmp_path), url=server)
    assert wrong_path.exit_code == 1 and "raw/other.csv" in _said(wrong_path)
    bad_day = _run("datasets", "request-access", "gwangju-roads", "--purpose", "p", "--starts",
                   "2026-13-01", "--ends", "2026-12-01", url=server, token=host.token)
    assert bad_day.exit_code == 1 and "YYYY-MM-DD" in _said(bad_day)


def test_square_brackets_in_titles_and_messages_print_as_written(
        server: str, factories: Factories, tmp_path: Path) -> None:
    """Rich reads ``[...]`` as markup: a title like "[/2024]" once stopped list and show
    with a MarkupError traceback, and "[bold]" vanished."""
    host = factories.host()
    factories.dataset(host, "roads-2024", label="1.0.0")
    with factories.hub.db.transaction() as session:
        found = services.get_dataset(session, "roads-2024")
        found.title_ko = "도로 센서 [/2024] [bold]원시[/bold]"
        versions.create_version(session, found, factories.actor(host), label="2.0.0",
                                message="[red]fixed[/red] [/x]")
    listed = _run("datasets", "list", url=server)
    assert listed.exit_code == 0, listed.output
    assert "[/2024]" in listed.output and "[bold]원시[/bold]" in listed.output
    shown = _run("datasets", "show", "roads-2024", url=server, token=host.token)
    assert shown.exit_code == 0, shown.output
    assert "[/2024]" in shown.output and "[red]fixed[/red] [/x]" in _said(shown)
    bad_day = _run("datasets", "request-access", "roads-2024", "--purpose", "p", "--starts",
                   "[/x]", "--ends", "2026-12-01", url=server, token=host.token)
    assert bad_day.exit_code == 1 and "'[/x]' is not a date" in _said(bad_day)


def test_a_destination_that_cannot_be_written_is_explained(
        server: str, factories: Factories, tmp_path: Path) -> None:
    _published(factories)
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a folder")
    result = _run("datasets", "download", "gwangju-roads", "--dest", str(blocker), "-q",
                  url=server)
    assert result.exit_code == 1, result.output
    assert "Cannot write" in _said(result) and "taken" in _said(result)
    assert blocker.read_text() == "a file, not a folder"
