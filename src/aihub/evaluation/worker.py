"""The worker loop: claim a job, keep its lease alive, run it, and reap dead workers' jobs.

The same loop runs as threads inside ``aihub serve`` (the in-process executor) and as the
main loop of ``aihub worker`` processes; they share nothing but the database.
"""

from __future__ import annotations

import logging
import os
import queue as stdqueue
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from aihub.db import Database, utcnow
from aihub.evaluation import queue
from aihub.evaluation.models import Job
from aihub.evaluation.queue import Lease
from aihub.evaluation.runner import INTERNAL_FAILURE, Evaluator
from aihub.evaluation.status import Status
from aihub.submissions.models import Submission

log = logging.getLogger(__name__)


def worker_name(label: str = "worker") -> str:
    return f"{label}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


_MIRROR_RUNNING = (
    update(Submission)
    .where(Submission.id == bindparam("submission_id"))
    .values(status=Status.RUNNING.value)
)


def claim_in(
    session: Session,
    *,
    owner: str,
    lease_seconds: float,
    queues: tuple[str, ...],
    job_id: int | None,
    min_age: float = 0.0,
    organization_id: int | None = None,
) -> Lease | None:
    """Claim a job in the caller's transaction (``queue.claim``) and mirror it on the
    submission, so participants see it running."""
    lease = queue.claim(
        session, owner=owner, lease_seconds=lease_seconds, job_id=job_id, queues=queues,
        min_age=min_age, organization_id=organization_id,
    )
    if lease is not None and lease.submission_id is not None:
        session.connection().execute(_MIRROR_RUNNING, {"submission_id": lease.submission_id})
    return lease


def _any_queued(db: Database, queues: tuple[str, ...]) -> bool:
    with db.reading() as session:
        return session.scalar(
            select(Job.id).where(Job.status == Status.QUEUED.value, Job.queue.in_(queues)).limit(1)
        ) is not None


def claim_job(
    db: Database,
    *,
    owner: str,
    lease_seconds: float,
    queues: tuple[str, ...],
    job_id: int | None,
    min_age: float = 0.0,
    organization_id: int | None = None,
) -> Lease | None:
    # An idle worker looks before it takes the write lock: on SQLite every write
    # transaction, even one that finds nothing, makes the submitting requests wait.
    if job_id is None and not _any_queued(db, queues):
        return None
    with db.transaction() as session:
        return claim_in(
            session, owner=owner, lease_seconds=lease_seconds, queues=queues, job_id=job_id,
            min_age=min_age, organization_id=organization_id,
        )


def reap(db: Database, *, requeued: Callable[[list[int]], None] | None = None) -> int:
    """Return the jobs of dead workers to the queue; fail those out of tries. Returns how
    many jobs were handled. ``requeued`` is told the re-queued jobs after the commit (on a
    Celery hub, ``CeleryExecutor.dispatch`` publishes a message for each: the one their dead
    worker held is gone)."""
    with db.transaction() as session:
        reaped = queue.reap(session)
        waiting = [job.submission_id for job in reaped.requeued if job.submission_id]
        if waiting:
            session.execute(
                update(Submission)
                .where(Submission.id.in_(waiting))
                .values(status=Status.QUEUED.value)
            )
        for job in reaped.given_up:
            if job.submission_id is not None:
                session.execute(
                    update(Submission)
                    .where(Submission.id == job.submission_id)
                    .values(
                        status=Status.FAILED.value,
                        error=INTERNAL_FAILURE,
                        host_error=job.error,
                        scored_at=utcnow(),
                    )
                )
    requeued_ids = [job.id for job in reaped.requeued]
    if requeued_ids or reaped.given_up:
        log.warning(
            "reaper: re-queued jobs %s, gave up on %s",
            requeued_ids,
            [job.id for job in reaped.given_up],
        )
    if requeued_ids and requeued is not None:
        requeued(requeued_ids)
    return len(requeued_ids) + len(reaped.given_up)


class Reaper:
    """``reap`` at most once per ``every`` seconds, however often a loop asks (every worker
    and every runner's claim asks; one pass per half lease finds each lost lease in time)."""

    def __init__(self, db: Database, *, every: float) -> None:
        self.db = db
        self.every = every
        self._lock = threading.Lock()
        self._last = float("-inf")

    def maybe(self, requeued: Callable[[list[int]], None] | None = None) -> int:
        with self._lock:
            now = time.monotonic()
            if now - self._last < self.every:
                return 0
            self._last = now
        return reap(self.db, requeued=requeued)


class Backoff:
    """Pauses of ``first`` seconds doubling up to ``most``, ended early by ``stop``."""

    def __init__(self, stop: threading.Event, *, first: float = 0.5, most: float = 30.0) -> None:
        self.stop = stop
        self.first = first
        self.most = most
        self.pause = first

    def wait(self) -> bool:
        """Wait the next pause; False if told to stop meanwhile."""
        stopped = self.stop.wait(self.pause)
        self.pause = min(self.pause * 2, self.most)
        return not stopped

    def reset(self) -> None:
        self.pause = self.first


@dataclass(frozen=True)
class _Running:
    lease: Lease
    # Set when the job must end early: a heartbeat found the lease lost or the job cancelled.
    stop: threading.Event


class Worker:
    """One worker: runs one job at a time, with a heartbeat thread for the current lease."""

    def __init__(
        self,
        db: Database,
        evaluator: Evaluator,
        *,
        lease_seconds: float,
        poll_seconds: float,
        queues: tuple[str, ...] = ("default",),
        name: str | None = None,
        wakeups: stdqueue.Queue[int] | None = None,
        adopt_after: float = 0.0,
        requeued: Callable[[list[int]], None] | None = None,
    ) -> None:
        # A worker told of its own process's jobs (``wakeups``) leaves fresh jobs to the
        # process that made them, whose waiting request it can wake at once; it adopts a job
        # only once it has waited ``adopt_after`` seconds (orphans, re-queued jobs).
        self.adopt_after = adopt_after
        self.db = db
        self.evaluator = evaluator
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.queues = queues
        self.name = name or worker_name()
        self.wakeups = wakeups
        # Told of the jobs this worker puts back in the queue (its reaper's, and its own
        # runs that failed on our side): a Celery hub publishes a message for each.
        self.requeued = requeued
        # True when the last run failed on our side and went back to the queue: the loop
        # then pauses, so a worker that cannot run a kind of job (no sandbox, a store it
        # cannot read) leaves it to others rather than use up its tries at once.
        self.put_back = False
        self.reaper = Reaper(db, every=lease_seconds / 2)
        self._current: _Running | None = None
        self._lock = threading.Lock()

    def run_once(self, job_id: int | None = None) -> bool:
        """Claim and run one job (the one named, else the oldest); False if none was queued."""
        lease = None
        if job_id is not None:
            lease = claim_job(
                self.db, owner=self.name, lease_seconds=self.lease_seconds,
                queues=self.queues, job_id=job_id,
            )
        if lease is None:
            lease = claim_job(
                self.db, owner=self.name, lease_seconds=self.lease_seconds,
                queues=self.queues, job_id=None, min_age=self.adopt_after,
            )
        if lease is None:
            return False
        self.run_lease(lease)
        return True

    def run_job(self, job_id: int) -> bool:
        """Claim the named job and run it; False when it is not queued (taken by another
        worker, ended, or cancelled): a duplicate message costs one conditional UPDATE."""
        lease = claim_job(
            self.db, owner=self.name, lease_seconds=self.lease_seconds, queues=self.queues,
            job_id=job_id,
        )
        if lease is None:
            return False
        self.run_lease(lease)
        return True

    def run_lease(self, lease: Lease) -> Status | None:
        """Run a claimed job; the heartbeat thread (``start_heartbeats``) keeps its lease."""
        running = _Running(lease, threading.Event())
        with self._lock:
            self._current = running
        try:
            status = self.evaluator.run(lease, running.stop)
        finally:
            with self._lock:
                self._current = None
        self.put_back = status is Status.QUEUED
        if self.put_back and self.requeued is not None:
            self.requeued([lease.job_id])
        return status

    def beat(self) -> None:
        """Push the current job's lease forward; stop the run if the lease is lost."""
        with self._lock:
            running = self._current
        if running is None:
            return
        try:
            with self.db.transaction() as session:
                held = queue.heartbeat(session, running.lease, lease_seconds=self.lease_seconds)
        except Exception:  # a missed beat is retried; the lease has slack for two more
            log.exception("heartbeat for job %s failed", running.lease.job_id)
            return
        if not held:
            # Reaped (we were presumed dead) or cancelled: whatever the run produces now
            # would be refused by the fenced write, so stop it at once.
            log.warning("job %s: lease lost or job cancelled; stopping it", running.lease.job_id)
            running.stop.set()

    def _heartbeats(self, stop: threading.Event) -> None:
        while not stop.wait(self.lease_seconds / 3):
            self.beat()

    def start_heartbeats(self, stop: threading.Event) -> threading.Thread:
        """Beat for the current job until ``stop``: set it only once no job can be running
        (the loop has ended), or that job loses its lease while it runs."""
        thread = threading.Thread(
            target=self._heartbeats, args=(stop,), name=f"{self.name}-beats", daemon=True
        )
        thread.start()
        return thread

    def reap(self) -> int:
        """Reap, at most once per half lease, telling ``requeued`` of the jobs put back."""
        return self.reaper.maybe(self.requeued)

    def _next_hint(self) -> int | None:
        if self.wakeups is None:
            return None
        try:
            return self.wakeups.get(timeout=self.poll_seconds)
        except stdqueue.Empty:
            return None

    def _step(self, stop: threading.Event) -> bool:
        """One turn of the loop: reap, then run a job if one is there; True if one ran."""
        self.reap()
        hint = self._next_hint()
        if stop.is_set():
            return False
        return self.run_once(hint)

    def run_forever(self, stop: threading.Event) -> None:
        """Run jobs until ``stop`` is set. ``stop`` (SIGTERM) ends the claiming, not the job
        running now: it keeps heartbeating and writes its result, then the loop ends."""
        beats_stop = threading.Event()
        beats = self.start_heartbeats(beats_stop)
        backoff = Backoff(stop)
        try:
            while not stop.is_set():
                try:
                    ran = self._step(stop)
                except Exception:  # the loop must outlive any one job or database hiccup
                    log.exception("worker %s: error in the loop", self.name)
                    stop.wait(self.poll_seconds)
                    continue
                if ran and self.put_back:
                    backoff.wait()
                    continue
                backoff.reset()
                if not ran and self.wakeups is None:
                    stop.wait(self.poll_seconds)
        finally:
            beats_stop.set()
            beats.join(timeout=1)
