"""A full disk, for real: the staging folder is a 1 MiB tmpfs (needs root and mount; the
tests skip, saying why, where either is missing). A PATCH that hits ENOSPC answers 507,
its partial bytes are truncated away, and nothing else stored is harmed. The blob store is
then on another file system, so completion goes through adopt's copy path (EXDEV)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from upload_helpers import TUS, metadata, patch_headers

from aihub.app import create_app
from aihub.cli.client import ClientError
from aihub.cli.transfer import ResumeStore, upload_resumable
from aihub.datasets.uploads import staging_dir
from aihub.hub import Hub
from disks import small_disk
from factories import Factories, Person

BASE = "/api/v1/uploads/"


@pytest.fixture
def full_staging(hub: Hub) -> Iterator[Path]:
    with small_disk(staging_dir(hub.settings)) as root:
        yield root


def _create(client: TestClient, who: Person, length: int) -> str:
    response = client.post(BASE, headers={**who.headers, **TUS, "Upload-Length": str(length),
                                          "Upload-Metadata": metadata(filename="가득.bin")})
    assert response.status_code == 201, response.text
    return response.headers["location"]


def _bin(root: Path, location: str) -> Path:
    return root / f"{location.rsplit('/', 1)[1]}.bin"


def test_a_full_disk_is_507_and_harms_nothing(client: TestClient, hub: Hub, owner: Person,
                                              full_staging: Path) -> None:
    first = _create(client, owner, 300_000)
    kept = os.urandom(200_000)
    assert client.patch(first, content=kept,
                        headers=patch_headers(owner.headers, 0)).status_code == 204
    data = os.urandom(700_000)
    second = _create(client, owner, len(data))
    filler = full_staging / "someone-elses-file"
    filler.write_bytes(b"\0" * 400_000)  # the disk fills up while the upload is under way

    response = client.patch(second, content=data, headers=patch_headers(owner.headers, 0))
    assert response.status_code == 507, response.text
    assert "disk is full" in response.json()["detail"]
    assert "offset 0" in response.json()["detail"]
    assert _bin(full_staging, second).stat().st_size == 0  # the partial chunk is gone
    head = client.head(second, headers={**owner.headers, **TUS})
    assert head.headers["upload-offset"] == "0"
    # Nothing else was harmed: the other upload, the other file, the hub itself.
    assert _bin(full_staging, first).read_bytes() == kept
    assert client.head(first, headers={**owner.headers, **TUS}).headers["upload-offset"] == \
        "200000"
    assert filler.stat().st_size == 400_000
    assert client.get("/api/v1/health").status_code == 200

    filler.unlink()  # space is freed: the same upload resumes and completes
    response = client.patch(second, content=data, headers=patch_headers(owner.headers, 0))
    assert response.status_code == 204, response.text
    status = client.get(second, headers=owner.headers).json()
    assert status["sha256"] == hashlib.sha256(data).hexdigest()
    # Completed across file systems: copied into the store and hashed again, then removed.
    assert hub.storage.path(status["sha256"]).read_bytes() == data
    assert not _bin(full_staging, second).exists()


def test_a_file_larger_than_the_free_space_is_refused_at_creation(
    client: TestClient, owner: Person, full_staging: Path,
) -> None:
    response = client.post(BASE, headers={**owner.headers, **TUS, "Upload-Length": "5000000",
                                          "Upload-Metadata": metadata(filename="큰.bin")})
    assert response.status_code == 507
    assert "free space" in response.json()["detail"]
    assert list(full_staging.iterdir()) == []


@pytest.fixture
def small_store(hub: Hub) -> Iterator[Path]:
    """The blob store on a 1 MiB tmpfs, the staging folder elsewhere: a finished upload is
    copied into the store, and the copy is what fills the disk."""
    with small_disk(hub.settings.resolved_blob_dir) as root:
        (root / "tmp").mkdir()
        yield root


def test_the_cli_finishes_an_upload_the_full_store_could_not_take(
    hub: Hub, owner: Person, small_store: Path, tmp_path: Path,
) -> None:
    source = tmp_path / "가득.bin"
    source.write_bytes(os.urandom(1_500_000))
    store = ResumeStore(tmp_path / "uploads.json")
    app = create_app(hub=hub)
    with TestClient(app, headers=owner.headers) as client:
        with pytest.raises(ClientError, match="disk is full"):
            upload_resumable(client, "", source, chunk_size=1_000_000, store=store)
        subprocess.run(["mount", "-o", "remount,size=4m", str(small_store)], check=True)
        # Every byte is on the hub already: the second run only asks it to store the file.
        result = upload_resumable(client, "", source, chunk_size=1_000_000, store=store)
    assert result.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert hub.storage.path(result.sha256).read_bytes() == source.read_bytes()


def test_a_tus_client_attaches_the_file_once_the_store_has_room(
    client: TestClient, hub: Hub, factories: Factories, small_store: Path,
) -> None:
    """Any tus client: the last PATCH is 507, but HEAD then says every byte arrived, so
    the client goes on to attach the upload. Attaching stores it, once there is room."""
    host = factories.host()
    factories.dataset(host, "full", publish=False, files={})
    data = os.urandom(1_500_000)
    location = _create(client, host, len(data))
    assert client.patch(location, content=data,
                        headers=patch_headers(host.headers, 0)).status_code == 507
    head = client.head(location, headers={**host.headers, **TUS})
    assert head.headers["upload-offset"] == str(len(data))
    attach = "/api/v1/datasets/full/versions/1.0.0/uploads"
    body = {"upload_id": location.rsplit("/", 1)[1], "path": "full.bin"}
    refused = client.post(attach, headers=host.headers, json=body)
    assert refused.status_code == 507, refused.text  # still no room: said, nothing lost
    subprocess.run(["mount", "-o", "remount,size=4m", str(small_store)], check=True)
    attached = client.post(attach, headers=host.headers, json=body)
    assert attached.status_code == 201, attached.text
    assert attached.json()["sha256"] == hashlib.sha256(data).hexdigest()
    assert hub.storage.path(attached.json()["sha256"]).read_bytes() == data
