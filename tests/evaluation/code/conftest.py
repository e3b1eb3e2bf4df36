"""A hub whose code challenges run in the real sandbox with a real runtime.

Skipped, with the reason, where bubblewrap cannot sandbox or the default runtime cannot be
built (it needs PyPI once; it is then cached in AIHUB_RUNTIMES_DIR, default
/var/tmp/aihub-runtimes).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aihub.app import create_app
from aihub.evaluation.sandbox import RuntimeUnavailable, build_runtime, probe_sandbox
from aihub.hub import Hub
from aihub.settings import Settings
from factories import Factories

# Other test folders use uids from 61000; these slots stay clear of them.
FIRST_UID = 62000


@pytest.fixture(scope="session")
def runtimes_dir() -> Path:
    report = probe_sandbox(first_uid=FIRST_UID)
    if not report.usable:
        pytest.skip("bubblewrap cannot sandbox code here: " + " ".join(report.problems))
    folder = Path(os.environ.get("AIHUB_RUNTIMES_DIR", "/var/tmp/aihub-runtimes"))
    try:
        build_runtime(folder, "default")
    except RuntimeUnavailable as exc:
        pytest.skip(f"the default runtime cannot be built here (no network?): {exc}")
    return folder


@pytest.fixture
def code_hub(tmp_path: Path, database_url: str, runtimes_dir: Path) -> Iterator[Hub]:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=database_url, workers_in_process=0,
        runtimes_dir=runtimes_dir, sandbox_dir=Path("/var/tmp/aihub-sandbox-tests"),
        sandbox_first_uid=FIRST_UID, sandbox_slots=2,
    )
    hub = Hub(settings, start_workers=False)
    yield hub
    hub.close()


@pytest.fixture
def code_factories(code_hub: Hub, tmp_path: Path) -> Factories:
    return Factories(code_hub, tmp_path / "bundles")


@pytest.fixture
def code_api(code_hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub=code_hub), raise_server_exceptions=False) as client:
        yield client
