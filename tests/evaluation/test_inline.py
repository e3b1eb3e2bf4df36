"""Jobs run by the request that submitted them: claimed in the submitting transaction,
scored from the checked upload, written by one fenced UPDATE."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from aihub.challenges.services import get_challenge, scoring_spec
from aihub.db import insert_row, utcnow
from aihub.evaluation import queue
from aihub.evaluation.executors import InProcessExecutor
from aihub.evaluation.models import Job
from aihub.evaluation.queue import Lease
from aihub.evaluation.scoring import check_submission
from aihub.evaluation.status import Status
from aihub.evaluation.worker import reap
from aihub.hub import Hub
from aihub.submissions.models import Submission
from aihub.submissions.services import submit_prediction
from factories import Factories


def _submit_inline(hub: Hub, factories: Factories, slug: str) -> tuple[int, Lease]:
    host, member = factories.host(), factories.person()
    factories.join(factories.challenge(host, slug), member)
    executor = InProcessExecutor(hub.db, hub.evaluator, threads=0, lease_seconds=30,
                                 poll_seconds=1)
    blob = hub.storage.put_path(factories.bundles / slug / "baseline.csv")
    with hub.db.transaction() as session:
        challenge = get_challenge(session, slug)
        submission, job = submit_prediction(
            session, challenge, factories.actor(member), blob, filename="b.csv", message="",
            now=utcnow(), zone=hub.settings.zone,
        )
        lease = executor.claim_inline(session, job.id)
    assert lease is not None and lease.job_id == job.id and lease.attempt == 1
    return submission.id, lease


def _run(hub: Hub, slug: str, submission_id: int, lease: Lease) -> Status | None:
    with hub.db.reading() as session:
        challenge = get_challenge(session, slug)
        submission = session.get(Submission, submission_id)
        assert submission is not None
    spec = scoring_spec(challenge)
    truth = hub.truths.get(hub.storage.path(challenge.solution_sha256),
                           challenge.solution_sha256, spec)
    aligned = check_submission(hub.storage.path(submission.sha256), truth, spec)
    outcome = hub.evaluator.run_checked(lease, submission_id, truth, aligned, spec)
    return None if outcome is None else outcome.status


def test_claimed_in_the_submitting_transaction_and_written_once(
    hub: Hub, factories: Factories
) -> None:
    submission_id, lease = _submit_inline(hub, factories, "inline")
    with hub.db.reading() as session:
        job = session.get(Job, lease.job_id)
        submission = session.get(Submission, submission_id)
        assert job is not None and submission is not None
        assert job.status == Status.RUNNING and job.lease_owner == lease.owner
        assert submission.status == Status.RUNNING
    assert _run(hub, "inline", submission_id, lease) == Status.FINISHED
    with hub.db.reading() as session:
        submission = session.get(Submission, submission_id)
        assert submission is not None and submission.public_score is not None
        scored_at = submission.scored_at
    # The same lease again (a retried request): the job is no longer running, nothing moves.
    assert _run(hub, "inline", submission_id, lease) is None
    with hub.db.reading() as session:
        assert session.get(Submission, submission_id).scored_at == scored_at  # type: ignore[union-attr]


def test_a_request_that_lost_its_lease_writes_nothing(hub: Hub, factories: Factories) -> None:
    submission_id, lease = _submit_inline(hub, factories, "inline-lost")
    with hub.db.transaction() as session:  # the request stalls past its lease
        session.execute(update(Job).values(lease_expires_at=utcnow() - timedelta(minutes=1)))
    assert reap(hub.db) == 1
    with hub.db.transaction() as session:
        other = queue.claim(session, owner="other", lease_seconds=30, job_id=lease.job_id)
    assert other is not None and other.attempt == 2
    assert _run(hub, "inline-lost", submission_id, lease) is None
    with hub.db.reading() as session:
        job = session.get(Job, lease.job_id)
        submission = session.get(Submission, submission_id)
        assert job is not None and job.status == Status.RUNNING and job.lease_owner == "other"
        assert submission is not None and submission.public_score is None
    assert _run(hub, "inline-lost", submission_id, other) == Status.FINISHED


def test_insert_row_gives_a_fully_loaded_object_of_the_session(hub: Hub) -> None:
    statements: list[str] = []
    with hub.db.transaction() as session:
        values = {
            "kind": "score_submission", "queue": "default",
            "payload": {"kind": "score_submission", "version": 1, "submission_id": 7},
            "status": "queued", "submission_id": None, "attempts": 0, "max_attempts": 3,
            "lease_owner": None, "lease_expires_at": None, "heartbeat_at": None,
            "created_at": utcnow(), "started_at": None, "finished_at": None, "error": "",
            "error_kind": "",
        }
        job = insert_row(session, Job, values)

        def seen(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(hub.db.engine, "before_cursor_execute", seen)
        try:
            assert session.get(Job, job.id) is job
            assert [job.status, job.attempts, job.error, job.payload["submission_id"]] == [
                "queued", 0, "", 7]
            assert statements == []  # every attribute was loaded: no query behind them
        finally:
            event.remove(hub.db.engine, "before_cursor_execute", seen)
        with pytest.raises(ValueError, match="every column"):
            insert_row(session, Job, {"kind": "score_submission"})
    with hub.db.reading() as session:
        assert session.scalar(select(Job.status).where(Job.id == job.id)) == "queued"
