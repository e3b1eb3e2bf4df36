"""Fixtures for the executors' tests: a hub with a short lease, the app with the runner
API, and subprocess launchers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from executor_helpers import Launcher, app_with_runner_api
from fastapi.testclient import TestClient

from aihub.hub import Hub
from aihub.settings import Settings

# Short enough that lost leases are found within a test, long enough for a loaded machine
# to heartbeat (every third of it) in time.
LEASE_SECONDS = 3.0


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, workers_in_process=0,
        job_lease_seconds=LEASE_SECONDS, worker_poll_seconds=0.05,
    )


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(app_with_runner_api(hub), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def launcher(hub: Hub, tmp_path: Path) -> Launcher:
    markers = tmp_path / "markers"
    markers.mkdir()
    return Launcher(hub, markers)
