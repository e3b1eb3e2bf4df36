"""resource_create when the hub's disk fills during the upload, for real: the blob store's
temporary folder is a 1 MiB tmpfs (needs root and mount; skipped, saying why, without).
CKAN's envelope says the disk is full, with 507, and nothing is stored or attached."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from ckan_helpers import Catalog
from fastapi.testclient import TestClient
from test_ckan_writes import RESOURCE, counts

from aihub.hub import Hub


@pytest.fixture
def small_store_tmp(hub: Hub) -> Iterator[Path]:
    root = hub.settings.resolved_blob_dir / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs",
                              str(root)], capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield root
    finally:
        subprocess.run(["umount", str(root)], check=True)


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
