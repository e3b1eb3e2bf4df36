"""Content-addressed blob storage: files are named by the sha256 of their bytes.

Writes are streamed: bytes are hashed and written to a temporary file in one pass and the
file is renamed into place, so a crash never leaves a half-written blob under a real name and
no file is ever held whole in memory.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class TooLargeError(ValueError):
    """The stream was longer than the caller allowed; nothing was stored."""


@dataclass(frozen=True)
class Blob:
    sha256: str
    size: int


class Storage(Protocol):
    """Where blobs live. The local store is the default; object stores can follow."""

    def put_stream(self, chunks: Iterable[bytes], *, max_bytes: int | None = None) -> Blob: ...

    async def put_async_stream(
        self, chunks: AsyncIterator[bytes], *, max_bytes: int | None = None
    ) -> Blob: ...

    def put_file(self, source: BinaryIO, *, max_bytes: int | None = None) -> Blob: ...

    def open(self, sha256: str) -> BinaryIO: ...

    def path(self, sha256: str) -> Path: ...

    def exists(self, sha256: str) -> bool: ...

    def adopt(self, source: Path, sha256: str, size: int) -> Blob: ...


class _Writer:
    """One pass over incoming bytes: hash, count, write to a temporary file."""

    def __init__(self, tmp_dir: Path, max_bytes: int | None) -> None:
        self._hash = hashlib.sha256()
        self.size = 0
        self._max = max_bytes
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-")
        self.tmp_path = Path(name)
        self._file = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self._max is not None and self.size > self._max:
            raise TooLargeError(f"larger than the limit of {self._max} bytes")
        self._hash.update(chunk)
        self._file.write(chunk)

    def close(self) -> str:
        self._file.close()
        return self._hash.hexdigest()

    def abort(self) -> None:
        self._file.close()
        self.tmp_path.unlink(missing_ok=True)


class LocalStorage:
    """Blobs under ``root/ab/cd/<sha256>``, temporary files under ``root/tmp``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError(f"not a sha256 digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        return self.path(sha256).open("rb")

    def put_stream(self, chunks: Iterable[bytes], *, max_bytes: int | None = None) -> Blob:
        writer = _Writer(self._tmp, max_bytes)
        try:
            for chunk in chunks:
                writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
        return self._commit(writer)

    async def put_async_stream(
        self, chunks: AsyncIterator[bytes], *, max_bytes: int | None = None
    ) -> Blob:
        writer = _Writer(self._tmp, max_bytes)
        try:
            async for chunk in chunks:
                writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
        return self._commit(writer)

    def put_file(self, source: BinaryIO, *, max_bytes: int | None = None) -> Blob:
        return self.put_stream(iter(lambda: source.read(CHUNK), b""), max_bytes=max_bytes)

    def put_path(self, source: Path, *, max_bytes: int | None = None) -> Blob:
        with source.open("rb") as handle:
            return self.put_file(handle, max_bytes=max_bytes)

    def adopt(self, source: Path, sha256: str, size: int) -> Blob:
        """Take ``source``, whose sha256 the caller computed while writing it, into the
        store: renamed on the same file system (a 2 GB upload is not copied), copied and
        hashed again across file systems. ``source`` is gone afterwards."""
        target = self.path(sha256)
        actual = source.stat().st_size
        if actual != size:
            raise ValueError(f"{source} holds {actual} bytes, not the {size} announced")
        if target.exists():
            source.unlink()
            return Blob(sha256=sha256, size=size)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            source.replace(target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            return self._adopt_by_copy(source, sha256)
        return Blob(sha256=sha256, size=size)

    def _adopt_by_copy(self, source: Path, sha256: str) -> Blob:
        # Another file system: the copy is hashed again, so a wrong sha256 from the caller
        # can never name a blob whose bytes differ.
        blob = self.put_path(source)
        if blob.sha256 != sha256:
            raise ValueError(f"{source} hashes to {blob.sha256}, not the {sha256} announced")
        source.unlink()
        return blob

    def copy_to(self, sha256: str, destination: Path) -> None:
        with self.open(sha256) as src, destination.open("wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)

    def _commit(self, writer: _Writer) -> Blob:
        try:
            # Closing flushes the last buffered bytes: a full disk may refuse them here.
            digest = writer.close()
            target = self.path(digest)
            if target.exists():
                # Same content already stored: content addressing makes the upload a no-op.
                writer.tmp_path.unlink(missing_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                writer.tmp_path.replace(target)
        except BaseException:
            writer.abort()
            raise
        return Blob(sha256=digest, size=writer.size)
