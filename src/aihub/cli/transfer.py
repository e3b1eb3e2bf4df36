"""Transfers of any size for the CLI: tus uploads that resume after an interruption, and
downloads resumed with Range and verified by sha256.

Uploads remember their server address in ``~/.cache/aihub/uploads.json`` under a
fingerprint of the file (path, size, mtime, sha256 of its first MiB), so running the same
command again continues where the last run stopped. Network failures, 5xx and 429 answers
are retried with back-off (``Retry-After`` honoured); a file never sits whole in memory.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from aihub.cli.client import ClientError

if TYPE_CHECKING:
    from hashlib import _Hash as Hash

TUS = {"Tus-Resumable": "1.0.0"}
UPLOADS_PATH = "/api/v1/uploads/"
CHUNK_BYTES = 8 * 1024 * 1024
# Bytes handed to httpx at a time: the progress bar moves this often within a chunk.
PIECE_BYTES = 256 * 1024
_FINGERPRINT_HEAD = 1024 * 1024
_RETRYABLE = {423, 429, 500, 502, 503, 504}


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aihub"


def http_client(url: str, token: str | None, *, timeout: float = 60.0) -> httpx.Client:
    """An httpx client for the hub at ``url``, sending ``token`` as the CLI does."""
    headers = {"User-Agent": "aihub-cli"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=url.rstrip("/"), headers=headers,
                        timeout=httpx.Timeout(timeout, connect=10.0))


def transfer_progress(console: Console | None = None) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
        TransferSpeedColumn(), TimeRemainingColumn(), transient=True, console=console,
    )


@dataclass
class Retry:
    """How long to keep trying: ``tries`` failures in a row without progress, waiting
    ``base`` · 2ⁿ seconds (at most ``cap``) or what the hub's Retry-After says."""

    tries: int = 8
    base: float = 1.0
    cap: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def wait(self, failures: int, response: httpx.Response | None) -> None:
        delay = min(self.cap, self.base * 2 ** (failures - 1))
        asked = _retry_after(response)
        self.sleep(min(asked, 300.0) if asked is not None else delay)


def _retry_after(response: httpx.Response | None) -> float | None:
    value = response.headers.get("retry-after") if response is not None else None
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text or response.reason_phrase
    return f"{detail} (HTTP {response.status_code})"


class ResumeStore:
    """Upload addresses by file fingerprint, in one JSON file shared by CLI runs."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_dir() / "uploads.json"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.with_suffix(".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                entries = json.loads(self.path.read_text(encoding="utf-8"))
            except (FileNotFoundError, ValueError):
                entries = {}  # a damaged cache only costs a fresh upload
            before = dict(entries)
            yield entries
            if entries != before:
                fresh = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}")
                fresh.write_text(json.dumps(entries, indent=1), encoding="utf-8")
                fresh.replace(self.path)

    def get(self, key: str) -> str | None:
        with self._locked() as entries:
            entry = entries.get(key)
            return entry.get("url") if isinstance(entry, dict) else None

    def put(self, key: str, url: str) -> None:
        with self._locked() as entries:
            entries[key] = {"url": url, "saved": time.time()}

    def drop(self, key: str) -> None:
        with self._locked() as entries:
            entries.pop(key, None)


def fingerprint(path: Path, endpoint: str) -> str:
    """The same file (path, size, mtime, first MiB) sent to the same hub."""
    stat = path.stat()
    with path.open("rb") as handle:
        head = hashlib.sha256(handle.read(_FINGERPRINT_HEAD)).hexdigest()
    text = f"{endpoint}|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{head}"
    return hashlib.sha256(text.encode()).hexdigest()


class _Hasher:
    """The sha256 of a file read in order, fed the same bytes again after a retry."""

    def __init__(self) -> None:
        self.digest: Hash = hashlib.sha256()
        self.upto = 0

    def feed(self, offset: int, data: bytes) -> None:
        if offset <= self.upto < offset + len(data):
            self.digest.update(data[self.upto - offset:])
            self.upto = offset + len(data)

    def catch_up(self, handle: BinaryIO, offset: int) -> None:
        """Hash what lies before ``offset`` and was not sent in this run (a resume)."""
        handle.seek(self.upto)
        while self.upto < offset:
            data = handle.read(min(CHUNK_BYTES, offset - self.upto))
            if not data:
                raise ClientError("The file became shorter while it was being uploaded.")
            self.feed(self.upto, data)


@dataclass
class UploadResult:
    url: str
    upload_id: str
    sha256: str
    size: int


class _Upload:
    """One file's trip to the hub: its address, offset, progress and failures."""

    def __init__(self, client: httpx.Client, path: Path, progress: Progress | None,
                 retry: Retry) -> None:
        self.client, self.path, self.retry = client, path, retry
        self.size = path.stat().st_size
        self.hasher = _Hasher()
        self.failures = 0
        self.progress = progress
        self.task: TaskID | None = None
        if progress is not None:
            self.task = progress.add_task(f"Uploading {path.name}", total=self.size)

    def show(self, completed: int | None = None, advance: int = 0) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=completed, advance=advance or None)

    def failed(self, why: str, response: httpx.Response | None = None, *,
               wait: bool = True) -> None:
        """Count a failure; give up with ``why`` once there were too many in a row."""
        self.failures += 1
        if self.failures >= self.retry.tries:
            raise ClientError(
                f"{self.path.name}: the upload failed {self.failures} times in a row ({why}). "
                "Run the same command again later: it resumes where it stopped."
            )
        if wait:
            self.retry.wait(self.failures, response)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """A request retried on network errors and retryable statuses."""
        while True:
            try:
                response = self.client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                self.failed(f"{type(exc).__name__}: {exc}")
                continue
            if response.status_code in _RETRYABLE:
                self.failed(_detail(response), response)
                continue
            return response

    def create(self, url: str, metadata: dict[str, str]) -> str:
        encoded = ",".join(f"{key} {base64.b64encode(value.encode()).decode()}"
                           for key, value in metadata.items())
        response = self.request("POST", url, headers={
            **TUS, "Upload-Length": str(self.size), "Upload-Metadata": encoded,
        })
        if response.status_code != 201 or "location" not in response.headers:
            raise ClientError(f"{self.path.name}: the hub refused the upload: "
                              f"{_detail(response)}")
        return str(response.url.join(response.headers["location"]))

    def offset(self, url: str) -> int | None:
        """Where the upload stands on the hub, or None when the hub no longer has it."""
        response = self.request("HEAD", url, headers=TUS)
        if response.status_code in (404, 410):
            return None
        if response.status_code != 200 or "upload-offset" not in response.headers:
            raise ClientError(f"{self.path.name}: {_detail(response)}")
        return int(response.headers["upload-offset"])

    def send_chunk(self, url: str, handle: BinaryIO, offset: int, chunk_size: int) -> int:
        """PATCH one chunk; the hub's new offset (or where it stands after a failure)."""
        handle.seek(offset)
        data = handle.read(min(chunk_size, self.size - offset))
        self.hasher.feed(offset, data)
        checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
        headers = {**TUS, "Upload-Offset": str(offset), "Upload-Checksum": f"sha256 {checksum}",
                   "Content-Type": "application/offset+octet-stream",
                   "Content-Length": str(len(data))}
        try:
            response = self.client.patch(url, content=self._pieces(data), headers=headers)
        except httpx.TransportError as exc:
            self.failed(f"{type(exc).__name__}: {exc}")
            return self._resync(url)
        if response.status_code == 204:
            new = int(response.headers["upload-offset"])
            if new > offset:
                self.failures = 0
            self.show(completed=new)
            return new
        if response.status_code in (409, 460):
            # Offset out of step, or bytes damaged on the way: ask where it stands, resend.
            self.failed(_detail(response), wait=False)
        elif response.status_code in _RETRYABLE:
            self.failed(_detail(response), response)
        else:
            # 404/410 (expired, deleted, failed), 413, 507...: retrying cannot help now.
            raise ClientError(f"{self.path.name}: {_detail(response)}")
        return self._resync(url)

    def _pieces(self, data: bytes) -> Iterator[bytes]:
        view = memoryview(data)
        for start in range(0, len(view), PIECE_BYTES):
            piece = view[start:start + PIECE_BYTES]
            yield bytes(piece)
            self.show(advance=len(piece))

    def _resync(self, url: str) -> int:
        offset = self.offset(url)
        if offset is None:
            raise ClientError(f"{self.path.name}: the hub no longer has this upload (it "
                              "expired or was deleted). Run the command again to start anew.")
        self.show(completed=offset)
        return offset


def upload_resumable(
    client: httpx.Client, url: str, path: Path, metadata: dict[str, str] | None = None,
    progress: Progress | None = None, *, chunk_size: int = CHUNK_BYTES,
    store: ResumeStore | None = None, retry: Retry | None = None,
) -> UploadResult:
    """Upload ``path`` to the tus endpoint ``url`` (default the hub's), resuming a previous
    attempt at the same file; returns the upload's address and the file's sha256, which
    the hub is checked to have computed too."""
    if not path.is_file():
        raise ClientError(f"{path} is not a file.")
    store = store or ResumeStore()
    endpoint = str(client.base_url.join(url or UPLOADS_PATH))
    key = fingerprint(path, endpoint)
    upload = _Upload(client, path, progress, retry or Retry())
    upload_url = store.get(key)
    offset = upload.offset(upload_url) if upload_url else None
    if upload_url is None or offset is None:
        upload_url = upload.create(endpoint, {"filename": path.name, **(metadata or {})})
        store.put(key, upload_url)
        offset = 0
    upload.show(completed=offset)
    with path.open("rb") as handle:
        upload.hasher.catch_up(handle, offset)
        while offset < upload.size:
            offset = upload.send_chunk(upload_url, handle, offset, chunk_size)
            upload.hasher.catch_up(handle, offset)
    try:
        result = _confirm(upload, upload_url)
    except _NotThisFileError:
        # Resuming this upload can only fail the same way again: the next run starts afresh.
        store.drop(key)
        with contextlib.suppress(httpx.HTTPError):  # tidying only: the hub expires it anyway
            upload.client.request("DELETE", upload_url, headers=TUS)
        raise
    store.drop(key)
    return result


class _NotThisFileError(ClientError):
    """The hub's upload holds other bytes than the file here, or failed for good."""


def _status(upload: _Upload, url: str) -> dict[str, Any]:
    response = upload.request("GET", url, headers=TUS)
    if response.status_code != 200:
        raise ClientError(f"{upload.path.name}: {_detail(response)}")
    status: dict[str, Any] = response.json()
    return status


def _confirm(upload: _Upload, url: str) -> UploadResult:
    """The hub's own sha256 of the whole file must be the one computed here."""
    status = _status(upload, url)
    if not status.get("complete") and not status.get("error") \
            and status.get("offset") == status.get("length"):
        # Every byte arrived, but the hub could not store the file then (its disk was
        # full): an empty PATCH at the end asks it again.
        finish = upload.request("PATCH", url, content=b"", headers={
            **TUS, "Upload-Offset": str(status["offset"]),
            "Content-Type": "application/offset+octet-stream"})
        if finish.status_code != 204:
            raise ClientError(f"{upload.path.name}: {_detail(finish)}")
        status = _status(upload, url)
    local = upload.hasher.digest.hexdigest()
    if status.get("error"):
        raise _NotThisFileError(f"{upload.path.name}: {status['error']}")
    if not status.get("complete"):
        raise ClientError(f"{upload.path.name}: the hub has {status.get('offset')} of "
                          f"{status.get('length')} bytes; run the command again to resume.")
    if status.get("sha256") != local:
        raise _NotThisFileError(
            f"{upload.path.name}: the hub holds sha256 {status.get('sha256')} but the file "
            f"here hashes to {local}; did it change during the upload? Run the command "
            "again to upload it afresh."
        )
    return UploadResult(url=url, upload_id=status["id"], sha256=local, size=upload.size)


class _Download:
    """A ``.part`` file that grows across attempts, hashed as it grows."""

    def __init__(self, dest: Path, progress: Progress | None) -> None:
        self.dest, self.part = dest, dest.with_name(dest.name + ".part")
        self.hasher = _Hasher()
        self.progress, self.task = progress, None
        if progress is not None:
            self.task = progress.add_task(f"Downloading {dest.name}", total=None)
        if self.part.exists():
            with self.part.open("rb") as handle:
                self.hasher.catch_up(handle, self.part.stat().st_size)

    def restart(self) -> None:
        self.part.unlink(missing_ok=True)
        self.hasher = _Hasher()

    def show(self, total: int | None) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, total=total, completed=self.hasher.upto)

    def receive(self, response: httpx.Response) -> None:
        with self.part.open("ab") as out:
            # As the bytes arrive: whatever came before a dropped connection is kept.
            for chunk in response.iter_bytes():
                out.write(chunk)
                self.hasher.feed(self.hasher.upto, chunk)
                if self.progress is not None and self.task is not None:
                    self.progress.update(self.task, completed=self.hasher.upto)


def _total(response: httpx.Response) -> int | None:
    """The file's whole size from Content-Range (206, 416) or Content-Length (200)."""
    content_range = response.headers.get("content-range", "")
    if "/" in content_range and content_range.rsplit("/", 1)[1].isdigit():
        return int(content_range.rsplit("/", 1)[1])
    length = response.headers.get("content-length", "")
    return int(length) if response.status_code == 200 and length.isdigit() else None


def _attempt(client: httpx.Client, url: str, sha256: str, job: _Download) -> bool:
    """One GET from where the part file ends; True once the whole file is there."""
    have = job.hasher.upto
    headers = {"Range": f"bytes={have}-", "If-Range": f'"{sha256}"'} if have else {}
    with client.stream("GET", url, headers=headers) as response:
        total = _total(response)
        if response.status_code == 416 and have:
            if total != have:
                job.restart()  # longer than the file: not a piece of it
                return False
            return True
        if response.status_code == 206 and response.headers.get(
                "content-range", "").startswith(f"bytes {have}-"):
            job.show(total)
            job.receive(response)
            return total is not None and job.hasher.upto >= total
        if response.status_code == 200:
            job.restart()  # the hub sends the whole file: the part is not resumable
            job.show(total)
            job.receive(response)
            return True
        response.read()
        raise _Refused(response)


class _Refused(Exception):  # noqa: N818 - carries the answer, not an error of ours
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def download_verified(
    client: httpx.Client, url: str, dest: Path, sha256: str, progress: Progress | None = None,
    *, retry: Retry | None = None,
) -> Path:
    """Download ``url`` to ``dest`` through ``dest.part``, resuming a part left by an
    earlier run, and rename it into place only when its sha256 is ``sha256``."""
    retry = retry or Retry()
    job = _Download(dest, progress)
    failures = 0
    while True:
        before = job.hasher.upto
        try:
            if _attempt(client, url, sha256, job):
                break
            continue
        except httpx.TransportError as exc:
            why, response = f"{type(exc).__name__}: {exc}", None
        except _Refused as refused:
            response = refused.response
            if response.status_code not in _RETRYABLE:
                raise ClientError(f"{dest.name}: {_detail(response)}") from None
            why = _detail(response)
        except OSError as exc:  # our disk, not the network: retrying cannot help
            raise ClientError(f"Cannot write {job.part}: {exc.strerror or exc}; free some "
                              "space and run the command again to resume.") from exc
        failures = 1 if job.hasher.upto > before else failures + 1
        if failures >= retry.tries:
            raise ClientError(f"{dest.name}: the download failed {failures} times in a row "
                              f"({why}). Run the command again: it resumes from {job.part}.")
        retry.wait(failures, response)
    return _verify(job, sha256)


def _verify(job: _Download, sha256: str) -> Path:
    actual = job.hasher.digest.hexdigest()
    if actual != sha256:
        job.restart()
        raise ClientError(
            f"{job.dest.name}: the downloaded bytes hash to sha256 {actual}, not the expected "
            f"{sha256}; the partial file {job.part} was deleted. Run the command again to "
            "download it afresh."
        )
    job.part.replace(job.dest)
    return job.dest
