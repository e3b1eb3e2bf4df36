"""Helpers of the upload tests: tus requests, a live server, and a proxy that drops a
connection mid-way (the network failure resumable transfers exist for)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import uvicorn
from fastapi import FastAPI, Request, Response

from aihub.datasets.downloads import blob_response
from aihub.storage import Storage

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def checksum(algorithm: str, data: bytes) -> str:
    return f"{algorithm} {base64.b64encode(hashlib.new(algorithm, data).digest()).decode()}"


def patch_headers(auth: dict[str, str], offset: int, **extra: str) -> dict[str, str]:
    return {**auth, **TUS, "Upload-Offset": str(offset), "Content-Type": OCTETS, **extra}


def settled_offset(url: str, headers: dict[str, str], location: str) -> int:
    """An upload's offset once the server has noticed a dropped connection and let the
    upload go (until then a writer holds it and answers 423)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        probe = httpx.patch(url + location, content=b"", headers=patch_headers(
            headers, 10**12))  # takes the lock if free, then answers 409
        if probe.status_code != 423:
            break
        time.sleep(0.05)
    head = httpx.head(url + location, headers={**headers, **TUS})
    return int(head.headers["upload-offset"])


@contextlib.contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """``app`` served by a real uvicorn on a free loopback port, in a thread."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@dataclass
class _Cut:
    marker: bytes  # the bytes that start counting (b"PATCH ", b"HTTP/1.1 206")
    after: int  # bytes past the marker after which the connection is dropped
    upstream: bool  # True: client to server bytes; False: server to client
    skip: int  # markers to let pass before this one


@dataclass
class CutProxy:
    """A TCP proxy in front of a live server that drops one connection when told to."""

    target: tuple[str, int]
    cuts: list[_Cut] = field(default_factory=list)
    dropped: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _sockets: list[socket.socket] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut_next(self, marker: bytes, after: int, *, upstream: bool = True,
                 skip: int = 0) -> None:
        """Drop the connection ``after`` bytes past the next ``marker`` but ``skip``."""
        with self._lock:
            self.cuts.append(_Cut(marker, after, upstream, skip))

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, server]
            pair = (client, server)
            threading.Thread(target=self._pump, args=(client, server, pair, True),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, pair, False),
                             daemon=True).start()

    def _armed(self, data: bytes, upstream: bool) -> _Cut | None:
        with self._lock:
            for cut in self.cuts:
                if cut.upstream == upstream and cut.marker in data:
                    if cut.skip:
                        cut.skip -= 1
                        return None
                    self.cuts.remove(cut)
                    return cut
        return None

    def _pump(self, source: socket.socket, sink: socket.socket,
              pair: tuple[socket.socket, socket.socket], upstream: bool) -> None:
        cut: _Cut | None = None
        counted = 0
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            if cut is None:
                cut = self._armed(data, upstream)
                if cut is not None:  # bytes before the marker pass; the count starts there
                    start = data.index(cut.marker)
                    with contextlib.suppress(OSError):
                        sink.sendall(data[:start])
                    data = data[start:]
            if cut is not None:
                room = cut.after - counted
                if len(data) >= room:
                    with contextlib.suppress(OSError):
                        sink.sendall(data[:room])
                    self.dropped += 1
                    break
                counted += len(data)
            try:
                sink.sendall(data)
            except OSError:
                break
        for sock in pair:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self._listener.close()
        self._thread.join(timeout=5)
        with self._lock:
            for sock in self._sockets:
                sock.close()


def with_download_route(app: FastAPI, storage: Storage, filename: str) -> FastAPI:
    """``app`` plus ``/api/v1/test-files/{sha256}``, serving blobs as the dataset routes will."""

    def download(sha256: str, request: Request) -> Response:
        return blob_response(request, storage, sha256, filename=filename,
                             media_type="text/csv")

    app.add_api_route("/api/v1/test-files/{sha256}", download, methods=["GET", "HEAD"])
    return app
