from __future__ import annotations

import errno
import hashlib
import io
from pathlib import Path

import pytest

from aihub.storage import LocalStorage, TooLargeError
from disks import small_disk


def test_put_stream_names_blob_by_sha256(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    data = b"id,target\n1,0.5\n" * 1000
    blob = store.put_stream(iter([data[:100], data[100:]]))
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert blob.size == len(data)
    assert store.path(blob.sha256).read_bytes() == data
    assert store.exists(blob.sha256)


def test_same_content_is_stored_once(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    a = store.put_file(io.BytesIO(b"same"))
    b = store.put_file(io.BytesIO(b"same"))
    assert a == b
    assert list((tmp_path / "tmp").iterdir()) == []


def test_too_large_stream_leaves_nothing(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    with pytest.raises(TooLargeError):
        store.put_stream(iter([b"x" * 10, b"y" * 10]), max_bytes=15)
    assert list((tmp_path / "tmp").iterdir()) == []
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_failed_stream_leaves_nothing(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)

    def broken() -> object:
        yield b"partial"
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        store.put_stream(broken())  # type: ignore[arg-type]
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("bad", ["../etc/passwd", "abc", "A" * 64, ""])
def test_path_refuses_anything_but_a_digest(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="sha256"):
        LocalStorage(tmp_path).path(bad)


@pytest.mark.parametrize("chunk", [6_000, 600_000], ids=["in the last flush", "in a write"])
def test_a_full_disk_leaves_no_temporary_file(tmp_path: Path, chunk: int) -> None:
    """6,000 bytes sit in the writer's buffer until it closes, so the 4 KiB disk refuses
    them only then; 600,000 are refused while written. Either way the error is the disk's
    and the temporary file is gone."""
    with small_disk(tmp_path / "store", size="4k") as root:
        store = LocalStorage(root)
        with pytest.raises(OSError) as raised:
            store.put_stream(iter([b"x" * chunk]))
        assert raised.value.errno == errno.ENOSPC
        assert list((root / "tmp").iterdir()) == []
