"""The pulling runner: an organizer's machine taking jobs over HTTPS (``aihub worker --remote``).

It holds a runner token and nothing else: no database, no broker. It claims a job, downloads
the files the job names into a cache keyed by sha256 (checking each), runs ``execute`` with
a ``RunKit`` reading from that cache, heartbeats while it runs (a 409 stops the run and its
result is dropped), completes, and loops. A hub that is briefly unreachable is waited for
with growing pauses; a lease lost meanwhile only costs the run, which the hub hands to
another runner.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from aihub.evaluation.execute import INTERNAL_FAILURE, KindRunner, RunKit, execute, failed
from aihub.evaluation.plans import BlobRef, ErrorKind, EvaluationResult, EvaluationTask, TaskKind
from aihub.evaluation.scoring import TruthCache

log = logging.getLogger(__name__)

_CHUNK = 1024 * 1024
# Answers that mean "the hub (or its proxy) is not there right now": wait and retry.
_TRANSIENT = frozenset({429, 500, 502, 503, 504})


class HubRefusedError(RuntimeError):
    """The hub answered with an error that retrying will not fix (bad token, bad request)."""


class ChecksumError(RuntimeError):
    pass


@dataclass(frozen=True)
class Claimed:
    task: EvaluationTask
    attempt: int
    heartbeat_seconds: float
    # sha256 -> download URL
    urls: dict[str, str]


class Backoff:
    """Pauses of 0.5 s doubling up to ``most`` seconds, ended early by ``stop``."""

    def __init__(self, stop: threading.Event, *, most: float = 30.0) -> None:
        self.stop = stop
        self.most = most
        self.pause = 0.5

    def wait(self) -> bool:
        """Wait the next pause; False if told to stop meanwhile."""
        stopped = self.stop.wait(self.pause)
        self.pause = min(self.pause * 2, self.most)
        return not stopped


class HubClient:
    """The runner API over httpx, retrying what a brief outage explains."""

    def __init__(self, url: str, token: str, *, client: httpx.Client | None = None,
                 wait_seconds: float = 25.0) -> None:
        self.wait_seconds = wait_seconds
        headers = {"Authorization": f"Bearer {token}"}
        if client is None:
            # A claim is a long poll: reads may wait the whole of it.
            client = httpx.Client(base_url=url.rstrip("/"),
                                  timeout=httpx.Timeout(30.0, read=wait_seconds + 30.0))
        client.headers.update(headers)
        self.http = client

    def close(self) -> None:
        self.http.close()

    def _send(self, stop: threading.Event, method: str, path: str, *,
              give_up_after: int | None = None, **kwargs: Any) -> httpx.Response | None:
        """The answer, retried through outages; None if ``stop`` was set or the tries
        (``give_up_after``) ran out. 4xx answers other than 429 are returned as they are."""
        backoff = Backoff(stop)
        tries = 0
        while not stop.is_set():
            tries += 1
            try:
                answer = self.http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                log.warning("hub unreachable (%s %s: %s); retrying", method, path, exc)
            else:
                if answer.status_code not in _TRANSIENT:
                    return answer
                log.warning("hub answered %s to %s %s; retrying", answer.status_code, method,
                            path)
            if give_up_after is not None and tries >= give_up_after:
                return None
            if not backoff.wait():
                return None
        return None

    def claim(self, stop: threading.Event, queues: tuple[str, ...]) -> Claimed | None:
        answer = self._send(
            stop, "POST", "/api/v1/runner/claim",
            json={"queues": list(queues), "wait_seconds": self.wait_seconds},
        )
        if answer is None or answer.status_code == 204:
            return None
        if answer.status_code != 200:
            raise HubRefusedError(f"claim refused ({answer.status_code}): {_detail(answer)}")
        data = answer.json()
        return Claimed(
            task=EvaluationTask.model_validate(data["task"]),
            attempt=int(data["attempt"]),
            heartbeat_seconds=float(data["heartbeat_seconds"]),
            urls={link["sha256"]: link["url"] for link in data["blobs"]},
        )

    def heartbeat(self, stop: threading.Event, job_id: int, attempt: int) -> bool | None:
        """True if the lease holds, False if it is lost (409), None if the hub did not
        answer (the lease has slack for a missed beat or two)."""
        answer = self._send(stop, "POST", f"/api/v1/runner/jobs/{job_id}/heartbeat",
                            json={"attempt": attempt}, give_up_after=1)
        if answer is None:
            return None
        if answer.status_code in (404, 409):
            return False
        return answer.is_success

    def download(self, stop: threading.Event, url: str, destination: Path) -> None:
        backoff = Backoff(stop)
        while True:
            try:
                with self.http.stream("GET", url) as answer:
                    if answer.status_code != 200:
                        answer.read()
                        raise HubRefusedError(f"download refused ({answer.status_code}): "
                                         f"{_detail(answer)}")
                    with destination.open("wb") as out:
                        for chunk in answer.iter_bytes(_CHUNK):
                            out.write(chunk)
                return
            except httpx.TransportError as exc:
                log.warning("download of %s interrupted (%s); retrying", url, exc)
                if not backoff.wait():
                    raise
            # Any other failure (a refusal) ends the download.

    def complete(self, stop: threading.Event, job_id: int, attempt: int,
                 result: EvaluationResult, detailed: Path | None) -> bool | None:
        """True if recorded, False if fenced out (409), None if the hub never answered."""
        def send() -> httpx.Response | None:
            data = {"attempt": str(attempt), "result": result.model_dump_json()}
            path = f"/api/v1/runner/jobs/{job_id}/complete"
            if detailed is None:
                return self._send(stop, "POST", path, data=data, give_up_after=1)
            with detailed.open("rb") as handle:
                return self._send(stop, "POST", path, data=data, give_up_after=1,
                                  files={"detailed_results": (detailed.name, handle)})

        backoff = Backoff(stop)
        while True:
            answer = send()  # reopened on each try: a retried upload starts from the top
            if answer is not None:
                break
            if not backoff.wait():
                return None
        if answer.status_code in (404, 409):
            return False
        if not answer.is_success:
            raise HubRefusedError(f"complete refused ({answer.status_code}): {_detail(answer)}")
        return True


def _detail(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("detail", answer.text))
    except ValueError:
        return answer.text[:500]


class BlobCache:
    """Downloaded files by sha256: the runner's ``FileSource``. A file enters the cache
    only once its content matches its name, so a cached file is always right."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / "blobs"
        self.tmp = root / "tmp"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def local_path(self, ref: BlobRef) -> Path:
        path = self.blobs / ref.sha256
        if not path.is_file():
            raise FileNotFoundError(f"{ref.name} ({ref.sha256}) was not downloaded")
        return path

    def fetch(self, ref: BlobRef, download: Callable[[Path], None]) -> Path:
        """The cached file of ``ref``, downloading it (via ``download(path)``) if needed;
        ChecksumError when what arrived is not what the hub named."""
        path = self.blobs / ref.sha256
        if path.is_file():
            return path
        handle, name = tempfile.mkstemp(dir=self.tmp)
        os.close(handle)
        partial = Path(name)
        try:
            download(partial)
            actual = _sha256_of(partial)
            if actual != ref.sha256:
                raise ChecksumError(
                    f"the file {ref.name} downloaded from the hub has sha256 {actual}, not "
                    f"{ref.sha256} as the job says: it was damaged or altered on the way"
                )
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        return path

    def keep(self, path: Path, name: str) -> BlobRef:
        """Keep a file a run produced (detailed results) until it is uploaded."""
        digest = _sha256_of(path)
        kept = self.root / "outbox" / digest
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, kept)
        return BlobRef(sha256=digest, size=kept.stat().st_size, name=name)

    def kept(self, ref: BlobRef) -> Path | None:
        path = self.root / "outbox" / ref.sha256
        return path if path.is_file() else None


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class RemoteWorker:
    """Claims, downloads, runs and completes jobs, one at a time, until told to stop."""

    def __init__(
        self,
        hub: HubClient,
        cache_dir: Path,
        *,
        queues: tuple[str, ...] = (),
        max_bytes: int,
        runners: dict[TaskKind, KindRunner] | None = None,
        truth_cache_size: int = 8,
    ) -> None:
        self.hub = hub
        self.queues = queues
        self.cache = BlobCache(cache_dir)
        self.kit = RunKit(
            files=self.cache,
            truths=TruthCache(cache_dir / "truth", max_items=truth_cache_size),
            max_bytes=max_bytes,
            keep=self.cache.keep,
            runners=dict(runners or {}),
        )

    def run_once(self, stop: threading.Event) -> bool:
        """Claim and run one job; False if none came (or ``stop`` was set)."""
        claimed = self.hub.claim(stop, self.queues)
        if claimed is None:
            return False
        task = claimed.task
        lost = threading.Event()
        done = threading.Event()
        beats = threading.Thread(target=self._heartbeats, args=(claimed, lost, done, stop),
                                 daemon=True)
        beats.start()
        try:
            result = self._fetch_all(claimed, lost) or execute(task, self.kit, lost)
        finally:
            done.set()
            beats.join(timeout=5)
        if lost.is_set():
            log.warning("job %s: lease lost or job cancelled; result dropped", task.job_id)
            return True
        detailed = self.cache.kept(result.detailed_results) if result.detailed_results else None
        written = self.hub.complete(stop, task.job_id, claimed.attempt, result, detailed)
        if written is False:
            log.warning("job %s: the hub refused the result (fenced out)", task.job_id)
        elif written:
            log.info("job %s: %s", task.job_id, result.status)
        return True

    def _fetch_all(self, claimed: Claimed, lost: threading.Event) -> EvaluationResult | None:
        """Download every file of the task; a failed result if one cannot be had."""
        for ref in claimed.task.blobs():
            url = claimed.urls.get(ref.sha256)
            if url is None:
                return failed(INTERNAL_FAILURE, ErrorKind.INFRASTRUCTURE,
                              f"the hub gave no link for {ref.name} ({ref.sha256})")
            try:
                self.cache.fetch(ref, functools.partial(self.hub.download, lost, url))
            except (ChecksumError, HubRefusedError, httpx.TransportError) as exc:
                return failed(INTERNAL_FAILURE, ErrorKind.INFRASTRUCTURE,
                              f"runner could not get {ref.name}: {exc}")
        return None

    def _heartbeats(self, claimed: Claimed, lost: threading.Event, done: threading.Event,
                    stop: threading.Event) -> None:
        while not done.wait(claimed.heartbeat_seconds):
            if self.hub.heartbeat(stop, claimed.task.job_id, claimed.attempt) is False:
                lost.set()
                return

    def run_forever(self, stop: threading.Event) -> None:
        backoff = Backoff(stop)
        while not stop.is_set():
            try:
                self.run_once(stop)
            except HubRefusedError as exc:
                # A revoked token or a bad request: say so, and try again later rather
                # than hammer the hub.
                log.error("%s", exc)
                if not backoff.wait():
                    return
            else:
                backoff.pause = 0.5
