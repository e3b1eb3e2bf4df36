"""Celery on RabbitMQ for many machines: the broker only wakes workers; the table decides.

A message carries a job id and nothing else. The worker that receives it claims the row by
id with the same conditional UPDATE as every other executor, so a duplicate or redelivered
message costs one statement and changes nothing; it runs the job with the local
``Evaluator`` (hub-owned machines have the database and the blob store), heartbeats the
lease and writes the result fenced. Because the table is the truth, a message lost on the
way (the broker was down at the commit) only delays its job: every Celery worker also
sweeps its queues on a slow timer for jobs that waited too long, and runs the reaper,
publishing a new message for each job it hands back (the one its dead worker held was
acknowledged by the worker that found the job still leased).

Settings (``make_celery``): late acknowledgement and one message reserved per process, so a
worker killed mid-job gives its message back to RabbitMQ at once (the connection drops);
one job at a time per process; one queue per challenge or hardware class, named by the
job's ``queue`` column. RabbitMQ's ``consumer_timeout`` (30 min by default) must be above
the longest job, or the broker closes the channel of a worker still running one
(docs/workers.md).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from celery import Celery  # type: ignore[import-untyped]
from sqlalchemy import select

from aihub.db import Database
from aihub.evaluation.models import Job
from aihub.evaluation.worker import Backoff, Worker, claim_job

log = logging.getLogger(__name__)

TASK_NAME = "aihub.evaluation.run_job"
# The web side gives up on the broker quickly: the job is committed, and a worker's sweep
# runs it even if its message never leaves.
_PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5,
                  "interval_max": 0.5}


def make_celery(broker_url: str) -> Any:
    """A Celery app configured for aihub's jobs (both the publishing and the working side);
    the broker is ``Settings.celery_broker_url``."""
    app = Celery("aihub", broker=broker_url, set_as_current=False)
    app.conf.update(
        # Acknowledge after the job, not on receipt: a killed worker's message comes back.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # Each process reserves one message: the others stay in RabbitMQ for idle workers.
        worker_prefetch_multiplier=1,
        worker_concurrency=1,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        result_backend=None,
        task_default_queue="default",
        task_create_missing_queues=True,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=4.0,
        task_publish_retry_policy=_PUBLISH_RETRY,
        worker_send_task_events=False,
        worker_hijack_root_logger=False,
    )
    return app


def queues_of(db: Database, job_ids: Sequence[int]) -> list[tuple[int, str]]:
    """Each job's queue, read in one statement."""
    if not job_ids:
        return []
    with db.reading() as session:
        rows = session.execute(select(Job.id, Job.queue).where(Job.id.in_(list(job_ids))))
        return sorted((int(job_id), str(queue)) for job_id, queue in rows)


def publish(app: Any, jobs: Sequence[tuple[int, str]]) -> list[int]:
    """Send a wake-up per job to its queue; returns the jobs sent. A broker that does not
    answer is logged, not raised: the jobs are committed, and workers' sweeps run them."""
    sent: list[int] = []
    for job_id, queue in jobs:
        try:
            app.send_task(TASK_NAME, args=[job_id], queue=queue, retry=True,
                          retry_policy=_PUBLISH_RETRY)
        except Exception:  # any broker failure; the sweep is the fallback
            log.warning("could not publish job %s to queue %s; a worker's sweep will run it",
                        job_id, queue, exc_info=True)
            continue
        sent.append(job_id)
    return sent


class CeleryWorker:
    """A Celery worker process: runs the jobs its messages name, one at a time, and sweeps.

    ``slot`` keeps it to one job at a time: the Celery task and the sweep take it, and the
    sweep only when it is free, so a busy worker does not start a second job.
    """

    def __init__(
        self,
        worker: Worker,
        app: Any,
        *,
        sweep_seconds: float,
        sweep_min_age: float,
    ) -> None:
        self.worker = worker
        self.app = app
        self.sweep_seconds = sweep_seconds
        self.sweep_min_age = sweep_min_age
        self.slot = threading.Lock()
        # Set when Celery starts its shutdown: no more sweeps or pauses; the job running
        # now goes on, heartbeating, and is written.
        self.stopping = threading.Event()
        self._backoff = Backoff(self.stopping)
        # Jobs this worker puts back (its reaper's, its runs that failed on our side) need a
        # message: the one that named them is acknowledged.
        worker.requeued = self.republish
        app.task(name=TASK_NAME, acks_late=True, reject_on_worker_lost=True,
                 ignore_result=True)(self._task)

    def _task(self, job_id: int) -> None:
        with self.slot:
            try:
                ran = self.worker.run_job(int(job_id))
            except Exception:  # the message is acknowledged; the lease and the reaper retry
                log.exception("job %s failed in the Celery worker", job_id)
                return
            self._pause_if_put_back(ran)

    def _pause_if_put_back(self, ran: bool) -> None:
        """After a run that failed on our side, hold the slot a while (the message it
        published goes to an idle worker, if there is one) rather than take it back at
        once; the pauses grow while runs keep failing so."""
        if not ran:
            return
        if self.worker.put_back:
            self._backoff.wait()
        else:
            self._backoff.reset()

    def republish(self, job_ids: list[int]) -> None:
        publish(self.app, queues_of(self.worker.db, job_ids))

    def reap(self) -> None:
        """Hand back dead workers' jobs, publishing a message for each."""
        self.worker.reap()

    def sweep(self) -> bool:
        """If idle, run the oldest job of this worker's queues that has waited
        ``sweep_min_age`` seconds (its message may be lost); True if a job was run."""
        if self.stopping.is_set() or not self.slot.acquire(blocking=False):
            return False
        try:
            lease = claim_job(
                self.worker.db, owner=self.worker.name, lease_seconds=self.worker.lease_seconds,
                queues=self.worker.queues, job_id=None, min_age=self.sweep_min_age,
            )
            if lease is None:
                return False
            log.info("sweep: running job %s, waiting without a message", lease.job_id)
            self.worker.run_lease(lease)
            self._pause_if_put_back(True)
            return True
        finally:
            self.slot.release()

    @staticmethod
    def _every(seconds: float, action: Callable[[], object], stop: threading.Event) -> None:
        while not stop.wait(seconds):
            try:
                action()
            except Exception:  # the timers must outlive a database hiccup
                log.exception("%s failed", getattr(action, "__name__", "timer"))

    def _on_shutdown(self, **_: object) -> None:
        self.stopping.set()

    def run(self, *, hostname: str) -> None:
        """Consume this worker's queues until Celery is told to stop (SIGTERM, SIGINT)."""
        from celery.signals import worker_shutting_down  # type: ignore[import-untyped]  # noqa: PLC0415

        # The heartbeats outlive the timers: a job the sweep is running when Celery stops
        # keeps its lease until it is written.
        beats_stop = threading.Event()
        beats = self.worker.start_heartbeats(beats_stop)
        # Reaping has its own timer: a sweep may be running a long job.
        timers = [
            threading.Thread(target=self._every, args=(every, action, self.stopping),
                             name=name, daemon=True)
            for name, every, action in (
                ("reaper", self.worker.lease_seconds / 2, self.reap),
                ("sweeps", self.sweep_seconds, self.sweep),
            )
        ]
        for timer in timers:
            timer.start()
        worker_shutting_down.connect(self._on_shutdown, weak=False)
        argv = [
            "worker", "--queues", ",".join(self.worker.queues), "--hostname", hostname,
            # The threads pool keeps the consumer (and AMQP heartbeats) alive beside a long
            # job; one thread, since the job itself may use every core.
            "--pool", "threads", "--concurrency", "1", "--prefetch-multiplier", "1",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel", "INFO",
        ]
        try:
            self.app.worker_main(argv=argv)
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise
        finally:
            worker_shutting_down.disconnect(self._on_shutdown)
            self.stopping.set()
            for timer in timers:
                timer.join()  # a sweep's job is finished, not dropped
            beats_stop.set()
            beats.join(timeout=5)
