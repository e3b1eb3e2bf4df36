"""The intake of a submitted dataset version: each file profiled and scanned for Korean
personal data by background jobs, on the same job system as evaluation.

``submit_for_intake`` (and ``restart_for_intake``) move the version to quarantine and write
one job per file in the caller's transaction; the caller dispatches the returned job ids
after the commit. A worker runs ``IntakeRunner`` on each: it reads the file from the store
(never handing it to an organizer's runner: intake jobs live on their own queue, which
runner tokens cannot name), profiles and scans it, and writes the result in one
transaction fenced by its lease, so a job finishing after its version left quarantine,
or after its worker was presumed dead, writes nothing.
"""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.datasets import versions
from aihub.datasets.models import DatasetFile, DatasetVersion
from aihub.datasets.pii import scan_path
from aihub.datasets.profile import profile_path
from aihub.datasets.status import VersionStatus
from aihub.db import Database
from aihub.evaluation import queue
from aihub.evaluation.jobs import DatasetIntake, JobPayload
from aihub.evaluation.models import Job
from aihub.evaluation.plans import ErrorKind
from aihub.evaluation.queue import Lease
from aihub.evaluation.runners import INTAKE_QUEUE
from aihub.evaluation.status import Status
from aihub.storage import LocalStorage

log = logging.getLogger(__name__)

# A job for a file of a version that is no longer in quarantine (rejected, restarted)
# ends here, with this note.
_NOT_IN_QUARANTINE = "the version left quarantine before this file was read; nothing written"


def enqueue_intake(session: Session, version: DatasetVersion, *,
                   max_attempts: int = 3) -> list[int]:
    """One intake job per file of ``version`` (in quarantine); their ids, to dispatch
    after the commit."""
    files = versions.version_files(session, version)
    jobs = [
        queue.enqueue(session, DatasetIntake(dataset_version_id=version.id, path=item.path),
                      queue=INTAKE_QUEUE, max_attempts=max_attempts)
        for item in files
    ]
    session.flush()
    return [job.id for job in jobs]


def submit_for_intake(session: Session, version: DatasetVersion, actor: Actor, *,
                      max_attempts: int = 3) -> list[int]:
    """Submit a draft (``versions.submit_version``: its manifest and rev are fixed) and
    write its intake jobs; their ids, to dispatch after the commit."""
    versions.submit_version(session, version, actor)
    return enqueue_intake(session, version, max_attempts=max_attempts)


def restart_for_intake(session: Session, version: DatasetVersion, actor: Actor, *,
                       max_attempts: int = 3) -> list[int]:
    """Run a reviewed version's intake again (curators); the new jobs' ids."""
    versions.restart_intake(session, version, actor)
    return enqueue_intake(session, version, max_attempts=max_attempts)


def examine(storage: LocalStorage, item: DatasetFile, *, workers: int = 1) -> dict[str, Any]:
    """The intake result of one stored file: its profile and PII report as JSON dicts, or
    the error that stopped them (a damaged file is a profile problem, not an error)."""
    path = storage.path(item.sha256)
    profile = profile_path(path, filename=item.path)
    report = scan_path(path, filename=item.path, workers=workers)
    return {"profile": profile.to_dict(), "pii_report": report.to_dict(), "error": ""}


class IntakeRunner:
    """The worker's handler of ``dataset_intake`` jobs (``Evaluator.handlers``)."""

    def __init__(self, db: Database, storage: LocalStorage, *, scan_workers: int = 1) -> None:
        self.db = db
        self.storage = storage
        self.scan_workers = scan_workers

    def __call__(self, lease: Lease, payload: JobPayload,
                 stop: threading.Event | None = None) -> Status | None:
        assert isinstance(payload, DatasetIntake)
        with self.db.reading() as session:
            item = _file_in_quarantine(session, payload)
        if item is None:
            return self._finish(lease, payload, None, note=_NOT_IN_QUARANTINE)
        if not self.storage.exists(item.sha256):
            # The store is ours: perhaps being remounted. Tried again, then recorded.
            return self._failed_here(lease, payload,
                                     f"file {payload.path!r} ({item.sha256}) is missing "
                                     "from the store")
        try:
            result = examine(self.storage, item, workers=self.scan_workers)
        except Exception:  # a bug of ours: recorded on the file for the curator, not hidden
            log.exception("intake of %s in version %s failed", payload.path,
                          payload.dataset_version_id)
            result = {"profile": None, "pii_report": None,
                      "error": "The intake could not read this file: "
                               + traceback.format_exc(limit=3)[-2000:]}
        if stop is not None and stop.is_set():
            return None  # cancelled or the lease was lost: nothing is written
        return self._finish(lease, payload, result)

    def _finish(self, lease: Lease, payload: DatasetIntake, result: dict[str, Any] | None,
                *, note: str = "") -> Status | None:
        with self.db.transaction() as session:
            if not queue.finish_held(session, lease, Status.FINISHED, error=note):
                return None  # the lease was lost: another worker writes, or has written
            if result is not None:
                version = _locked_version(session, payload.dataset_version_id)
                if version is None or version.status != VersionStatus.QUARANTINE.value:
                    _note(session, lease, _NOT_IN_QUARANTINE)
                else:
                    versions.record_intake(session, version, {payload.path: result})
        return Status.FINISHED

    def _failed_here(self, lease: Lease, payload: DatasetIntake, reason: str) -> Status | None:
        """A failure of ours: back to the queue while tries remain; after the last, the
        file's intake error says why, so the version reaches review and a curator sees it."""
        with self.db.transaction() as session:
            if queue.retry_held(session, lease, error=reason,
                                error_kind=ErrorKind.INFRASTRUCTURE.value):
                log.warning("intake job %s: %s; put back in the queue", lease.job_id, reason)
                return Status.QUEUED
        return self._finish(lease, payload, {"profile": None, "pii_report": None,
                                             "error": f"The intake gave up: {reason}."})


def _file_in_quarantine(session: Session, payload: DatasetIntake) -> DatasetFile | None:
    version = session.get(DatasetVersion, payload.dataset_version_id)
    if version is None or version.status != VersionStatus.QUARANTINE.value:
        return None
    found = versions.find_file(session, version, payload.path)
    if found is not None:
        session.expunge(found)
    return found


def _locked_version(session: Session, version_id: int) -> DatasetVersion | None:
    # Files of one version finish in parallel: each records under the version's row lock
    # (PostgreSQL), so the last one sees every other's result and moves the version on.
    # SQLite serialises writers already.
    query = select(DatasetVersion).where(DatasetVersion.id == version_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def _note(session: Session, lease: Lease, note: str) -> None:
    job = session.get(Job, lease.job_id)
    if job is not None:
        job.error = note
