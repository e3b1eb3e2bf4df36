"""Runs one evaluation job: score a prediction file and write the outcome once.

The outcome is written in one transaction whose first statement is a fenced UPDATE of the
job (``queue.finish_held``: still running, same owner, same attempt): a worker that was
presumed dead and replaced writes nothing, so a submission is never scored twice, and a
worker killed before its commit loses nothing but the time, because the reaper hands the
job to another.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import bindparam, update

from aihub.challenges.models import Challenge
from aihub.challenges.services import scoring_spec
from aihub.db import Database, utcnow
from aihub.evaluation import queue
from aihub.evaluation.execute import INTERNAL_FAILURE, RunKit, execute
from aihub.evaluation.jobs import JobPayload, ScoreSubmission, parse_payload
from aihub.evaluation.models import Job
from aihub.evaluation.plans import BlobRef, ErrorKind, EvaluationResult, TaskKind
from aihub.evaluation.prepared import PreparedCache
from aihub.evaluation.queue import Lease
from aihub.evaluation.scoring import (
    Aligned,
    ScoringSpec,
    SubmissionError,
    Truth,
    TruthCache,
    check_submission,
    score,
)
from aihub.evaluation.status import Status
from aihub.evaluation.tasks import task_for_job, task_kind
from aihub.leaderboards.versions import touch_board_of
from aihub.storage import LocalStorage
from aihub.submissions.models import Submission

log = logging.getLogger(__name__)

__all__ = ["INTERNAL_FAILURE", "Evaluator", "LocalFiles", "Outcome", "record_result"]


# Built once: building the statement costs more than running it.
_RECORD_RUN = (
    update(Submission)
    .where(Submission.id == bindparam("submission_id"))
    .values(
        status=bindparam("new_status"),
        public_score=bindparam("public"),
        private_score=bindparam("private"),
        scores=bindparam("scores"),
        error=bindparam("participant_error"),
        host_error=bindparam("full_error"),
        log=bindparam("log"),
        host_log=bindparam("host_log"),
        detailed_results_sha256=bindparam("detailed"),
        scored_at=bindparam("at"),
    )
)


# A job put back in the queue: its submission waits again, as participants should see it.
_REQUEUED = (
    update(Submission)
    .where(Submission.id == bindparam("submission_id"))
    .values(status=Status.QUEUED.value)
)


class LocalFiles:
    """Blobs of the hub's own store: a worker with the hub's disk reads them in place."""

    def __init__(self, storage: LocalStorage) -> None:
        self.storage = storage

    def local_path(self, ref: BlobRef) -> Path:
        return self.storage.path(ref.sha256)

    def keep(self, path: Path, name: str) -> BlobRef:
        blob = self.storage.put_path(path)
        return BlobRef(sha256=blob.sha256, size=blob.size, name=name)


def record_result(
    db: Database, lease: Lease, submission_id: int, result: EvaluationResult,
    *, at: datetime | None = None,
) -> Status | None:
    """Write a runner's result in one fenced transaction; None if the lease was lost.

    A failure of ours (``ErrorKind.INFRASTRUCTURE``: a store outage, a runner without a
    sandbox) is not the submission's outcome: while the job has tries left it goes back to
    the queue and ``Status.QUEUED`` is returned; after the last, it fails with its reason,
    which never counts against the participant's limits.
    """
    status = Status(result.status)
    error_kind = result.error_kind.value if result.error_kind else ""
    with db.transaction() as session:
        # The fenced UPDATEs come first: a runner that lost its lease writes nothing.
        if result.error_kind is ErrorKind.INFRASTRUCTURE and queue.retry_held(
            session, lease, error=result.host_error[:4000], error_kind=error_kind
        ):
            log.warning("job %s: failed on our side (attempt %s), put back in the queue",
                        lease.job_id, lease.attempt)
            session.connection().execute(_REQUEUED, {"submission_id": submission_id})
            return Status.QUEUED
        if not queue.finish_held(
            session, lease, status, error=result.host_error[:4000], error_kind=error_kind
        ):
            log.warning("job %s: lease lost before the result was written", lease.job_id)
            return None
        session.connection().execute(
            _RECORD_RUN,
            {
                "submission_id": submission_id, "new_status": status.value,
                "public": result.public, "private": result.private,
                "scores": result.scores, "participant_error": result.error,
                "full_error": result.host_error, "log": result.log,
                "host_log": result.host_log,
                "detailed": result.detailed_results.sha256 if result.detailed_results else "",
                "at": at or utcnow(),
            },
        )
        touch_board_of(session, submission_id)
    return status


@dataclass(frozen=True)
class Outcome:
    status: Status
    public: float | None = None
    private: float | None = None
    error: str = ""
    host_error: str = ""
    scored_at: datetime = field(default_factory=utcnow)
    error_kind: ErrorKind | None = None


def _guarded(submission_id: int, scores: Callable[[], dict[str, float]]) -> Outcome:
    """The outcome of ``scores()``: a participant's error, ours, or the scores."""
    try:
        result = scores()
    except SubmissionError as exc:
        return Outcome(Status.FAILED, error=str(exc), host_error=str(exc),
                       error_kind=ErrorKind.PARTICIPANT)
    except Exception:  # any other failure is ours, not the participant's: tried again
        log.exception("scoring submission %s failed", submission_id)
        return Outcome(Status.FAILED, error=INTERNAL_FAILURE, host_error=traceback.format_exc(),
                       error_kind=ErrorKind.INFRASTRUCTURE)
    return Outcome(Status.FINISHED, public=result["public"], private=result["private"])


# A job that is not a submission's (a dataset's intake): run under its lease, writing its
# own outcome fenced by it; the status written, or None when the lease was lost.
JobHandler = Callable[[Lease, JobPayload, threading.Event | None], Status | None]


class Evaluator:
    def __init__(
        self,
        db: Database,
        storage: LocalStorage,
        truths: TruthCache,
        *,
        max_bytes: int,
        on_done: Callable[[int], None] | None = None,
        prepared: PreparedCache[Aligned] | None = None,
    ) -> None:
        # Checked uploads from this process's requests, so they are not parsed twice.
        self.prepared: PreparedCache[Aligned] = prepared or PreparedCache()
        # on_done(submission_id) is called after the outcome is committed.
        self.on_done = on_done
        self.db = db
        self.storage = storage
        self.truths = truths
        self.max_bytes = max_bytes
        files = LocalFiles(storage)
        # Runners of code and program tasks are added by the hub when a sandbox is set up.
        self.kit = RunKit(files=files, truths=truths, max_bytes=max_bytes, keep=files.keep)
        # Other kinds of job, by payload kind; the hub adds the dataset intake.
        self.handlers: dict[str, JobHandler] = {}

    def run(self, lease: Lease, stop: threading.Event | None = None) -> Status | None:
        """Run the leased job; returns the status written, or None if the lease was lost.

        ``stop`` is set when the job must end early (its lease was lost or it was
        cancelled): a sandboxed run is then killed and nothing is written."""
        # One read for everything the job needs: the payload, the submission, the challenge.
        task, submission, challenge = None, None, None
        with self.db.reading() as session:
            job = session.get(Job, lease.job_id)
            assert job is not None
            try:
                payload = parse_payload(job.payload)
            except ValueError as exc:
                return self._write_job_failure(lease, f"unknown job payload: {exc}")
            if isinstance(payload, ScoreSubmission):
                submission = session.get(Submission, payload.submission_id)
                challenge = session.get(Challenge, submission.challenge_id) if submission else None
                if challenge is not None and task_kind(challenge) is not TaskKind.PREDICTIONS:
                    task = task_for_job(session, self.storage, lease.job_id, lease.attempt)
                    if task is None:
                        return self._write_job_failure(lease,
                                                       "the submission or its phase is gone")
        if not isinstance(payload, ScoreSubmission):
            return self._run_other(lease, payload, stop)
        if task is None:
            return self._score(lease, payload, submission, challenge)
        # Code and programs: the same path as every other runner (execute, then record).
        status = record_result(self.db, lease, task.submission_id, execute(task, self.kit, stop))
        if status is not None and self.on_done is not None:
            self.on_done(task.submission_id)
        return status

    def _run_other(self, lease: Lease, payload: JobPayload,
                   stop: threading.Event | None) -> Status | None:
        handler = self.handlers.get(payload.kind)
        if handler is None:
            return self._write_job_failure(lease, f"this worker cannot run {payload.kind} jobs")
        return handler(lease, payload, stop)

    def _score(
        self,
        lease: Lease,
        payload: ScoreSubmission,
        submission: Submission | None,
        challenge: Challenge | None,
    ) -> Status | None:
        if submission is None or challenge is None:
            return self._write_job_failure(lease, f"submission {payload.submission_id} is gone")
        outcome = self.evaluate(challenge, submission)
        return self._record(lease, submission.id, outcome)

    def evaluate(self, challenge: Challenge, submission: Submission) -> Outcome:
        spec = scoring_spec(challenge)

        def scores() -> dict[str, float]:
            truth = self.truths.get(
                self.storage.path(challenge.solution_sha256), challenge.solution_sha256, spec
            )
            aligned = self.prepared.take(
                (submission.sha256, challenge.solution_sha256, spec.fingerprint())
            ) or check_submission(
                self.storage.path(submission.sha256),
                truth,
                spec,
                original_name=submission.filename,
                max_bytes=self.max_bytes,
            )
            return score(truth, aligned, spec)

        return _guarded(submission.id, scores)

    def run_checked(
        self, lease: Lease, submission_id: int, truth: Truth, aligned: Aligned, spec: ScoringSpec
    ) -> Outcome | None:
        """Score an upload its request has just checked and write the outcome (fenced), in
        the calling thread; the outcome written, or None if the lease was lost or the job
        went back to the queue (a failure of ours, tried again by a worker)."""
        outcome = _guarded(submission_id, lambda: score(truth, aligned, spec))
        written = self._record(lease, submission_id, outcome)
        return outcome if written in (Status.FINISHED, Status.FAILED) else None

    def _record(self, lease: Lease, submission_id: int, outcome: Outcome) -> Status | None:
        """Write a prediction file's outcome the way every runner's result is written."""
        result = EvaluationResult(
            status="finished" if outcome.status is Status.FINISHED else "failed",
            public=outcome.public, private=outcome.private, error=outcome.error,
            host_error=outcome.host_error, error_kind=outcome.error_kind,
        )
        status = record_result(self.db, lease, submission_id, result, at=outcome.scored_at)
        if status is not None and self.on_done is not None:
            self.on_done(submission_id)
        return status

    def _write_job_failure(self, lease: Lease, reason: str) -> Status | None:
        with self.db.transaction() as session:
            job = queue.holds(session, lease)
            if job is None:
                return None
            queue.finish(job, Status.FAILED, error=reason)
            if job.submission_id is not None:
                submission = session.get(Submission, job.submission_id)
                if submission is not None:
                    submission.status = Status.FAILED.value
                    submission.error = INTERNAL_FAILURE
                    submission.host_error = reason
        return Status.FAILED
