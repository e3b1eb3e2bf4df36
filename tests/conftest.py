"""Shared fixtures: a real database (SQLite always, PostgreSQL when one answers), a hub,
an in-process HTTP client, and factories for people and challenges."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

import aihub.models  # noqa: F401  - registers every table on Base.metadata
from aihub import migrate
from aihub.app import create_app
from aihub.db import Base, Database
from aihub.hub import Hub
from aihub.settings import Settings
from factories import Factories
from sandboxed import RUNTIMES_DIR, runtime_or_skip, usable_sandbox


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist"):
        from machine_group import MachineGroupPlugin
        config.pluginmanager.register(MachineGroupPlugin(), "aihub-machine-group")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.pluginmanager.hasplugin("xdist"):
        from machine_group import check_grouped
        check_grouped(items)


PG_ADMIN_URL = os.environ.get(
    "AIHUB_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _postgres_answers() -> bool:
    if "AIHUB_TEST_DATABASE_URL" in os.environ:
        return True
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


POSTGRES = _postgres_answers()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    if not POSTGRES:
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432 and AIHUB_TEST_DATABASE_URL "
                    "is not set")
    name = f"aihub_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database built by the real migrations once; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("template") / "aihub.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "aihub.sqlite3"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def make_settings(data_dir: Path, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "workers_in_process": 0,
        # Live workers score submissions; the catalog's tests record intake results
        # themselves, and the intake's own tests run its jobs (tests/datasets/test_intake.py).
        "worker_queues": "default",
        "job_lease_seconds": 30.0,
        "worker_poll_seconds": 0.05,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path / "data", database_url)


@pytest.fixture
def hub(settings: Settings) -> Iterator[Hub]:
    hub = Hub(settings, start_workers=False)
    if not hub.db.is_sqlite:
        _truncate_postgres(hub.db)
    yield hub
    hub.close()


@pytest.fixture
def factories(hub: Hub, tmp_path: Path) -> Factories:
    return Factories(hub, tmp_path / "bundles")


@pytest.fixture
def make_hub() -> Iterator[Callable[..., Hub]]:
    """Hubs of a test's own settings, on a clean database, closed after the test."""
    made: list[Hub] = []

    def make(settings: Settings, **options: Any) -> Hub:
        hub = Hub(settings, **options)
        if not hub.db.is_sqlite:
            _truncate_postgres(hub.db)
        made.append(hub)
        return hub

    yield make
    for hub in made:
        hub.close()


@pytest.fixture
def live_hub(tmp_path: Path, database_url: str) -> Iterator[Hub]:
    """A hub whose in-process workers run, as under ``aihub serve``."""
    settings = make_settings(tmp_path / "data", database_url, workers_in_process=1)
    hub = Hub(settings)
    if not hub.db.is_sqlite:
        _truncate_postgres(hub.db)
    yield hub
    hub.close()


@pytest.fixture
def api(live_hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub=live_hub), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def live_factories(live_hub: Hub, tmp_path: Path) -> Factories:
    return Factories(live_hub, tmp_path / "bundles")


# Code runs of hub-level tests use these slots: the sandbox tests use 61000 and up, the
# Codabench runner tests 61900 and up, and a box kills every process of its uids.
CODE_FIRST_UID = 62000


@pytest.fixture(scope="session")
def sandbox_runtimes() -> Path:
    """The runtimes folder, with the default runtime built (once: it is cached), for
    tests that run code in the real sandbox; they skip, saying why, where it cannot be."""
    usable_sandbox(CODE_FIRST_UID)
    runtime_or_skip("default")
    return RUNTIMES_DIR


@pytest.fixture
def code_hub(tmp_path: Path, database_url: str, sandbox_runtimes: Path) -> Iterator[Hub]:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=database_url, workers_in_process=0,
        runtimes_dir=sandbox_runtimes, sandbox_dir=Path("/var/tmp/aihub-sandbox-tests"),
        sandbox_first_uid=CODE_FIRST_UID, sandbox_slots=2,
    )
    hub = Hub(settings, start_workers=False)
    if not hub.db.is_sqlite:
        _truncate_postgres(hub.db)
    yield hub
    hub.close()


@pytest.fixture
def code_factories(code_hub: Hub, tmp_path: Path) -> Factories:
    return Factories(code_hub, tmp_path / "bundles")


@pytest.fixture
def code_api(code_hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub=code_hub), raise_server_exceptions=False) as client:
        yield client
