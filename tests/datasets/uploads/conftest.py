"""Fixtures of the upload tests: an in-process client, a live uvicorn, people."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from upload_helpers import CutProxy, live_server

from aihub.app import create_app
from aihub.datasets.uploads import forget_cached_hashes
from aihub.hub import Hub
from factories import Factories, Person


@pytest.fixture(autouse=True)
def _fresh_hash_cache() -> Iterator[None]:
    # Each test starts as a fresh process would: no running hashes from another test.
    forget_cached_hashes()
    yield
    forget_cached_hashes()


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub=hub), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def owner(factories: Factories) -> Person:
    return factories.person("uploader")


@pytest.fixture
def live_url(hub: Hub) -> Iterator[str]:
    with live_server(create_app(hub=hub)) as url:
        yield url


@pytest.fixture
def proxy(live_url: str) -> Iterator[CutProxy]:
    host, port = live_url.removeprefix("http://").split(":")
    cut = CutProxy((host, int(port)))
    yield cut
    cut.close()
