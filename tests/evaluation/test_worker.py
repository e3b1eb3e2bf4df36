"""Workers: a job is scored once, whatever dies when; SIGKILL mid-job loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from aihub.db import utcnow
from aihub.evaluation import queue
from aihub.evaluation.models import Job
from aihub.evaluation.status import Status
from aihub.evaluation.worker import Worker, claim_job, reap
from aihub.hub import Hub
from aihub.storage import Blob
from aihub.submissions.models import Submission
from aihub.submissions.services import submit_prediction
from factories import Factories, Person


def _submit_file(hub: Hub, factories: Factories, challenge_slug: str, member: Person,
                 path: Path) -> tuple[int, int]:
    from aihub.challenges.services import get_challenge

    blob: Blob = hub.storage.put_path(path)
    with hub.db.transaction() as session:
        challenge = get_challenge(session, challenge_slug)
        submission, job = submit_prediction(
            session, challenge, factories.actor(member), blob, filename=path.name, message="",
            now=utcnow(), zone=hub.settings.zone,
        )
        return submission.id, job.id


def _worker(hub: Hub, name: str = "w") -> Worker:
    return Worker(hub.db, hub.evaluator, lease_seconds=30, poll_seconds=0.05, name=name)


def test_worker_scores_a_queued_submission(hub: Hub, factories: Factories) -> None:
    host, member = factories.host(), factories.person()
    challenge = factories.challenge(host, "score-me")
    factories.join(challenge, member)
    sub_id, job_id = _submit_file(hub, factories, "score-me", member,
                                  factories.bundles / "score-me" / "baseline.csv")
    assert _worker(hub).run_once()
    with hub.db.reading() as session:
        submission = session.get(Submission, sub_id)
        job = session.get(Job, job_id)
        assert submission is not None and job is not None
        assert submission.status == Status.FINISHED and job.status == Status.FINISHED
        assert submission.public_score is not None and submission.public_score > 0.6
        assert submission.private_score is not None
    assert not _worker(hub).run_once()


def test_a_worker_that_lost_its_lease_writes_nothing(hub: Hub, factories: Factories) -> None:
    host, member = factories.host(), factories.person()
    challenge = factories.challenge(host, "fenced")
    factories.join(challenge, member)
    sub_id, _ = _submit_file(hub, factories, "fenced", member,
                             factories.bundles / "fenced" / "baseline.csv")
    past = utcnow() - timedelta(minutes=10)
    with hub.db.transaction() as session:
        stale = queue.claim(session, owner="presumed-dead", lease_seconds=1, now=past)
    assert stale is not None
    assert reap(hub.db) == 1
    with hub.db.reading() as session:
        assert session.get(Submission, sub_id).status == Status.QUEUED  # type: ignore[union-attr]
    fresh = claim_job(hub.db, owner="alive", lease_seconds=30, queues=("default",), job_id=None)
    assert fresh is not None
    assert hub.evaluator.run(fresh) == Status.FINISHED
    with hub.db.reading() as session:
        scored_at = session.get(Submission, sub_id).scored_at  # type: ignore[union-attr]
    # The presumed-dead worker wakes up and finishes too: its result is refused.
    assert hub.evaluator.run(stale) is None
    with hub.db.reading() as session:
        submission = session.get(Submission, sub_id)
        assert submission is not None and submission.scored_at == scored_at
        assert session.scalar(select(func.count(Job.id))) == 1


def _big_submission(folder: Path, rows: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(3)
    ids = np.arange(rows)
    y = rng.integers(0, 2, rows)
    usage = np.where(ids % 3 == 0, "Public", "Private")
    solution = folder / "big_solution.csv"
    import polars as pl

    pl.DataFrame({"id": ids, "target": y, "Usage": usage}).write_csv(solution)
    submission = folder / "big_submission.csv"
    pl.DataFrame({"id": rng.permutation(ids), "target": rng.random(rows)}).write_csv(submission)
    return solution, submission


@pytest.mark.slow
def test_worker_killed_mid_job_loses_nothing_and_scores_once(
    tmp_path: Path, factories: Factories, hub: Hub
) -> None:
    if not hub.db.is_sqlite:
        pytest.skip("one subprocess run is enough; the queue itself is tested on PostgreSQL")
    host, member = factories.host(), factories.person()
    folder = factories.bundle("big-one")
    solution, big = _big_submission(tmp_path, 3_000_000)
    (folder / "solution.csv").write_bytes(solution.read_bytes())
    from aihub.challenges.bundle import open_bundle
    from aihub.challenges.services import create_from_bundle

    with open_bundle(folder, max_bytes=10**10) as bundle, hub.db.transaction() as s:
        challenge = create_from_bundle(s, hub.storage, hub.truths, factories.actor(host),
                                       bundle, max_file_bytes=10**10)
    factories.join(challenge, member)
    sub_id, job_id = _submit_file(hub, factories, "big-one", member, big)
    env = {**os.environ, "AIHUB_DATA_DIR": str(hub.settings.data_dir),
           "AIHUB_DATABASE_URL": hub.settings.resolved_database_url,
           "AIHUB_JOB_LEASE_SECONDS": "1", "AIHUB_WORKER_POLL_SECONDS": "0.02"}
    # Drop the prepared solution so the worker has real work to be killed in.
    victim = subprocess.Popen([sys.executable, "-m", "aihub", "worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            with hub.db.reading() as session:
                status = session.get(Job, job_id).status  # type: ignore[union-attr]
            if status != Status.QUEUED:
                break
            time.sleep(0.005)
        assert status == Status.RUNNING, f"the worker never started the job ({status})"
        victim.send_signal(signal.SIGKILL)
    finally:
        victim.wait(timeout=10)
    with hub.db.reading() as session:
        assert session.get(Submission, sub_id).public_score is None  # type: ignore[union-attr]
    time.sleep(1.2)  # let the lease run out
    done = subprocess.run([sys.executable, "-m", "aihub", "worker", "--once"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    with hub.db.reading() as session:
        job = session.get(Job, job_id)
        submission = session.get(Submission, sub_id)
        assert job is not None and submission is not None
        assert job.status == Status.FINISHED and job.attempts == 2
        assert submission.status == Status.FINISHED
        assert submission.public_score is not None
        assert session.scalar(select(func.count(Job.id)).where(
            Job.submission_id == sub_id)) == 1
