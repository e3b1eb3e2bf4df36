"""The HTTP client behind the CLI's client verbs: auth, clear errors, progress bars."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import httpx
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

DEFAULT_URL = "http://127.0.0.1:8000"


class ClientError(Exception):
    """An answer the person at the terminal should read; the CLI prints it and exits 1."""


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}", markup=False),  # file names are not markup
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        transient=True,
    )


class _ProgressReader:
    """A file wrapper that advances a progress bar as httpx reads it for the upload."""

    def __init__(self, handle: BinaryIO, progress: Progress, task: Any) -> None:
        self._handle = handle
        self._progress = progress
        self._task = task

    def read(self, size: int = -1) -> bytes:
        chunk = self._handle.read(size)
        self._progress.advance(self._task, len(chunk))
        return chunk


class Client:
    def __init__(self, url: str, token: str | None, *, timeout: float = 300.0) -> None:
        headers = {"User-Agent": "aihub-cli"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.is_success:
            return response
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text or response.reason_phrase
        raise ClientError(f"{detail} (HTTP {response.status_code})")

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.ConnectError as exc:
            raise ClientError(
                f"Cannot reach the hub at {self.url}: is it running? "
                "Set --url or AIHUB_URL to its address."
            ) from exc
        except httpx.TimeoutException as exc:
            raise ClientError(f"The hub at {self.url} did not answer in time.") from exc
        self._check(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def upload(
        self, path: str, file: Path, *, data: dict[str, str] | None = None,
        params: dict[str, Any] | None = None, show_progress: bool = True,
    ) -> Any:
        if not file.is_file():
            raise ClientError(f"{file} is not a file.")
        size = file.stat().st_size
        with file.open("rb") as handle, _progress() as progress:
            task = progress.add_task(f"Uploading {file.name}", total=size,
                                     visible=show_progress)
            reader = _ProgressReader(handle, progress, task)
            files = {"file": (file.name, reader, "application/octet-stream")}
            return self.request("POST", path, files=files, data=data or {}, params=params)

    def download(self, path: str, dest: Path, *, expected_sha256: str | None = None,
                 show_progress: bool = True) -> Path:
        digest = hashlib.sha256()
        tmp = dest.with_name(dest.name + ".part")
        try:
            with self._http.stream("GET", path) as response:
                if not response.is_success:
                    response.read()
                    self._check(response)
                total = int(response.headers.get("content-length", 0)) or None
                with tmp.open("wb") as out, _progress() as progress:
                    task = progress.add_task(f"Downloading {dest.name}", total=total,
                                             visible=show_progress)
                    for chunk in _chunks(response):
                        digest.update(chunk)
                        out.write(chunk)
                        progress.advance(task, len(chunk))
        except httpx.ConnectError as exc:
            raise ClientError(f"Cannot reach the hub at {self.url}.") from exc
        if expected_sha256 and digest.hexdigest() != expected_sha256:
            tmp.unlink(missing_ok=True)
            raise ClientError(f"{dest.name}: the download is corrupt (sha256 differs); retry.")
        tmp.replace(dest)
        return dest


def _chunks(response: httpx.Response) -> Iterator[bytes]:
    yield from response.iter_bytes(chunk_size=1024 * 1024)
