"""LocalStorage.adopt: a file already hashed while it was written joins the store by
rename (no copy of a 2 GB upload); across file systems see test_upload_disk_full.py."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from aihub.storage import Blob, LocalStorage


def _staged(folder: Path, data: bytes) -> tuple[Path, str]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "upload.bin"
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def test_adopt_renames_the_file_into_place(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "blobs")
    source, digest = _staged(tmp_path / "staging", b"a,b\n1,2\n" * 1000)
    inode = source.stat().st_ino
    blob = store.adopt(source, digest, 8000)
    assert blob == Blob(sha256=digest, size=8000)
    assert not source.exists()
    assert store.path(digest).stat().st_ino == inode  # the same file, not a copy
    assert store.path(digest).read_bytes() == b"a,b\n1,2\n" * 1000


def test_adopting_stored_content_keeps_one_copy(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "blobs")
    first = store.put_file(io.BytesIO(b"same bytes"))
    source, digest = _staged(tmp_path / "staging", b"same bytes")
    assert store.adopt(source, digest, 10) == first
    assert not source.exists()
    assert [p.name for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == [digest]


def test_a_size_that_differs_is_refused_and_the_file_stays(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "blobs")
    source, digest = _staged(tmp_path / "staging", b"12345")
    with pytest.raises(ValueError, match="not the 6 announced"):
        store.adopt(source, digest, 6)
    assert source.read_bytes() == b"12345"
    assert not store.exists(digest)
