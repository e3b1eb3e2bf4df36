"""Upload and download of one large file through HTTP on loopback, against a real uvicorn
process serving the hub: the upload over tus (the CLI's transfer client: chunked PATCHes
with a sha256 per chunk), the download by GET (streamed, the client checks the sha256).
Prints MB/s each way and the server process's memory (VmRSS) before, at its peak during
each transfer, and after. Goal of issue 5: the server's memory grows by less than 100 MB
whatever the file's size.

    .venv/bin/python bench/bench_transfer.py [--size-mb 2048] [--chunk-mb 64]
        [--dir /var/tmp]

Every file it writes (source, hub data, download) goes in a temporary folder under --dir,
deleted at the end. Needs about three times the file's size free there.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from _hub import free_port
from fastapi import Request, Response

from aihub import migrate
from aihub.accounts import services as accounts
from aihub.cli.transfer import ResumeStore, download_verified, http_client, upload_resumable
from aihub.hub import Hub
from aihub.settings import Settings

MB = 1024 * 1024
FILES_PATH = "/api/v1/bench-files"


def serve(port: int) -> None:
    """The server process: the hub's app plus a download route for blobs (the dataset
    routes will serve them the same way, through ``blob_response``)."""
    import uvicorn

    from aihub.app import create_app
    from aihub.datasets.downloads import blob_response

    settings = Settings()
    app = create_app(settings)
    storage = app.state.hub.storage

    def download(sha256: str, request: Request) -> Response:
        return blob_response(request, storage, sha256, filename="벤치마크.bin")

    app.add_api_route(FILES_PATH + "/{sha256}", download, methods=["GET", "HEAD"])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


@dataclass
class Memory:
    """Samples a process's VmRSS every few milliseconds; the peak of each phase."""

    pid: int
    peak: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def status(self, key: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
        raise KeyError(key)

    def rss(self) -> int:
        return self.status("VmRSS")

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            try:
                self.peak = max(self.peak, self.rss())
            except (KeyError, FileNotFoundError):
                return  # the process has ended

    def watch(self) -> threading.Thread:
        self.peak, self._stop = self.rss(), threading.Event()
        thread = threading.Thread(target=self._sample, daemon=True)
        thread.start()
        return thread

    def stop(self, thread: threading.Thread) -> int:
        self._stop.set()
        thread.join()
        return self.peak


def make_source(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as out:
        left = size
        while left:
            block = os.urandom(min(16 * MB, left))
            digest.update(block)
            out.write(block)
            left -= len(block)
    return digest.hexdigest()


def start_hub(data_dir: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    settings = Settings(data_dir=data_dir, workers_in_process=0)
    hub = Hub(settings, start_workers=False)
    migrate.upgrade(hub.db.engine)
    with hub.db.transaction() as session:
        user = accounts.create_user(session, username="bencher", email="b@example.org",
                                    password="benchmark-pass")
        token = accounts.create_token(session, user)[1]
    hub.close()
    port = free_port()
    env = {**os.environ, "AIHUB_DATA_DIR": str(data_dir), "AIHUB_WORKERS_IN_PROCESS": "0"}
    process = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return process, url, token
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the hub did not start")


def transfer(client: httpx.Client, work: Path, source: Path, sha256: str,
             chunk: int, memory: Memory) -> dict[str, float]:
    store = ResumeStore(work / "resume.json")
    size = source.stat().st_size
    figures: dict[str, float] = {"before": memory.rss()}
    watcher = memory.watch()
    began = time.perf_counter()
    result = upload_resumable(client, "", source, chunk_size=chunk, store=store)
    figures["up_s"] = time.perf_counter() - began
    figures["up_peak"] = memory.stop(watcher)
    assert result.sha256 == sha256, "the hub's sha256 differs"
    figures["after_up"] = memory.rss()
    dest = work / "downloaded.bin"
    watcher = memory.watch()
    began = time.perf_counter()
    download_verified(client, f"{FILES_PATH}/{sha256}", dest, sha256)
    figures["down_s"] = time.perf_counter() - began
    figures["down_peak"] = memory.stop(watcher)
    figures["after_down"] = memory.rss()
    assert dest.stat().st_size == size
    dest.unlink()
    return figures


def report(size: int, chunk: int, figures: dict[str, float], hwm: int) -> None:
    mb = size / MB
    print(f"transfer of {mb:.0f} MiB over loopback, one uvicorn process, tus chunks of "
          f"{chunk // MB} MiB (sha256 per chunk), GET download verified by sha256")
    print(f"  upload    {mb / figures['up_s']:8.1f} MiB/s  ({figures['up_s']:.1f} s)")
    print(f"  download  {mb / figures['down_s']:8.1f} MiB/s  ({figures['down_s']:.1f} s)")
    print("  server VmRSS (MiB):")
    for label, key in [("before", "before"), ("peak during upload", "up_peak"),
                       ("after upload", "after_up"), ("peak during download", "down_peak"),
                       ("after download", "after_down")]:
        print(f"    {label:22s} {figures[key] / MB:8.1f}")
    growth = max(figures["up_peak"], figures["down_peak"]) - figures["before"]
    print(f"  growth at peak         {growth / MB:8.1f}   (goal < 100)")
    print(f"  VmHWM (process life)   {hwm / MB:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=2048)
    parser.add_argument("--chunk-mb", type=int, default=64)
    parser.add_argument("--dir", type=Path, default=Path("/var/tmp"))
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    work = Path(tempfile.mkdtemp(prefix="aihub-bench-transfer-", dir=args.dir))
    process = None
    try:
        source = work / "source.bin"
        sha256 = make_source(source, args.size_mb * MB)
        process, url, token = start_hub(work / "hub")
        memory = Memory(process.pid)
        with http_client(url, token, timeout=600) as client:
            warm = work / "warm.bin"
            warm_sha = make_source(warm, MB)  # first requests import and build things
            transfer(client, work, warm, warm_sha, MB, memory)
            figures = transfer(client, work, source, sha256, args.chunk_mb * MB, memory)
        report(args.size_mb * MB, args.chunk_mb * MB, figures, memory.status("VmHWM"))
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
