"""A hub that runs its own jobs refuses a code challenge it cannot sandbox, saying why; it
never runs participant code bare."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from aihub import migrate
from aihub.app import create_app
from aihub.challenges.models import Challenge
from aihub.hub import Hub
from aihub.settings import Settings
from factories import Factories
from sandboxed import code_extra


@pytest.fixture
def unsandboxed(tmp_path: Path) -> Iterator[Hub]:
    # pytest's tmp_path sits below a 0700 folder: no sandbox uid can enter a work folder
    # there, so this hub cannot sandbox anything. (SQLite only: the refusal is decided
    # before the database is touched.)
    settings = Settings(data_dir=tmp_path / "data", workers_in_process=1,
                        sandbox_dir=tmp_path / "sandbox")
    hub = Hub(settings)
    migrate.upgrade(hub.db.engine)
    yield hub
    hub.close()


def test_a_code_challenge_is_refused_where_code_cannot_be_sandboxed(
    unsandboxed: Hub, tmp_path: Path
) -> None:
    factories = Factories(unsandboxed, tmp_path / "bundles")
    host = factories.host()
    folder = factories.bundle("code-here", extra=code_extra())
    archive = shutil.make_archive(str(tmp_path / "bundle"), "zip", root_dir=folder)
    assert yaml.safe_load((folder / "challenge.yaml").read_text())["code"]["format"] == "model"
    with TestClient(create_app(hub=unsandboxed), raise_server_exceptions=False) as api:
        response = api.post("/api/v1/challenges", headers=host.headers,
                            files={"file": ("b.zip", Path(archive).read_bytes())})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail.startswith("This hub cannot run code challenges:")
    assert "mode 0700" in detail
    with unsandboxed.db.reading() as session:
        assert session.scalar(select(func.count(Challenge.id))) == 0
