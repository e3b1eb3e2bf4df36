"""Executors decide where jobs run once committed. A Protocol with a local default.

- ``InProcessExecutor``: worker threads inside the web process (the embedded default); a job
  id is handed to them right after the commit so scoring starts without polling delay.
- ``ExternalExecutor``: nothing runs here; ``aihub worker`` processes (or runners pulling
  over HTTPS, ``runner_api``) find the jobs in the table.
- ``CeleryExecutor``: after the commit, a message naming each job goes to its queue on
  RabbitMQ, where ``aihub worker --celery`` processes wait (``celery_app``).
"""

from __future__ import annotations

import queue as stdqueue
import threading
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy.orm import Session

from aihub.db import Database
from aihub.evaluation.queue import Lease
from aihub.evaluation.runner import Evaluator
from aihub.evaluation.worker import Worker, claim_in, worker_name


class Executor(Protocol):
    # True when jobs dispatched here run in this process (so in-memory hand-offs help).
    runs_here: bool

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def dispatch(self, job_ids: Sequence[int]) -> None:
        """Called after the commit that created the jobs."""

    def claim_inline(self, session: Session, job_id: int) -> Lease | None:
        """Claim a job just enqueued in ``session``'s transaction, for the calling thread
        to run after the commit; None when jobs must be left to the workers.

        A request that is going to wait for the score anyway does the work itself instead
        of handing it to a worker thread and waiting to be woken. Claiming in the submitting
        transaction saves one write transaction; the job still goes through the table
        (conditional claim, lease, fenced write, ``Evaluator.run_checked``), so a request
        that dies after the commit leaves a running job whose lease the reaper takes back.
        """


class ExternalExecutor:
    runs_here = False

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def dispatch(self, job_ids: Sequence[int]) -> None:
        pass

    def claim_inline(self, session: Session, job_id: int) -> Lease | None:
        return None


class InProcessExecutor:
    runs_here = True

    def __init__(
        self,
        db: Database,
        evaluator: Evaluator,
        *,
        threads: int,
        lease_seconds: float,
        poll_seconds: float,
        queues: tuple[str, ...] = ("default",),
    ) -> None:
        self.queues = queues
        self._wakeups: stdqueue.Queue[int] = stdqueue.Queue()
        self._stop = threading.Event()
        self.workers = [
            Worker(
                db,
                evaluator,
                lease_seconds=lease_seconds,
                poll_seconds=poll_seconds,
                queues=queues,
                name=worker_name(f"serve-{n}"),
                wakeups=self._wakeups,
                adopt_after=max(2.0, 4 * poll_seconds),
            )
            for n in range(threads)
        ]
        self._threads: list[threading.Thread] = []
        # Inline runs have no heartbeat thread: they are used for prediction files, which
        # score in well under the lease; a longer run loses its lease and is redone safely.
        self._inline_owner = worker_name("serve-inline")
        self._lease_seconds = lease_seconds

    def start(self) -> None:
        self._stop.clear()
        for worker in self.workers:
            thread = threading.Thread(
                target=worker.run_forever, args=(self._stop,), name=worker.name, daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()

    def dispatch(self, job_ids: Sequence[int]) -> None:
        for job_id in job_ids:
            self._wakeups.put(job_id)

    def claim_inline(self, session: Session, job_id: int) -> Lease | None:
        return claim_in(
            session, owner=self._inline_owner, lease_seconds=self._lease_seconds,
            queues=self.queues, job_id=job_id,
        )


class CeleryExecutor:
    """Publishes each committed job to its queue; Celery workers on other machines run it.

    Celery is imported only when this executor is built, so a hub without the ``celery``
    extra runs every other executor.
    """

    runs_here = False

    def __init__(self, db: Database, broker_url: str, *, app: Any = None) -> None:
        from aihub.evaluation import celery_app  # noqa: PLC0415 - the optional extra

        self._celery = celery_app
        self.db = db
        self.app = app if app is not None else celery_app.make_celery(broker_url)

    def start(self) -> None:
        pass

    def stop(self) -> None:
        # Nothing is queued here. The broker connections stay in kombu's process-wide pool
        # (shared by every app with this broker URL), so they are not closed here.
        self.app.close()

    def dispatch(self, job_ids: Sequence[int]) -> None:
        self._celery.publish(self.app, self._celery.queues_of(self.db, job_ids))

    def claim_inline(self, session: Session, job_id: int) -> Lease | None:
        return None
