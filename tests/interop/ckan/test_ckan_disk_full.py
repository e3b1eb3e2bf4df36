"""resource_create when the hub's disk fills during the upload, for real: the blob store's
temporary folder is a 1 MiB tmpfs (needs root and mount; skipped, saying why, without).
CKAN's envelope says the disk is full, with 507, and nothing is stored or attached."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ckan_helpers import Catalog
from fastapi.testclient import TestClient
from test_ckan_writes import RESOURCE, counts

from aihub.hub import Hub
from disks import small_disk


@pytest.fixture
def small_store_tmp(hub: Hub) -> Iterator[Path]:
    with small_disk(hub.settings.resolved_blob_dir / "tmp") as root:
        yield root


def test_a_full_disk_is_a_507_in_ckans_envelope(client: TestClient, catalog: Catalog,
                                                 hub: Hub, small_store_tmp: Path) -> None:
    before = counts(hub)
    response = client.post(RESOURCE, data={"package_id": "busan-air"},
                           files={"upload": ("big.csv", b"a,b\n" * (600 * 1024))},
                           headers=catalog.host.headers)
    assert response.status_code == 507, response.text
    body = response.json()
    assert body["success"] is False
    assert "disk is full" in body["error"]["message"]
    assert "nothing was stored" in body["error"]["message"]
    assert counts(hub) == before
    assert list(small_store_tmp.iterdir()) == []  # the partial file went
