"""The tus endpoint under a real uvicorn: dropped connections, two writers at once, and
browser sessions (cookie plus the page's CSRF token)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from upload_helpers import (
    TUS,
    CutProxy,
    checksum,
    metadata,
    patch_headers,
    settled_offset,
)

from aihub.datasets.uploads import staging_dir
from aihub.hub import Hub
from factories import Person
from webclient import csrf_token, sign_in, web_client

BASE = "/api/v1/uploads/"


def _create(url: str, who: Person, length: int) -> str:
    response = httpx.post(url + BASE, headers={
        **who.headers, **TUS, "Upload-Length": str(length),
        "Upload-Metadata": metadata(filename="측정값.bin"),
    })
    assert response.status_code == 201, response.text
    return response.headers["location"]


@pytest.mark.parametrize("with_checksum", [False, True])
def test_a_dropped_patch_keeps_what_arrived_unless_a_checksum_was_asked(
    live_url: str, proxy: CutProxy, hub: Hub, owner: Person, with_checksum: bool,
) -> None:
    data = bytes(range(256)) * 8192  # 2 MiB
    location = _create(live_url, owner, len(data))
    proxy.cut_next(b"PATCH ", after=900_000)
    extra = {"Upload-Checksum": checksum("sha256", data)} if with_checksum else {}
    with pytest.raises(httpx.TransportError):
        httpx.patch(proxy.url + location, content=data,
                    headers=patch_headers(owner.headers, 0, **extra))
    assert proxy.dropped == 1
    offset = settled_offset(live_url, owner.headers, location)
    stored = (staging_dir(hub.settings) / f"{location.rsplit('/', 1)[1]}.bin").read_bytes()
    if with_checksum:
        assert offset == 0 and stored == b""
    else:
        assert 0 < offset < 900_000
        assert stored == data[:offset]
    rest = httpx.patch(live_url + location, content=data[offset:],
                       headers=patch_headers(owner.headers, offset))
    assert rest.status_code == 204
    status = httpx.get(live_url + location, headers=owner.headers).json()
    assert status["sha256"] == hashlib.sha256(data).hexdigest()


def test_two_writers_at_once_one_waits_its_turn(live_url: str, hub: Hub,
                                                owner: Person) -> None:
    length = 3 * 1024 * 1024
    location = _create(live_url, owner, length)
    release = threading.Event()
    answers: list[int] = []

    def slow_body() -> Iterator[bytes]:
        yield b"a" * (1024 * 1024 + 1)  # past one write: on disk while the lock is held
        release.wait(10)
        yield b"a" * (length - 1024 * 1024 - 1)

    def first() -> None:
        answers.append(httpx.patch(
            live_url + location, content=slow_body(),
            headers=patch_headers(owner.headers, 0, **{"Content-Length": str(length)}),
            timeout=30).status_code)

    writer = threading.Thread(target=first)
    writer.start()
    bin_path = staging_dir(hub.settings) / f"{location.rsplit('/', 1)[1]}.bin"
    deadline = time.monotonic() + 10
    while bin_path.stat().st_size == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    second = httpx.patch(live_url + location, content=b"b",
                         headers=patch_headers(owner.headers, 0))
    release.set()
    writer.join(30)
    assert second.status_code == 423
    assert answers == [204]
    assert bin_path.exists() is False  # complete: adopted into the store
    assert hub.storage.path(hashlib.sha256(b"a" * length).hexdigest()).stat().st_size == length


def test_a_browser_session_needs_the_pages_csrf_token(hub: Hub, owner: Person,
                                                      tmp_path: Path) -> None:
    with web_client(hub) as browser:
        sign_in(browser, hub, owner)
        token = csrf_token(browser)
        headers = {**TUS, "Upload-Length": "3", "Upload-Metadata": metadata(filename="a.txt")}
        refused = browser.post(BASE, headers=headers)
        assert refused.status_code == 403
        assert "Reload the page" in refused.json()["detail"]
        assert list(staging_dir(hub.settings).glob("*.info")) == []
        created = browser.post(BASE, headers={**headers, "X-CSRF-Token": token})
        assert created.status_code == 201, created.text
        location = created.headers["location"]
        sent = browser.patch(location, content=b"abc", headers={
            **patch_headers({}, 0), "X-CSRF-Token": token})
        assert sent.status_code == 204
        assert browser.get(location, headers={"X-CSRF-Token": token}).json()["complete"]
        # Without the session cookie the request is a visitor's.
        browser.cookies.clear()
        assert browser.get(location).status_code == 401


def test_a_long_patch_makes_its_bytes_durable_as_it_goes(
    live_url: str, owner: Person, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aihub.datasets import uploads

    # A checkpoint every MiB instead of every 64: the same code path, with small data.
    monkeypatch.setattr(uploads, "CHECKPOINT_BYTES", uploads.WRITE_BYTES)
    length = 5 * uploads.WRITE_BYTES
    location = _create(live_url, owner, length)
    release = threading.Event()
    answers: list[int] = []

    def slow_body() -> Iterator[bytes]:
        yield b"d" * (3 * uploads.WRITE_BYTES)  # blocks fill in network-sized pieces
        release.wait(10)
        yield b"d" * (length - 3 * uploads.WRITE_BYTES)

    def send() -> None:
        answers.append(httpx.patch(
            live_url + location, content=slow_body(), timeout=30,
            headers=patch_headers(owner.headers, 0, **{"Content-Length": str(length)})).status_code)

    writer = threading.Thread(target=send)
    writer.start()
    try:
        deadline, offset = time.monotonic() + 10, 0
        while offset == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
            offset = int(httpx.head(live_url + location, headers={**owner.headers, **TUS})
                         .headers["upload-offset"])
        # Recorded while the request still runs: a server killed now resumes from here.
        assert uploads.WRITE_BYTES <= offset < 3 * uploads.WRITE_BYTES
    finally:
        release.set()
        writer.join(30)
    assert answers == [204]
    status = httpx.get(live_url + location, headers=owner.headers).json()
    assert status["sha256"] == hashlib.sha256(b"d" * length).hexdigest()
