"""Celery on the RabbitMQ at 127.0.0.1:5672: messages wake workers, the table decides.

Skipped, with the reason, when RabbitMQ does not answer or Celery is not installed. Each
test uses queues of its own, deleted afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from executor_helpers import (
    BROKER_URL,
    NO_SANDBOX,
    RABBITMQ,
    SCORES,
    Launcher,
    answers,
    code_challenge,
    counted_today,
    job_row,
    kill,
    stop_process,
    submission_row,
    submit,
    wait_for,
)

from aihub.evaluation.status import Status
from aihub.hub import Hub
from factories import Factories

celery = pytest.importorskip("celery", reason="Celery is not installed (pip install "
                             "'aihub[celery]')")

pytestmark = pytest.mark.slow


@pytest.fixture
def broker_queue(hub: Hub) -> Iterator[str]:
    """A queue name of this test's own on the real RabbitMQ, deleted afterwards."""
    if not answers(RABBITMQ):
        pytest.skip("RabbitMQ is not answering on 127.0.0.1:5672")
    if not hub.db.is_sqlite:
        pytest.skip("one run on SQLite is enough: Celery only carries job ids; the queue "
                    "code is tested on PostgreSQL")
    name = f"aihub-test-{uuid.uuid4().hex[:10]}"
    yield name
    from kombu import Connection

    with Connection(BROKER_URL) as connection:
        channel = connection.channel()
        channel.queue_delete(name)
        channel.exchange_delete(name)


def _executor(hub: Hub) -> object:
    from aihub.evaluation.executors import CeleryExecutor

    return CeleryExecutor(hub.db, BROKER_URL)


def _dispatch(hub: Hub, *job_ids: int) -> None:
    executor = _executor(hub)
    try:
        executor.dispatch(list(job_ids))  # type: ignore[attr-defined]
    finally:
        executor.stop()  # type: ignore[attr-defined]


def _prediction_job(hub: Hub, factories: Factories, slug: str, queue: str) -> tuple[int, int]:
    host, member = factories.host(), factories.person()
    challenge = factories.challenge(host, slug)
    factories.join(challenge, member)
    return submit(hub, factories, slug, member, factories.bundles / slug / "baseline.csv",
                  queue=queue)


def _finished(hub: Hub, job_id: int) -> bool:
    return job_row(hub, job_id).status == Status.FINISHED


def test_messages_run_jobs_and_a_duplicate_runs_nothing_twice(
    hub: Hub, factories: Factories, launcher: Launcher, broker_queue: str
) -> None:
    sub_id, job_id = _prediction_job(hub, factories, "celery-runs", broker_queue)
    # Published before any worker listens: RabbitMQ keeps them. The sweep is made slow,
    # so it is the messages that run the job.
    _dispatch(hub, job_id, job_id)
    worker = launcher.start("fast", "celery", broker_queue, "600")
    try:
        wait_for(lambda: _finished(hub, job_id), seconds=90, what="the job finishing")
    finally:
        stop_process(worker)
    assert worker.returncode == 0, launcher.logs()  # a warm shutdown, on SIGTERM
    assert job_row(hub, job_id).attempts == 1
    submission = submission_row(hub, sub_id)
    assert submission.status == Status.FINISHED and submission.public_score is not None


def test_a_job_whose_message_was_lost_still_runs(
    hub: Hub, factories: Factories, launcher: Launcher, broker_queue: str
) -> None:
    # No message at all (the broker was down at the commit): the worker's sweep finds it.
    _, job_id = _prediction_job(hub, factories, "celery-lost", broker_queue)
    worker = launcher.start("fast", "celery", broker_queue, "0.5")
    try:
        wait_for(lambda: _finished(hub, job_id), seconds=90, what="the swept job finishing")
    finally:
        # The result is committed. A warm shutdown waits out an AMQP heartbeat (several
        # seconds); the first test checks it, the others stop their workers cold.
        kill(worker)
    assert job_row(hub, job_id).attempts == 1


def test_a_broker_that_does_not_answer_loses_no_job(hub: Hub, factories: Factories) -> None:
    from aihub.evaluation.executors import CeleryExecutor

    if not hub.db.is_sqlite:
        pytest.skip("the dispatch path is the same on PostgreSQL")
    _, job_id = _prediction_job(hub, factories, "celery-down", "default")
    executor = CeleryExecutor(hub.db, "amqp://guest:guest@127.0.0.1:9//")
    executor.dispatch([job_id])  # logged, not raised: the commit stands
    executor.stop()
    assert job_row(hub, job_id).status == Status.QUEUED


def test_celery_worker_killed_mid_job_runs_again_once(
    hub: Hub, factories: Factories, launcher: Launcher, broker_queue: str
) -> None:
    host, member = factories.host(), factories.person()
    challenge = code_challenge(hub, factories, host, "celery-kill", queue=broker_queue)
    factories.join(challenge, member)
    sub_id, job_id = submit(hub, factories, "celery-kill", member,
                            factories.bundles / "celery-kill" / "baseline.csv",
                            queue=broker_queue)
    counted = counted_today(hub, sub_id)
    _dispatch(hub, job_id)
    victim = launcher.start("slow", "celery", broker_queue, "600")
    try:
        wait_for(launcher.started(job_id, 1).exists, seconds=90, what="the first attempt")
    except AssertionError:
        stop_process(victim)
        raise AssertionError(launcher.logs()) from None
    kill(victim)
    assert submission_row(hub, sub_id).public_score is None
    # RabbitMQ gives the unacknowledged message back at once; the job is still leased, so
    # the new worker drops it, then its reaper hands the job back and re-publishes it.
    rescuer = launcher.start("fast", "celery", broker_queue, "600")
    try:
        wait_for(lambda: _finished(hub, job_id), seconds=90, what="the second attempt")
    finally:
        kill(rescuer)
    job = job_row(hub, job_id)
    submission = submission_row(hub, sub_id)
    assert job.attempts == 2
    assert (submission.status, submission.public_score) == (Status.FINISHED, SCORES["public"])
    assert counted_today(hub, sub_id) == counted


def test_a_failure_of_ours_is_published_again_until_its_tries_are_used(
    hub: Hub, factories: Factories, launcher: Launcher, broker_queue: str
) -> None:
    host, member = factories.host(), factories.person()
    challenge = code_challenge(hub, factories, host, "celery-ours", queue=broker_queue)
    factories.join(challenge, member)
    sub_id, job_id = submit(hub, factories, "celery-ours", member,
                            factories.bundles / "celery-ours" / "baseline.csv",
                            queue=broker_queue)
    _dispatch(hub, job_id)
    # Each try fails on the worker's side and puts the job back with a new message (the
    # sweep is too slow to be what runs it again), until its tries are used.
    worker = launcher.start("ours", "celery", broker_queue, "600")
    try:
        wait_for(lambda: job_row(hub, job_id).status == Status.FAILED, seconds=90,
                 what="the last try failing")
    except AssertionError:
        raise AssertionError(launcher.logs()) from None
    finally:
        kill(worker)
    job = job_row(hub, job_id)
    assert (job.attempts, job.error_kind, job.error) == (
        job.max_attempts, "infrastructure", NO_SANDBOX)
    for attempt in range(1, job.max_attempts + 1):
        assert launcher.started(job_id, attempt).exists()
    assert submission_row(hub, sub_id).status == Status.FAILED
    assert counted_today(hub, sub_id) == 0
