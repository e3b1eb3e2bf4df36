"""Runs one evaluation job: score a prediction file and write the outcome once.

The outcome is written in one transaction whose first statement is a fenced UPDATE of the
job (``queue.finish_held``: still running, same owner, same attempt): a worker that was
presumed dead and replaced writes nothing, so a submission is never scored twice, and a
worker killed before its commit loses nothing but the time, because the reaper hands the
job to another.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, update

from aihub.challenges.models import Challenge
from aihub.challenges.services import scoring_spec
from aihub.db import Database, utcnow
from aihub.evaluation import queue
from aihub.evaluation.jobs import ScoreSubmission, parse_payload
from aihub.evaluation.models import Job
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
from aihub.leaderboards.versions import touch_board_of
from aihub.storage import LocalStorage
from aihub.submissions.models import Submission

log = logging.getLogger(__name__)

INTERNAL_FAILURE = (
    "Scoring failed on the hub's side, not because of your file; the hosts have been told. "
    "This submission does not count against your limits."
)


# Built once: building the statement costs more than running it.
_RECORD = (
    update(Submission)
    .where(Submission.id == bindparam("submission_id"))
    .values(
        status=bindparam("new_status"),
        public_score=bindparam("public"),
        private_score=bindparam("private"),
        error=bindparam("participant_error"),
        host_error=bindparam("full_error"),
        scored_at=bindparam("at"),
    )
)


@dataclass(frozen=True)
class Outcome:
    status: Status
    public: float | None = None
    private: float | None = None
    error: str = ""
    host_error: str = ""
    scored_at: datetime = field(default_factory=utcnow)


def _guarded(submission_id: int, scores: Callable[[], dict[str, float]]) -> Outcome:
    """The outcome of ``scores()``: a participant's error, ours, or the scores."""
    try:
        result = scores()
    except SubmissionError as exc:
        return Outcome(Status.FAILED, error=str(exc), host_error=str(exc))
    except Exception:  # any other failure is ours, not the participant's
        log.exception("scoring submission %s failed", submission_id)
        return Outcome(Status.FAILED, error=INTERNAL_FAILURE, host_error=traceback.format_exc())
    return Outcome(Status.FINISHED, public=result["public"], private=result["private"])


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

    def run(self, lease: Lease) -> Status | None:
        """Run the leased job; returns the status written, or None if the lease was lost."""
        # One read for everything the job needs: the payload, the submission, the challenge.
        with self.db.reading() as session:
            job = session.get(Job, lease.job_id)
            assert job is not None
            try:
                payload = parse_payload(job.payload)
            except ValueError as exc:
                return self._write_job_failure(lease, f"unknown job payload: {exc}")
            submission = session.get(Submission, payload.submission_id)
            challenge = session.get(Challenge, submission.challenge_id) if submission else None
        return self._score(lease, payload, submission, challenge)

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
        the calling thread; the outcome written, or None if the lease was lost."""
        outcome = _guarded(submission_id, lambda: score(truth, aligned, spec))
        return outcome if self._record(lease, submission_id, outcome) is not None else None

    def _record(self, lease: Lease, submission_id: int, outcome: Outcome) -> Status | None:
        with self.db.transaction() as session:
            # The fenced UPDATE comes first: a worker that lost its lease writes nothing.
            if not queue.finish_held(
                session, lease, outcome.status, error=outcome.host_error[:4000]
            ):
                log.warning("job %s: lease lost before the result was written", lease.job_id)
                return None
            session.connection().execute(
                _RECORD,
                {
                    "submission_id": submission_id, "new_status": outcome.status.value,
                    "public": outcome.public, "private": outcome.private,
                    "participant_error": outcome.error, "full_error": outcome.host_error,
                    "at": outcome.scored_at,
                },
            )
            touch_board_of(session, submission_id)
        if self.on_done is not None:
            self.on_done(submission_id)
        return outcome.status

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
