from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from aihub.hub import Hub
from webclient import web_client


@pytest.fixture
def web(live_hub: Hub) -> Iterator[TestClient]:
    """A Korean-reading browser on the hub's pages."""
    with web_client(live_hub) as client:
        yield client


@pytest.fixture
def web_en(live_hub: Hub) -> Iterator[TestClient]:
    with web_client(live_hub, lang="en") as client:
        yield client
