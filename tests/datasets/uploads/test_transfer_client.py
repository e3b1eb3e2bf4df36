"""The CLI's transfer client against the hub: uploads that survive a dropped connection, a
second run that resumes, Retry-After, and downloads resumed with Range and checked by
sha256."""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from rich.console import Console
from starlette.types import Receive, Scope, Send
from upload_helpers import TUS, CutProxy, metadata, patch_headers, with_download_route

from aihub.app import create_app
from aihub.cli.client import ClientError
from aihub.cli.transfer import (
    ResumeStore,
    Retry,
    download_verified,
    fingerprint,
    http_client,
    transfer_progress,
    upload_resumable,
)
from aihub.hub import Hub
from factories import Person

CHUNK = 512 * 1024


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "측정 자료.bin"
    path.write_bytes(os.urandom(4 * CHUNK + 1000))
    return path


@pytest.fixture
def store(tmp_path: Path) -> ResumeStore:
    return ResumeStore(tmp_path / "cache" / "uploads.json")


class Waits:
    """Retry's sleep, recorded; really sleeping a little so the server can catch up."""

    def __init__(self, real: bool = True) -> None:
        self.asked: list[float] = []
        self.real = real

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        if self.real:
            time.sleep(min(seconds, 0.05))

    def retry(self, tries: int = 8) -> Retry:
        return Retry(tries=tries, base=1.0, sleep=self)


class Sent:
    """The requests a client sent: method, path and the tus/range headers."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str]] = []

    def __call__(self, request: httpx.Request) -> None:
        header = request.headers.get("upload-offset") or request.headers.get("range") or ""
        self.requests.append((request.method, request.url.path, header))

    def of(self, method: str) -> list[str]:
        return [header for m, _, header in self.requests if m == method]


@pytest.fixture
def sent() -> Sent:
    return Sent()


def _client(url: str, who: Person | None, sent: Sent) -> httpx.Client:
    client = http_client(url, who.token if who else None)
    client.event_hooks["request"] = [sent]
    return client


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_upload_with_a_progress_bar(live_url: str, hub: Hub, owner: Person, source: Path,
                                       store: ResumeStore, sent: Sent) -> None:
    progress = transfer_progress(Console(file=io.StringIO()))
    with _client(live_url, owner, sent) as client, progress:
        result = upload_resumable(client, "", source, {"dataset": "jeju"}, progress,
                                  chunk_size=CHUNK, store=store)
    assert result.sha256 == _sha256(source) and result.size == source.stat().st_size
    assert progress.tasks[0].completed == result.size
    assert sent.of("PATCH") == [str(n * CHUNK) for n in range(5)]
    assert hub.storage.path(result.sha256).read_bytes() == source.read_bytes()
    assert json.loads(store.path.read_text()) == {}  # finished: nothing left to resume


def test_a_dropped_connection_is_retried_from_the_hubs_offset(
    proxy: CutProxy, hub: Hub, owner: Person, source: Path, store: ResumeStore, sent: Sent,
) -> None:
    proxy.cut_next(b"PATCH ", after=CHUNK // 2, skip=1)
    waits = Waits()
    with _client(proxy.url, owner, sent) as client:
        result = upload_resumable(client, "", source, chunk_size=CHUNK, store=store,
                                  retry=waits.retry())
    assert proxy.dropped == 1
    assert waits.asked[0] == 1.0  # the first back-off step
    assert result.sha256 == _sha256(source)
    patches = sent.of("PATCH")
    assert patches[:3] == ["0", str(CHUNK), str(CHUNK)]  # the dropped chunk, sent again
    assert "HEAD" in [m for m, _, _ in sent.requests]


def test_a_second_run_resumes_where_the_first_stopped(
    proxy: CutProxy, owner: Person, source: Path, store: ResumeStore,
    sent: Sent,
) -> None:
    proxy.cut_next(b"PATCH ", after=CHUNK // 2, skip=2)
    with _client(proxy.url, owner, sent) as client, pytest.raises(
            ClientError, match="Run the same command again"):
        upload_resumable(client, "", source, chunk_size=CHUNK, store=store,
                         retry=Waits().retry(tries=1))
    assert len(json.loads(store.path.read_text())) == 1  # remembered for the next run
    second = Sent()
    with _client(proxy.url, owner, second) as client:  # the same hub address: the same key
        result = upload_resumable(client, "", source, chunk_size=CHUNK, store=store,
                                  retry=Waits().retry())
    assert [m for m, _, _ in second.requests][:1] == ["HEAD"]
    assert "POST" not in [m for m, _, _ in second.requests]
    assert second.of("PATCH")[0] == str(2 * CHUNK)
    assert result.sha256 == _sha256(source)


def _failing_once(app: FastAPI, method: str, status: int, retry_after: str) -> object:
    """``app`` answering the first ``method`` request with ``status`` and Retry-After."""
    failed: list[bool] = []

    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == method and not failed:
            failed.append(True)
            busy = JSONResponse({"detail": "The hub is busy."}, status_code=status,
                                headers={"Retry-After": retry_after})
            await busy(scope, receive, send)
            return
        await app(scope, receive, send)

    return wrapper


@pytest.mark.parametrize("status", [503, 429])
def test_busy_answers_are_retried_after_the_time_the_hub_asks(
    hub: Hub, owner: Person, source: Path, store: ResumeStore, status: int,
) -> None:
    app = _failing_once(create_app(hub=hub), "PATCH", status, "7")
    waits = Waits(real=False)
    with TestClient(app, headers=owner.headers) as client:  # type: ignore[arg-type]
        result = upload_resumable(client, "", source, chunk_size=CHUNK, store=store,
                                  retry=waits.retry())
    assert waits.asked == [7.0]
    assert result.sha256 == _sha256(source)


def test_a_forgotten_upload_starts_afresh(live_url: str, owner: Person, source: Path,
                                          store: ResumeStore, sent: Sent) -> None:
    with _client(live_url, owner, sent) as client:
        key = fingerprint(source, str(client.base_url.join("/api/v1/uploads/")))
        store.put(key, f"{live_url}/api/v1/uploads/{'A' * 32}")  # expired on the hub
        result = upload_resumable(client, "", source, chunk_size=CHUNK, store=store)
    assert [m for m, _, _ in sent.requests][:2] == ["HEAD", "POST"]
    assert result.sha256 == _sha256(source)
    assert json.loads(store.path.read_text()) == {}


def test_a_resumed_upload_whose_start_differs_starts_afresh_on_the_next_run(
    live_url: str, owner: Person, source: Path, store: ResumeStore, sent: Sent,
) -> None:
    # The hub holds the first bytes of another content under this file's fingerprint: the
    # file changed past its first MiB between two runs and kept its size and date.
    with _client(live_url, owner, sent) as client:
        created = client.post("/api/v1/uploads/", headers={
            **TUS, "Upload-Length": str(source.stat().st_size),
            "Upload-Metadata": metadata(filename=source.name)})
        stale = b"\xff" * (3 * CHUNK)
        client.patch(created.headers["location"], content=stale,
                     headers=patch_headers({}, 0)).raise_for_status()
        key = fingerprint(source, str(client.base_url.join("/api/v1/uploads/")))
        store.put(key, str(client.base_url.join(created.headers["location"])))
        with pytest.raises(ClientError, match="did it change during the upload"):
            upload_resumable(client, "", source, chunk_size=CHUNK, store=store)
        # Not resumed again (it would fail the same way for ever): a fresh upload.
        result = upload_resumable(client, "", source, chunk_size=CHUNK, store=store)
    assert result.sha256 == _sha256(source)
    assert json.loads(store.path.read_text()) == {}


def test_the_hubs_reason_is_said_even_when_tidying_up_fails(
    source: Path, store: ResumeStore,
) -> None:
    # A hub that failed the upload for good, then cannot be reached to delete it.
    def hub(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(201, headers={"Location": "/api/v1/uploads/" + "A" * 32})
        if request.method == "PATCH":
            return httpx.Response(204, headers={"Upload-Offset": str(source.stat().st_size)})
        if request.method == "GET":
            return httpx.Response(200, json={"id": "A" * 32, "complete": False,
                                             "error": "The file's sha256 differs."})
        raise httpx.ConnectError("the hub went away", request=request)

    with httpx.Client(base_url="http://hub.test", transport=httpx.MockTransport(hub)) as client, \
            pytest.raises(ClientError, match="sha256 differs"):
        upload_resumable(client, "", source, store=store)
    assert json.loads(store.path.read_text()) == {}


def test_a_refused_creation_leaves_nothing_to_resume(live_url: str, owner: Person,
                                                     source: Path, store: ResumeStore,
                                                     sent: Sent) -> None:
    with _client(live_url, owner, sent) as client, pytest.raises(
            ClientError, match="plain file name"):
        upload_resumable(client, "", source, {"filename": "../bad"}, store=store)
    assert not store.path.exists() or json.loads(store.path.read_text()) == {}


def test_a_refusal_is_reported_with_the_hubs_words(live_url: str, source: Path,
                                                   store: ResumeStore, sent: Sent) -> None:
    with _client(live_url, None, sent) as client, pytest.raises(
            ClientError, match="aihub token create"):
        upload_resumable(client, "", source, store=store)
    assert [m for m, _, _ in sent.requests] == ["POST"]  # a 401 is not retried


@pytest.fixture
def served(hub: Hub, source: Path) -> Iterator[tuple[str, str]]:
    """A live hub serving ``source`` as a blob; its address and sha256."""
    from upload_helpers import live_server

    blob = hub.storage.put_path(source)
    app = with_download_route(create_app(hub=hub), hub.storage, source.name)
    with live_server(app) as url:
        yield url, blob.sha256


def test_a_download_survives_a_dropped_connection(served: tuple[str, str], source: Path,
                                                  tmp_path: Path, sent: Sent) -> None:
    url, sha256 = served
    host, port = url.removeprefix("http://").split(":")
    proxy = CutProxy((host, int(port)))
    try:
        proxy.cut_next(b"HTTP/1.1 200", after=CHUNK * 2, upstream=False)
        dest = tmp_path / "out" / "자료.bin"
        dest.parent.mkdir()
        waits = Waits()
        with _client(proxy.url, None, sent) as client:
            download_verified(client, f"/api/v1/test-files/{sha256}", dest, sha256,
                              retry=waits.retry())
    finally:
        proxy.close()
    assert proxy.dropped == 1
    assert dest.read_bytes() == source.read_bytes()
    assert not dest.with_name(dest.name + ".part").exists()
    ranges = sent.of("GET")
    assert ranges[0] == "" and ranges[1].startswith("bytes=") and ranges[1] != "bytes=0-"


def test_a_part_left_by_an_earlier_run_is_resumed(served: tuple[str, str], source: Path,
                                                  tmp_path: Path, sent: Sent) -> None:
    url, sha256 = served
    dest = tmp_path / "resumed.bin"
    dest.with_name("resumed.bin.part").write_bytes(source.read_bytes()[:1000])
    with _client(url, None, sent) as client:
        download_verified(client, f"/api/v1/test-files/{sha256}", dest, sha256)
    assert sent.of("GET") == ["bytes=1000-"]
    assert dest.read_bytes() == source.read_bytes()


def test_a_corrupt_download_is_deleted_and_said(served: tuple[str, str], source: Path,
                                                tmp_path: Path, sent: Sent) -> None:
    url, sha256 = served
    dest = tmp_path / "corrupt.bin"
    part = dest.with_name("corrupt.bin.part")
    part.write_bytes(b"\0" * 1000)  # a part that is not the start of this file
    with _client(url, None, sent) as client:
        with pytest.raises(ClientError, match="was deleted"):
            download_verified(client, f"/api/v1/test-files/{sha256}", dest, sha256)
        assert not part.exists() and not dest.exists()
        download_verified(client, f"/api/v1/test-files/{sha256}", dest, sha256)
    assert dest.read_bytes() == source.read_bytes()


def test_a_missing_file_is_not_retried(served: tuple[str, str], tmp_path: Path,
                                       sent: Sent) -> None:
    url, _ = served
    with _client(url, None, sent) as client, pytest.raises(ClientError, match="HTTP 404"):
        download_verified(client, f"/api/v1/test-files/{'0' * 64}", tmp_path / "x",
                          "0" * 64, retry=Waits().retry())
    assert len(sent.requests) == 1
