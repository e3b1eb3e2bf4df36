"""The pulling runner: an organizer's machine taking jobs over HTTPS (``aihub worker --remote``).

It holds a runner token and nothing else: no database, no broker. It claims a job, downloads
the files the job names into a cache keyed by sha256 (checking each), runs ``execute`` with
a ``RunKit`` reading from that cache, heartbeats while it runs (a 409 stops the run and its
result is dropped), completes, and loops. A hub that is briefly unreachable is waited for
with growing pauses; a lease lost meanwhile only costs the run, which the hub hands to
another runner. A stop (SIGTERM) ends the claiming only: the job taken is run, heartbeated
and completed first. The token is only ever sent to the hub's own address.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import shutil
import tempfile
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from aihub.evaluation.execute import INTERNAL_FAILURE, KindRunner, RunKit, execute, failed
from aihub.evaluation.plans import BlobRef, ErrorKind, EvaluationResult, EvaluationTask, TaskKind
from aihub.evaluation.scoring import TruthCache
from aihub.evaluation.worker import Backoff

__all__ = [
    "Backoff", "BlobCache", "ChecksumError", "Claimed", "HubClient", "HubRefusedError",
    "HubUnavailableError", "RemoteWorker", "UnreadableTaskError",
]

log = logging.getLogger(__name__)

_CHUNK = 1024 * 1024
# Answers that mean "the hub (or its proxy) is not there right now": wait and retry.
_TRANSIENT = frozenset({429, 500, 502, 503, 504})
# Tries of one download through such answers (about a minute of pauses) before the job
# is given back as a failure of ours.
_DOWNLOAD_TRIES = 8
# What is kept of each text of a result the hub refused whole (a proxy's size limit).
_TRIMMED_CHARS = 64 * 1024
# The challenge files kept between jobs (least recently used go first).
DEFAULT_CACHE_BYTES = 20 * 1024**3


class HubRefusedError(RuntimeError):
    """The hub answered with an error that retrying will not fix (bad token, bad request)."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class HubUnavailableError(RuntimeError):
    """The hub did not give a file through every try of a download."""


class ChecksumError(RuntimeError):
    pass


class UnreadableTaskError(RuntimeError):
    """The hub handed out a task this runner cannot read (a newer version of it)."""

    def __init__(self, job_id: int, attempt: int, problem: str) -> None:
        super().__init__(problem)
        self.job_id = job_id
        self.attempt = attempt


@dataclass(frozen=True)
class Claimed:
    task: EvaluationTask
    attempt: int
    heartbeat_seconds: float
    # sha256 -> download link (a path on the hub)
    urls: dict[str, str]


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
        """A job, or None when none came (or ``stop`` was set); UnreadableTaskError when
        the hub's task is of a version this runner does not know."""
        answer = self._send(
            stop, "POST", "/api/v1/runner/claim",
            json={"queues": list(queues), "wait_seconds": self.wait_seconds},
        )
        if answer is None or answer.status_code == 204:
            return None
        if answer.status_code != 200:
            raise HubRefusedError(f"claim refused ({answer.status_code}): {_detail(answer)}",
                                  answer.status_code)
        data = answer.json()
        try:
            task = EvaluationTask.model_validate(data["task"])
        except ValidationError as exc:
            raise UnreadableTaskError(int(data["job_id"]), int(data["attempt"]),
                                      str(exc)[:2000]) from exc
        return Claimed(
            task=task,
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

    def on_this_hub(self, url: str) -> str:
        """``url`` if it leads to this hub (a path, or this hub's own address): the token
        goes nowhere else, whatever a link names. HubRefusedError otherwise."""
        target, base = httpx.URL(url), self.http.base_url
        if target.is_relative_url:
            return url
        if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
            raise HubRefusedError(f"the hub gave a link to another address "
                                  f"({target.scheme}://{target.host}): not sending the token "
                                  "there")
        return url

    def download(self, stop: threading.Event, url: str, destination: Path) -> None:
        """Stream a file into ``destination``, retried through outages (as ``_send``) up
        to ``_DOWNLOAD_TRIES`` times: HubUnavailableError then, HubRefusedError at once
        for an answer that retrying will not change."""
        path = self.on_this_hub(url)
        backoff = Backoff(stop)
        problem = "was not tried"
        for tries in range(1, _DOWNLOAD_TRIES + 1):
            try:
                with self.http.stream("GET", path) as answer:
                    if answer.status_code == 200:
                        with destination.open("wb") as out:
                            for chunk in answer.iter_bytes(_CHUNK):
                                out.write(chunk)
                        return
                    answer.read()
                    if answer.status_code not in _TRANSIENT:
                        raise HubRefusedError(f"download refused ({answer.status_code}): "
                                              f"{_detail(answer)}", answer.status_code)
                    problem = f"answered {answer.status_code}: {_detail(answer)}"
            except httpx.TransportError as exc:
                problem = f"was interrupted ({exc})"
            log.warning("download of %s %s (try %s)", path, problem, tries)
            if tries == _DOWNLOAD_TRIES or not backoff.wait():
                break
        raise HubUnavailableError(f"download of {path} failed: the hub {problem}")

    def complete(self, stop: threading.Event, job_id: int, attempt: int,
                 result: EvaluationResult, detailed: Path | None) -> bool | None:
        """True if recorded, False if fenced out (409), None if the hub never answered;
        HubRefusedError for any other refusal. The result goes as a JSON file part:
        form fields are limited to 1 MiB, and a run's logs may be longer."""
        path = f"/api/v1/runner/jobs/{job_id}/complete"
        body = result.model_dump_json().encode()

        def send() -> httpx.Response | None:
            files: dict[str, Any] = {"result": ("result.json", body, "application/json")}
            if detailed is None:
                return self._send(stop, "POST", path, data={"attempt": str(attempt)},
                                  files=files, give_up_after=1)
            with detailed.open("rb") as handle:
                files["detailed_results"] = (detailed.name, handle)
                return self._send(stop, "POST", path, data={"attempt": str(attempt)},
                                  files=files, give_up_after=1)

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
            raise HubRefusedError(f"complete refused ({answer.status_code}): "
                                  f"{_detail(answer)}", answer.status_code)
        return True


def _detail(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("detail", answer.text))[:500]
    except ValueError:
        return answer.text[:500]


class BlobCache:
    """Downloaded files by sha256: the runner's ``FileSource``. A file enters the cache
    only once its content matches its name, so a cached file is always right. Each use
    marks a file as recent (its mtime), so ``trim`` drops the least recently used."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / "blobs"
        self.tmp = root / "tmp"
        self.outbox = root / "outbox"
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
            os.utime(path)
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

    def forget(self, sha256: str) -> None:
        (self.blobs / sha256).unlink(missing_ok=True)

    def keep(self, path: Path, name: str) -> BlobRef:
        """Keep a file a run produced (detailed results) until it is uploaded."""
        digest = _sha256_of(path)
        kept = self.outbox / digest
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, kept)
        return BlobRef(sha256=digest, size=kept.stat().st_size, name=name)

    def kept(self, ref: BlobRef) -> Path | None:
        path = self.outbox / ref.sha256
        return path if path.is_file() else None

    def unkeep(self, ref: BlobRef) -> None:
        (self.outbox / ref.sha256).unlink(missing_ok=True)

    def trim(self, max_bytes: int) -> list[str]:
        """Drop the least recently used files until the cache holds at most ``max_bytes``;
        the sha256 of those dropped."""
        files = []
        for path in self.blobs.iterdir():
            try:
                info = path.stat()
            except FileNotFoundError:
                continue
            files.append((info.st_mtime_ns, info.st_size, path))
        files.sort()
        total = sum(size for _, size, _ in files)
        dropped = []
        for _, size, path in files:
            if total <= max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
            dropped.append(path.name)
        return dropped


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _trim(text: str) -> str:
    if len(text) <= _TRIMMED_CHARS:
        return text
    return f"[… {len(text) - _TRIMMED_CHARS} characters cut]\n" + text[-_TRIMMED_CHARS:]


def trimmed(result: EvaluationResult) -> EvaluationResult:
    """The result with its texts cut to their last ``_TRIMMED_CHARS`` characters and no
    detailed results: what a hub (or its proxy) that refused the whole may take."""
    return result.model_copy(update={
        "error": _trim(result.error), "host_error": _trim(result.host_error),
        "log": _trim(result.log), "host_log": _trim(result.host_log), "detailed_results": None,
    })


class _Turn(Enum):
    IDLE = "idle"  # no job came
    DONE = "done"  # a job was run and reported (or dropped: its lease was lost)
    TROUBLE = "trouble"  # a job failed on this runner's side: pause before the next


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
        cache_max_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> None:
        self.hub = hub
        self.queues = queues
        self.cache = BlobCache(cache_dir)
        self.cache_max_bytes = cache_max_bytes
        self.kit = RunKit(
            files=self.cache,
            truths=TruthCache(cache_dir / "truth", max_items=truth_cache_size),
            max_bytes=max_bytes,
            keep=self.cache.keep,
            runners=dict(runners or {}),
        )

    def run_once(self, stop: threading.Event) -> bool:
        """Claim and run one job; False if none came (or ``stop`` was set). ``stop`` ends
        the claiming only: a job claimed is run, heartbeated and reported."""
        return self._turn(stop) is not _Turn.IDLE

    def _turn(self, stop: threading.Event) -> _Turn:
        try:
            claimed = self.hub.claim(stop, self.queues)
        except UnreadableTaskError as exc:
            log.error("job %s: this runner cannot read its task: %s", exc.job_id, exc)
            self._report(exc.job_id, exc.attempt, failed(
                INTERNAL_FAILURE, ErrorKind.INFRASTRUCTURE,
                f"the runner cannot read the hub's task: its aihub is older than the hub's "
                f"(upgrade it). {exc}"), threading.Event())
            return _Turn.TROUBLE
        if claimed is None:
            return _Turn.IDLE
        return self._run(claimed)

    def _run(self, claimed: Claimed) -> _Turn:
        task = claimed.task
        # Set by a heartbeat answered 409 (reaped, cancelled): the job is no longer ours.
        lost = threading.Event()
        done = threading.Event()
        beats = threading.Thread(target=self._heartbeats, args=(claimed, lost, done),
                                 daemon=True)
        beats.start()
        try:
            result = self._fetch_all(claimed, lost) or execute(task, self.kit, lost)
        except Exception:  # any failure here is ours; the job must not be left leased
            log.exception("job %s failed on this runner", task.job_id)
            result = failed(INTERNAL_FAILURE, ErrorKind.INFRASTRUCTURE, traceback.format_exc())
        finally:
            done.set()
            beats.join(timeout=5)
        try:
            if lost.is_set():
                log.warning("job %s: lease lost or job cancelled; result dropped", task.job_id)
                return _Turn.DONE
            written = self._report(task.job_id, claimed.attempt, result, lost)
        finally:
            self._clean(task, result)
        if written:
            log.info("job %s: %s", task.job_id, result.status)
        return _Turn.TROUBLE if result.error_kind is ErrorKind.INFRASTRUCTURE else _Turn.DONE

    def _report(self, job_id: int, attempt: int, result: EvaluationResult,
                lost: threading.Event) -> bool | None:
        """Complete the job: True if written, False if fenced out. A result the hub refuses
        (a proxy's size limit, say) is sent again with its texts trimmed, then as a failure
        of ours saying why, so the job is never left to time out."""
        detailed = self.cache.kept(result.detailed_results) if result.detailed_results else None
        try:
            return self._complete(job_id, attempt, result, detailed, lost)
        except HubRefusedError as exc:
            log.error("job %s: %s; sending it trimmed", job_id, exc)
            refusal = str(exc)
        try:
            return self._complete(job_id, attempt, trimmed(result), None, lost)
        except HubRefusedError as exc:
            log.error("job %s: %s; reporting the refusal", job_id, exc)
        return self._complete(job_id, attempt, trimmed(failed(
            INTERNAL_FAILURE, ErrorKind.INFRASTRUCTURE,
            f"the hub refused the runner's result: {refusal}")), None, lost)

    def _complete(self, job_id: int, attempt: int, result: EvaluationResult,
                  detailed: Path | None, lost: threading.Event) -> bool | None:
        written = self.hub.complete(lost, job_id, attempt, result, detailed)
        if written is False:
            log.warning("job %s: the hub refused the result (fenced out)", job_id)
        return written

    def _clean(self, task: EvaluationTask, result: EvaluationResult) -> None:
        """Drop what served this job only (the submission, unless another file of the task
        is the same, and the uploaded detailed results); trim the challenge files."""
        others = {ref.sha256 for ref in task.blobs() if ref is not task.submission}
        if task.submission.sha256 not in others:
            self.cache.forget(task.submission.sha256)
        if result.detailed_results is not None:
            self.cache.unkeep(result.detailed_results)
        self.cache.trim(self.cache_max_bytes)

    def _fetch_all(self, claimed: Claimed, lost: threading.Event) -> EvaluationResult | None:
        """Download every file of the task; a failed result if one cannot be had."""
        for ref in claimed.task.blobs():
            url = claimed.urls.get(ref.sha256)
            if url is None:
                return failed(INTERNAL_FAILURE, ErrorKind.INFRASTRUCTURE,
                              f"the hub gave no link for {ref.name} ({ref.sha256})")
            try:
                self.cache.fetch(ref, functools.partial(self.hub.download, lost, url))
            except (ChecksumError, HubRefusedError, HubUnavailableError, OSError) as exc:
                # OSError: this machine's disk (full, unwritable), not the participant's.
                return failed(INTERNAL_FAILURE, ErrorKind.INFRASTRUCTURE,
                              f"runner could not get {ref.name}: {exc}")
        return None

    def _heartbeats(self, claimed: Claimed, lost: threading.Event,
                    done: threading.Event) -> None:
        while not done.wait(claimed.heartbeat_seconds):
            if self.hub.heartbeat(done, claimed.task.job_id, claimed.attempt) is False:
                lost.set()
                return

    def run_forever(self, stop: threading.Event) -> None:
        """Run jobs until ``stop``; pause, for longer each time, after a failure of ours
        (a job this machine could not run, a refusal, anything unexpected)."""
        backoff = Backoff(stop)
        while not stop.is_set():
            try:
                turn = self._turn(stop)
            except HubRefusedError as exc:
                # A revoked token or a bad request: say so, and try again later rather
                # than hammer the hub.
                log.error("%s", exc)
                turn = _Turn.TROUBLE
            except Exception:  # the runner must outlive any one job or answer
                log.exception("runner: error in the loop")
                turn = _Turn.TROUBLE
            if turn is not _Turn.TROUBLE:
                backoff.reset()
            elif not backoff.wait():
                return
