"""tuspy 1.1, an independent tus client, against the hub under a real uvicorn: a few-MB
file with per-chunk sha1 checksums, the connection dropped on the third PATCH, and tuspy's
own resume (its URL store and fingerprint) finishing the upload."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import httpx
import pytest
from tusclient.client import TusClient
from tusclient.exceptions import TusCommunicationError, TusUploadFailed
from tusclient.storage.filestorage import FileStorage
from upload_helpers import CutProxy, settled_offset

from aihub.datasets.uploads import get_completed_upload
from aihub.db import utcnow
from aihub.hub import Hub
from factories import Person

CHUNK = 1_000_000


class _File(io.FileIO):
    """The file as a stream tuspy cannot close: given a path, tuspy leaves handles open
    (get_file_size), and given a stream it closes it after fingerprinting, then reads on."""

    def close(self) -> None:
        pass

    def close_for_real(self) -> None:
        super().close()


def _uploader(client: TusClient, stream: _File, store: FileStorage) -> object:
    return client.uploader(
        file_stream=stream, chunk_size=CHUNK, metadata={"filename": "부산 대기질.bin",
                                                         "dataset": "busan-air"},
        store_url=True, url_storage=store, upload_checksum=True,
    )


def test_tuspy_uploads_resumes_and_the_hub_agrees_on_sha256(
    live_url: str, proxy: CutProxy, hub: Hub, owner: Person, tmp_path: Path,
) -> None:
    source = tmp_path / "air.bin"
    data = os.urandom(3 * CHUNK + 123_456)
    source.write_bytes(data)
    store = FileStorage(str(tmp_path / "tus-urls.json"))
    stream = _File(source, "rb")
    try:
        client = TusClient(proxy.url + "/api/v1/uploads/", headers=owner.headers)
        proxy.cut_next(b"PATCH ", after=CHUNK // 2, skip=2)  # the third PATCH
        with pytest.raises((TusUploadFailed, TusCommunicationError)):
            _uploader(client, stream, store).upload()  # type: ignore[attr-defined]
        assert proxy.dropped == 1
        url = store.get_item(f"size:{len(data)}--md5:"
                             f"{hashlib.md5(data[:65536]).hexdigest()}")
        location = "/" + url.split("/", 3)[3]
        assert location.startswith("/api/v1/uploads/")  # tuspy resolved the Location
        assert settled_offset(live_url, owner.headers, location) == 2 * CHUNK

        again = _uploader(client, stream, store)
        assert again.offset == 2 * CHUNK  # type: ignore[attr-defined]  # HEAD, not a new upload
        again.upload()  # type: ignore[attr-defined]
    finally:
        store._db.close()
        stream.close_for_real()
    status = httpx.get(live_url + location, headers=owner.headers).json()
    assert status["complete"] is True
    assert status["sha256"] == hashlib.sha256(data).hexdigest()
    done = get_completed_upload(hub.settings, status["id"], owner.user.id, utcnow())
    assert done.filename == "부산 대기질.bin"
    assert done.metadata["dataset"] == "busan-air"
    assert hub.storage.path(done.blob.sha256).read_bytes() == data
