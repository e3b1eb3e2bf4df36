"""Resumable uploads kept as files, like tusd's filestore: no database table.

Each upload is ``<staging>/<id>.bin`` (the bytes received so far) and ``<id>.info`` (JSON:
owner, length, offset, metadata, times, outcome), with ``<id>.lock`` serialising writers
across threads and processes. The bytes are hashed (sha256) while they stream in; a
completed upload is moved into the blob store by rename and found later by its id
(``get_completed_upload``) when the dataset services attach it to a version.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect

from aihub.datasets.tus import (
    Checksum,
    ChecksumMismatch,
    InsufficientStorage,
    OffsetMismatch,
    TooLarge,
    UploadBusy,
    UploadGone,
)
from aihub.db import utcnow
from aihub.errors import Conflict, NotFound
from aihub.settings import Settings
from aihub.storage import Blob, LocalStorage, Storage

if TYPE_CHECKING:
    from hashlib import _Hash as Hash
else:
    Hash = object

# Incoming bytes are gathered to this size before one write and hash in a worker thread:
# the event loop never blocks on the disk, and a request holds two such blocks at most.
WRITE_BYTES = 1024 * 1024
# Without a per-request checksum, bytes are made durable (offset written to .info) at least
# this often, so a server killed in a 20 GB PATCH resumes near where it stopped.
CHECKPOINT_BYTES = 64 * 1024 * 1024
# Expiry sweeps on creation run at most this often per staging folder.
SWEEP_SECONDS = 60.0
_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")
_FULL_DISK = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def staging_dir(settings: Settings) -> Path:
    return settings.data_dir / "uploads"


class UploadInfo(BaseModel):
    """The ``.info`` file: everything known about an upload except its bytes."""

    id: str
    owner_id: int
    length: int
    offset: int = 0
    metadata: dict[str, str]
    created_at: datetime
    last_write_at: datetime
    expires_at: datetime
    complete: bool = False
    sha256: str | None = None  # of the whole file, once complete
    error: str | None = None  # why the upload failed for good

    @property
    def filename(self) -> str:
        return self.metadata.get("filename", "")

    @property
    def failed(self) -> bool:
        return self.error is not None


@dataclass(frozen=True)
class CompletedUpload:
    """A finished upload, ready to be attached to a dataset version."""

    blob: Blob
    filename: str
    metadata: dict[str, str]


# The running sha256 of each upload, per process, keyed by (.bin path, offset). A hash
# object cannot be saved to disk; when it is missing here (restart, another process took
# the upload's last write) the bytes on disk up to the offset are hashed again.
_HASHES: OrderedDict[tuple[str, int], Hash] = OrderedDict()
_HASHES_LOCK = threading.Lock()
_HASHES_MAX = 256
_LAST_SWEEP: dict[Path, float] = {}


def _remember_hash(path: Path, offset: int, digest: Hash) -> None:
    _forget_hash(path)
    with _HASHES_LOCK:
        _HASHES[(str(path), offset)] = digest.copy()
        while len(_HASHES) > _HASHES_MAX:
            _HASHES.popitem(last=False)


def _forget_hash(path: Path) -> None:
    with _HASHES_LOCK:
        for key in [k for k in _HASHES if k[0] == str(path)]:
            del _HASHES[key]


def _cached_hash(path: Path, offset: int) -> Hash | None:
    with _HASHES_LOCK:
        found = _HASHES.get((str(path), offset))
        return found.copy() if found is not None else None


def forget_cached_hashes() -> None:
    """Drop every running hash of this process, as a restart would (tests use it)."""
    with _HASHES_LOCK:
        _HASHES.clear()


def _rehash(path: Path, offset: int) -> Hash:
    digest = hashlib.sha256()
    remaining = offset
    with path.open("rb") as handle:
        while remaining:
            chunk = handle.read(min(WRITE_BYTES, remaining))
            if not chunk:
                raise OSError(errno.EIO, f"{path} is shorter than its offset {offset}")
            digest.update(chunk)
            remaining -= len(chunk)
    return digest


class _Sink:
    """One PATCH's bytes: appended at the upload's offset, hashed whole-file and per chunk."""

    def __init__(self, path: Path, start: int, file_hash: Hash,
                 checksum: Checksum | None) -> None:
        self._fd = os.open(path, os.O_WRONLY)
        # Bytes past the recorded offset were never acknowledged (a process killed
        # between a write and its checkpoint): they go, so offset and hash agree.
        os.ftruncate(self._fd, start)
        os.lseek(self._fd, start, os.SEEK_SET)
        self.committed = start
        self.offset = start
        self.file_hash = file_hash
        self.chunk_hash = checksum.new() if checksum else None

    def write(self, data: bytes | bytearray) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        self.file_hash.update(data)
        if self.chunk_hash is not None:
            self.chunk_hash.update(data)
        self.offset += len(data)

    def rollback(self) -> None:
        """Drop every byte since the last checkpoint: the upload is as it was."""
        os.ftruncate(self._fd, self.committed)
        self.offset = self.committed

    def close(self) -> None:
        os.close(self._fd)


class _Pipeline:
    """Writes (and hashes) one block in a worker thread while the next arrives: the
    network is not paused while the disk works, and a request holds two blocks at most."""

    def __init__(self, sink: _Sink, when_idle: Callable[[], None]) -> None:
        self.sink, self.when_idle = sink, when_idle
        self.pending = bytearray()
        self.writing: asyncio.Task[None] | None = None

    def add(self, piece: bytes) -> bool:
        """Keep ``piece``; True when a block is full and should be flushed."""
        self.pending += piece
        return len(self.pending) >= WRITE_BYTES

    async def _wait(self) -> None:
        writing, self.writing = self.writing, None
        if writing is not None:
            with anyio.CancelScope(shield=True):  # never truncate under a running write
                await writing

    async def flush(self) -> None:
        await self._wait()
        self.when_idle()  # nothing in flight: offset and hash agree
        block, self.pending = self.pending, bytearray()
        self.writing = asyncio.ensure_future(anyio.to_thread.run_sync(self.sink.write, block))

    async def close(self) -> None:
        """Write everything received."""
        await self._wait()
        if self.pending:
            await anyio.to_thread.run_sync(self.sink.write, self.pending)
            self.pending = bytearray()

    async def abandon(self) -> None:
        """Let the write in flight end; the caller rolls back."""
        with contextlib.suppress(Exception):  # the error that brought us here matters more
            await self._wait()


class UploadStore:
    """The staging folder of one hub. Cheap to build: routes make one per request."""

    def __init__(self, root: Path, storage: Storage, *, max_bytes: int,
                 expiry: timedelta) -> None:
        self.root = root
        self.storage = storage
        self.max_bytes = max_bytes
        self.expiry = expiry
        root.mkdir(parents=True, exist_ok=True)

    @classmethod
    def for_settings(cls, settings: Settings, storage: Storage | None = None) -> UploadStore:
        return cls(
            staging_dir(settings), storage or LocalStorage(settings.resolved_blob_dir),
            max_bytes=settings.max_dataset_file_bytes,
            expiry=timedelta(hours=settings.upload_expiry_hours),
        )

    # -- files ---------------------------------------------------------------------------

    def _path(self, upload_id: str, suffix: str) -> Path:
        return self.root / f"{upload_id}{suffix}"

    def _read(self, upload_id: str) -> UploadInfo | None:
        if not _ID.match(upload_id):
            return None  # never touch the disk with a name we did not make
        try:
            return UploadInfo.model_validate_json(self._path(upload_id, ".info").read_bytes())
        except FileNotFoundError:
            return None
        except ValidationError:
            return None  # a damaged .info: the upload cannot be trusted, so it is unknown

    def _save(self, info: UploadInfo) -> None:
        # Written whole under another name, then renamed: readers see the old or new info.
        target = self._path(info.id, ".info")
        fresh = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
        try:
            fresh.write_text(info.model_dump_json(), encoding="utf-8")
            fresh.replace(target)
        except OSError as exc:
            fresh.unlink(missing_ok=True)
            if exc.errno in _FULL_DISK:
                raise _full_disk(info) from exc
            raise

    def _delete(self, upload_id: str) -> None:
        for suffix in (".bin", ".info", ".lock"):
            self._path(upload_id, suffix).unlink(missing_ok=True)

    @contextlib.contextmanager
    def _locked(self, upload_id: str) -> Iterator[None]:
        fd = os.open(self._path(upload_id, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UploadBusy(
                    "Another request is sending bytes to this upload right now; wait for "
                    "it to finish (or fail), then ask for the offset (HEAD) and resume."
                ) from None
            yield
        finally:
            os.close(fd)

    # -- verbs -----------------------------------------------------------------------------

    def create(self, owner_id: int, length: int, metadata: dict[str, str],
               now: datetime) -> UploadInfo:
        """A new, empty upload of ``length`` bytes owned by ``owner_id``."""
        free = shutil.disk_usage(self.root).free
        if length > free:
            raise InsufficientStorage(
                f"The hub has {free} bytes of free space for uploads and this file needs "
                f"{length}; try again later or tell the hub's operators."
            )
        upload_id = secrets.token_urlsafe(24)
        with self._path(upload_id, ".bin").open("xb"):
            pass
        info = UploadInfo(
            id=upload_id, owner_id=owner_id, length=length, metadata=metadata,
            created_at=now, last_write_at=now, expires_at=now + self.expiry,
        )
        self._save(info)
        _remember_hash(self._path(upload_id, ".bin"), 0, hashlib.sha256())
        return info

    def get(self, upload_id: str, owner_id: int | None, now: datetime) -> UploadInfo:
        """The upload, for its owner only: to anyone else it does not exist (404)."""
        info = self._read(upload_id)
        if info is None or info.owner_id != owner_id or (
            not info.complete and info.expires_at <= now
        ):
            raise NotFound(
                f"No upload {upload_id!r} of yours: it never existed, was deleted, or "
                "expired unfinished. Start a new upload."
            )
        return info

    def terminate(self, upload_id: str, owner_id: int, now: datetime) -> None:
        """Delete the upload (tus termination); a completed one's blob stays stored."""
        self.get(upload_id, owner_id, now)
        with self._locked(upload_id):
            self._delete(upload_id)
        _forget_hash(self._path(upload_id, ".bin"))

    async def append(self, upload_id: str, owner_id: int, chunks: AsyncIterator[bytes], *,
                     offset: int, content_length: int | None, checksum: Checksum | None,
                     now: datetime) -> UploadInfo:
        """Append one request's body at ``offset``, then complete the upload if whole."""
        self.get(upload_id, owner_id, now)
        with self._locked(upload_id):
            info = self.get(upload_id, owner_id, now)  # as it is now that we hold the lock
            _check_appendable(info, offset, content_length)
            if info.offset < info.length:
                await self._receive(info, chunks, checksum)
            if info.offset == info.length and not info.complete:
                await self._complete(info)
            return info

    async def _receive(self, info: UploadInfo, chunks: AsyncIterator[bytes],
                       checksum: Checksum | None) -> None:
        path = self._path(info.id, ".bin")
        file_hash = await self._running_hash(info, path)
        sink = _Sink(path, info.offset, file_hash, checksum)
        try:
            try:
                await self._pump(info, sink, chunks, checkpoints=checksum is None)
            except ClientDisconnect:
                # tus: bytes received before a dropped connection count, unless the client
                # asked for a checksum, which a partial chunk cannot meet.
                if checksum is not None:
                    sink.rollback()
                self._commit(info, sink)
                return
            except OSError as exc:
                sink.rollback()
                if exc.errno in _FULL_DISK:
                    raise _full_disk(info) from exc
                raise
            except BaseException:
                sink.rollback()
                raise
            if checksum is not None and sink.chunk_hash is not None \
                    and not checksum.matches(sink.chunk_hash.digest()):
                sink.rollback()
                raise ChecksumMismatch(
                    f"The bytes received do not match Upload-Checksum ({checksum.algorithm}); "
                    f"they were discarded and the upload stays at offset {info.offset}. "
                    "Send the chunk again."
                )
            self._commit(info, sink)
        finally:
            sink.close()

    async def _pump(self, info: UploadInfo, sink: _Sink, chunks: AsyncIterator[bytes], *,
                    checkpoints: bool) -> None:
        def checkpoint() -> None:
            if checkpoints and sink.offset - sink.committed >= CHECKPOINT_BYTES:
                self._commit(info, sink)

        pipe, received = _Pipeline(sink, checkpoint), sink.offset
        try:
            async for piece in chunks:
                received += len(piece)
                if received > info.length:
                    raise TooLarge(
                        f"The body goes past Upload-Length ({info.length} bytes); the upload "
                        f"stays at offset {sink.committed}: ask for the offset (HEAD) and "
                        "send only the bytes that remain."
                    )
                if pipe.add(piece):
                    await pipe.flush()
        except ClientDisconnect:
            await pipe.close()  # what arrived before the drop is kept (the caller decides)
            raise
        except BaseException:
            await pipe.abandon()
            raise
        await pipe.close()

    def _commit(self, info: UploadInfo, sink: _Sink) -> None:
        if sink.offset == info.offset:
            return
        # The clock, not the request's start: a PATCH may last hours.
        now = utcnow()
        info.offset = sink.offset
        info.last_write_at = now
        info.expires_at = now + self.expiry
        self._save(info)
        sink.committed = sink.offset
        _remember_hash(self._path(info.id, ".bin"), info.offset, sink.file_hash)

    def _hash_on_disk(self, info: UploadInfo, path: Path) -> Hash:
        on_disk = path.stat().st_size
        if on_disk < info.offset:
            # The machine lost bytes the .info counted (a crash before they reached the
            # disk): resume from what is really there.
            info.offset = on_disk
            self._save(info)
        cached = _cached_hash(path, info.offset)
        return cached if cached is not None else _rehash(path, info.offset)

    async def _running_hash(self, info: UploadInfo, path: Path) -> Hash:
        return await anyio.to_thread.run_sync(self._hash_on_disk, info, path)

    async def _complete(self, info: UploadInfo) -> None:
        await anyio.to_thread.run_sync(self._finish, info)

    def _finish(self, info: UploadInfo) -> None:
        """Take the whole file into the blob store (a worker thread: it may hash and copy)."""
        path = self._path(info.id, ".bin")
        digest = self._hash_on_disk(info, path).hexdigest()
        declared = info.metadata.get("sha256")
        if declared is not None and declared != digest:
            info.error = (
                f"The file's sha256 is {digest}, not the {declared} declared in "
                "Upload-Metadata: the bytes received differ from the file that was hashed. "
                "The upload was discarded; upload the file again."
            )
            path.unlink(missing_ok=True)
            self._save(info)
            raise ChecksumMismatch(info.error)
        try:
            blob = self.storage.adopt(path, digest, info.length)
        except OSError as exc:
            if exc.errno in _FULL_DISK:
                raise _full_disk(info) from exc
            raise
        info.complete, info.sha256 = True, blob.sha256
        info.expires_at = utcnow() + self.expiry  # to be attached to a version before then
        self._save(info)
        _forget_hash(path)

    def finish_stored(self, upload_id: str, owner_id: int, now: datetime) -> UploadInfo:
        """The upload, stored now if all its bytes arrived but a full disk refused to store
        it then. That PATCH answered 507, yet a tus client reads offset = length as done
        and goes on to attach the file: storing it here lets that succeed once there is
        room, with no byte sent again."""
        info = self.get(upload_id, owner_id, now)  # before the lock file is made
        if info.complete or info.failed or info.offset < info.length:
            return info
        with self._locked(upload_id):
            info = self.get(upload_id, owner_id, now)  # as it is now that we hold the lock
            if info.offset == info.length and not info.complete and not info.failed:
                self._finish(info)
            return info

    def expire(self, now: datetime) -> int:
        """Delete uploads past their expiry time; returns how many went."""
        gone = 0
        for info_path in self.root.glob("*.info"):
            upload_id = info_path.stem
            info = self._read(upload_id)
            if info is not None and info.expires_at > now:
                continue
            with contextlib.suppress(UploadBusy), self._locked(upload_id):
                info = self._read(upload_id)
                if info is None or info.expires_at <= now:
                    self._delete(upload_id)
                    gone += 1
        return gone + self._expire_orphans(now)

    def _expire_orphans(self, now: datetime) -> int:
        # Bytes without an .info: a process killed between creating the two files.
        cutoff = (now - self.expiry).timestamp()
        gone = 0
        for path in self.root.glob("*.bin"):
            with contextlib.suppress(FileNotFoundError):
                if not path.with_suffix(".info").exists() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    gone += 1
        return gone

    def sweep_now_and_then(self, now: datetime) -> None:
        """``expire`` at most once a minute per process: cheap enough to call on creation."""
        last = _LAST_SWEEP.get(self.root)
        if last is not None and time.monotonic() - last < SWEEP_SECONDS:
            return
        _LAST_SWEEP[self.root] = time.monotonic()
        self.expire(now)


def _check_appendable(info: UploadInfo, offset: int, content_length: int | None) -> None:
    if info.failed:
        raise UploadGone(info.error or "This upload failed; start a new one.")
    if offset != info.offset:
        raise OffsetMismatch(
            f"Upload-Offset is {offset} but the upload stands at offset {info.offset}; "
            "ask for the offset (HEAD) and send the bytes from there."
        )
    if content_length is not None and offset + content_length > info.length:
        raise TooLarge(
            f"This body of {content_length} bytes at offset {offset} goes past Upload-Length "
            f"({info.length} bytes); nothing was kept."
        )


def _full_disk(info: UploadInfo) -> InsufficientStorage:
    return InsufficientStorage(
        f"The hub's disk is full: this request's bytes were discarded and the upload stays "
        f"at offset {info.offset} of {info.length}. Resume it later, once space is free, or "
        "tell the hub's operators."
    )


def expire_uploads(settings: Settings, now: datetime) -> int:
    """Delete the uploads past their expiry time (from a periodic job, or on creation)."""
    root = staging_dir(settings)
    if not root.is_dir():
        return 0
    return UploadStore.for_settings(settings).expire(now)


def get_completed_upload(settings: Settings, upload_id: str, user_id: int,
                         now: datetime) -> CompletedUpload:
    """A finished upload of ``user_id``, for the dataset services to attach to a version.

    Its bytes are already a blob in the store; call ``forget_upload`` after the attaching
    transaction commits, so the id cannot be attached twice by mistake."""
    info = UploadStore.for_settings(settings).finish_stored(upload_id, user_id, now)
    if info.failed:
        raise Conflict(info.error or "This upload failed; upload the file again.")
    if not info.complete or info.sha256 is None:
        raise Conflict(
            f"Upload {upload_id!r} is not finished: {info.offset} of {info.length} bytes "
            "arrived. Resume it (the CLI does on a second run), then try again."
        )
    return CompletedUpload(
        blob=Blob(sha256=info.sha256, size=info.length), filename=info.filename,
        metadata=dict(info.metadata),
    )


def forget_upload(settings: Settings, upload_id: str, user_id: int, now: datetime) -> None:
    """Drop a completed upload's record once attached; its blob stays in the store."""
    UploadStore.for_settings(settings).terminate(upload_id, user_id, now)
