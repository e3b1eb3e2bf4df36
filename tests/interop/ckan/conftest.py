"""Fixtures of the CKAN API tests: an in-process client, a real server on loopback for
the ckanapi client, and a small catalog of published and unpublished datasets."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from ckan_helpers import Catalog
from fastapi.testclient import TestClient

from aihub.app import create_app
from aihub.hub import Hub
from factories import Factories


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub=hub), raise_server_exceptions=False) as test_client:
        yield test_client


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(hub: Hub) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, as ``aihub serve`` runs it."""
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(hub=hub), host="127.0.0.1", port=port,
                                        log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def catalog(factories: Factories) -> Catalog:
    host, other = factories.host("daejeon-city"), factories.host("gwangju-city")
    member = factories.person()
    factories.dataset(host, "busan-air", tags=("air", "대기질"))
    factories.dataset(host, "daejeon-traffic", tags=("traffic", "교통"), licence="KOGL-2",
                      files={"speed.csv": b"road,kmh\n1,40\n", "roads.json": b"[]"})
    factories.dataset(other, "gwangju-bus", organization="gwangju-city", tags=("bus",),
                      tier="registered", licence="CC-BY-4.0")
    factories.dataset(host, "secret-plan", tags=("air", "secret"), publish=False)
    return Catalog(host=host, other_host=other, member=member,
                   published=["busan-air", "daejeon-traffic", "gwangju-bus"],
                   hidden="secret-plan")
