"""Workers: a job is scored once, whatever dies when; a lost lease stops the run.

SIGKILL mid-job, on each executor: tests/evaluation/executors/test_sigkill_executors.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

import typer
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from aihub.challenges.models import Challenge
from aihub.cli import worker_verbs
from aihub.db import utcnow
from aihub.evaluation import queue
from aihub.evaluation.execute import RunKit
from aihub.evaluation.executors import ExternalExecutor
from aihub.evaluation.models import Job
from aihub.evaluation.plans import EvaluationResult, EvaluationTask, TaskKind
from aihub.evaluation.runner import INTERNAL_FAILURE
from aihub.evaluation.status import Status
from aihub.evaluation.worker import Backoff, Worker, claim_job, reap
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


class _HeldOpen:
    """A test-only runner of code tasks (a seam of ``RunKit.runners``): it holds the run
    open until its ``stop`` event is set, and says when it started."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.stopped = False

    def __call__(self, task: EvaluationTask, kit: RunKit,
                 stop: threading.Event) -> EvaluationResult:
        self.started.set()
        self.stopped = stop.wait(60)
        return EvaluationResult(status="finished", public=1.0, private=1.0)


def test_a_heartbeat_that_finds_the_job_cancelled_stops_the_run(
    hub: Hub, factories: Factories
) -> None:
    host, member = factories.host(), factories.person()
    challenge = factories.challenge(host, "held-open")
    with hub.db.transaction() as session:
        session.execute(update(Challenge).where(Challenge.id == challenge.id)
                        .values(submission_kind="code", code_spec={"format": "main"}))
    factories.join(challenge, member)
    sub_id, job_id = _submit_file(hub, factories, "held-open", member,
                                  factories.bundles / "held-open" / "baseline.csv")
    held = _HeldOpen()
    hub.evaluator.kit.runners[TaskKind.CODE] = held
    worker = _worker(hub)
    outcome: list[bool] = []
    running = threading.Thread(target=lambda: outcome.append(worker.run_once()))
    running.start()
    assert held.started.wait(60)
    worker.beat()  # the lease still holds: the run goes on
    assert not held.stopped and running.is_alive()
    with hub.db.transaction() as session:
        job = session.get(Job, job_id)
        assert job is not None and queue.cancel(session, job)
    worker.beat()
    running.join(timeout=60)
    assert held.stopped and outcome == [True]
    with hub.db.reading() as session:
        submission = session.get(Submission, sub_id)
        assert submission is not None
        assert submission.status == Status.CANCELLED and submission.public_score is None


def test_the_reaper_names_the_jobs_it_hands_back(hub: Hub, factories: Factories) -> None:
    host, member = factories.host(), factories.person()
    challenge = factories.challenge(host, "handed-back")
    factories.join(challenge, member)
    _, job_id = _submit_file(hub, factories, "handed-back", member,
                             factories.bundles / "handed-back" / "baseline.csv")
    with hub.db.transaction() as session:
        assert queue.claim(session, owner="dead", lease_seconds=1,
                           now=utcnow() - timedelta(minutes=1)) is not None
    told: list[list[int]] = []
    assert reap(hub.db, requeued=told.append) == 1
    assert told == [[job_id]]
    assert reap(hub.db, requeued=told.append) == 0 and told == [[job_id]]


def _code_job(hub: Hub, factories: Factories, slug: str) -> tuple[int, int]:
    host, member = factories.host(), factories.person()
    challenge = factories.challenge(host, slug)
    with hub.db.transaction() as session:
        session.execute(update(Challenge).where(Challenge.id == challenge.id)
                        .values(submission_kind="code", code_spec={"format": "main"}))
    factories.join(challenge, member)
    return _submit_file(hub, factories, slug, member, factories.bundles / slug / "baseline.csv")


def _rows(hub: Hub, job_id: int, sub_id: int) -> tuple[Job, Submission]:
    with hub.db.reading() as session:
        job, submission = session.get(Job, job_id), session.get(Submission, sub_id)
        assert job is not None and submission is not None
        return job, submission


class _Gate:
    """A test-only runner of code tasks: runs until the test releases it."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, task: EvaluationTask, kit: RunKit,
                 stop: threading.Event) -> EvaluationResult:
        self.started.set()
        self.release.wait(60)
        return EvaluationResult(status="finished", public=0.7, private=0.6)


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30  # bounds a broken run; not a timing threshold
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen"
        time.sleep(0.02)


def test_a_stopped_worker_keeps_its_job_alive_and_writes_it(
    hub: Hub, factories: Factories
) -> None:
    sub_id, job_id = _code_job(hub, factories, "term-local")
    gate = _Gate()
    hub.evaluator.kit.runners[TaskKind.CODE] = gate
    # A short lease: a job whose heartbeats stopped would be reaped within the test.
    worker = Worker(hub.db, hub.evaluator, lease_seconds=0.6, poll_seconds=0.05, name="w1")
    stop = threading.Event()
    loop = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
    loop.start()
    try:
        assert gate.started.wait(60)
        stop.set()  # SIGTERM while the job runs: no more jobs, but this one goes on
        beat = _rows(hub, job_id, sub_id)[0].heartbeat_at
        assert beat is not None
        _until(lambda: (_rows(hub, job_id, sub_id)[0].heartbeat_at or beat) > beat,
               "a heartbeat after the stop")
    finally:
        stop.set()
        gate.release.set()
        loop.join(timeout=60)
    assert not loop.is_alive()
    job, submission = _rows(hub, job_id, sub_id)
    assert (job.status, job.attempts) == (Status.FINISHED, 1)
    assert (submission.status, submission.public_score) == (Status.FINISHED, 0.7)


def test_a_worker_that_cannot_run_code_gives_the_job_back_until_its_tries_are_used(
    hub: Hub, factories: Factories
) -> None:
    sub_id, job_id = _code_job(hub, factories, "no-sandbox")
    hub.evaluator.kit.runners.pop(TaskKind.CODE)  # as on a machine without a sandbox
    told: list[list[int]] = []
    worker = Worker(hub.db, hub.evaluator, lease_seconds=30, poll_seconds=0.05,
                    requeued=told.append)
    tries = _rows(hub, job_id, sub_id)[0].max_attempts
    for attempt in range(1, tries):
        assert worker.run_once() and worker.put_back
        job, submission = _rows(hub, job_id, sub_id)
        assert (job.status, job.attempts, job.error_kind) == ("queued", attempt, "infrastructure")
        assert "cannot run code tasks" in job.error and submission.status == Status.QUEUED
    assert told == [[job_id]] * (tries - 1)
    # The last try fails it, with the reason; it never counts against the team.
    assert worker.run_once() and not worker.put_back
    job, submission = _rows(hub, job_id, sub_id)
    assert (job.status, job.attempts) == (Status.FAILED, tries)
    assert "cannot run code tasks" in job.error
    assert submission.status == Status.FAILED and submission.error == INTERNAL_FAILURE
    assert not worker.run_once()


def test_a_paused_worker_stops_at_once(hub: Hub, factories: Factories) -> None:
    _code_job(hub, factories, "pause")
    hub.evaluator.kit.runners.pop(TaskKind.CODE)
    worker = Worker(hub.db, hub.evaluator, lease_seconds=30, poll_seconds=0.05)
    stop = threading.Event()
    loop = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
    loop.start()
    try:
        _until(lambda: worker.put_back, "a run put back")
    finally:
        stop.set()  # ends the pause that follows a failure of ours
        loop.join(timeout=60)
    assert not loop.is_alive()


def test_backoff_doubles_up_to_its_most_and_starts_over() -> None:
    stop = threading.Event()
    backoff = Backoff(stop, first=0.001, most=0.004)
    pauses = []
    for _ in range(4):
        pauses.append(backoff.pause)
        assert backoff.wait()
    assert pauses == [0.001, 0.002, 0.004, 0.004]
    backoff.reset()
    stop.set()
    assert backoff.pause == 0.001 and not backoff.wait()


def test_worker_once_reaps_telling_the_hubs_executor(hub: Hub, factories: Factories) -> None:
    host, member = factories.host(), factories.person()
    challenge = factories.challenge(host, "once-reaped")
    factories.join(challenge, member)
    sub_id, job_id = _submit_file(hub, factories, "once-reaped", member,
                                  factories.bundles / "once-reaped" / "baseline.csv")
    with hub.db.transaction() as session:
        assert queue.claim(session, owner="dead", lease_seconds=1,
                           now=utcnow() - timedelta(minutes=1)) is not None

    told: list[list[int]] = []

    class Told(ExternalExecutor):  # the executor seam: notes what it is told
        def dispatch(self, job_ids: Sequence[int]) -> None:
            told.append(list(job_ids))

    hub.executor = Told()
    worker_verbs.run_local(hub, ("default",), once=True)
    assert told == [[job_id]]
    assert _rows(hub, job_id, sub_id)[1].status == Status.FINISHED


def test_aihub_worker_serves_the_worker_queues_setting(hub: Hub, factories: Factories) -> None:
    host, member = factories.host(), factories.person()
    challenge = factories.challenge(host, "own-queue")
    factories.join(challenge, member)
    sub_id, job_id = _submit_file(hub, factories, "own-queue", member,
                                  factories.bundles / "own-queue" / "baseline.csv")
    with hub.db.transaction() as session:
        session.execute(update(Job).where(Job.id == job_id).values(queue="special"))
    app = typer.Typer()
    worker_verbs.register(app)
    env = {"AIHUB_DATABASE_URL": hub.settings.resolved_database_url,
           "AIHUB_WORKER_QUEUES": "special"}
    ran = CliRunner().invoke(app, ["worker", "--once", "--data-dir",
                                   str(hub.settings.data_dir)], env=env)
    assert ran.exit_code == 0 and "Ran 1 job(s)" in ran.output, ran.output
    assert _rows(hub, job_id, sub_id)[1].status == Status.FINISHED


def test_a_crash_of_ours_in_scoring_is_tried_again_then_failed_uncounted(
    hub: Hub, factories: Factories
) -> None:
    """The uploaded file has gone from the store (an outage): not the participant's
    fault. The job goes back to the queue until its tries are spent, then fails with the
    hub's reason, and the team's count is unchanged."""
    host, member = factories.host(), factories.person()
    challenge = factories.challenge(host, "lost-solution")
    factories.join(challenge, member)
    sub_id, job_id = _submit_file(hub, factories, "lost-solution", member,
                                  factories.bundles / "lost-solution" / "baseline.csv")
    with hub.db.reading() as session:
        sha256 = session.get(Submission, sub_id).sha256  # type: ignore[union-attr]
    hub.storage.path(sha256).unlink()
    worker = _worker(hub)
    runs = 0
    while worker.run_once(job_id):
        runs += 1
        with hub.db.reading() as session:
            job = session.get(Job, job_id)
            assert job is not None
            if job.status == Status.QUEUED:
                assert session.get(Submission, sub_id).status == Status.QUEUED  # type: ignore[union-attr]
    with hub.db.reading() as session:
        job, submission = session.get(Job, job_id), session.get(Submission, sub_id)
        assert job is not None and submission is not None
        assert runs == job.max_attempts == job.attempts
        assert (job.status, job.error_kind) == (Status.FAILED, "infrastructure")
        assert submission.status == Status.FAILED and submission.error == INTERNAL_FAILURE
        assert "FileNotFoundError" in submission.host_error
