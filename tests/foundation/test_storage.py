from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from aihub.storage import LocalStorage, TooLargeError


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
