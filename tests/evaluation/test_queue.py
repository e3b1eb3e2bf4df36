"""The job table as a queue: exclusive claims, leases, heartbeats, the reaper, fencing."""

from __future__ import annotations

import threading
from datetime import timedelta

from aihub.db import utcnow
from aihub.evaluation import queue
from aihub.evaluation.jobs import ScoreSubmission, parse_payload
from aihub.evaluation.models import Job
from aihub.evaluation.status import Status
from aihub.hub import Hub


def _enqueue(hub: Hub, n: int = 1, **kwargs: object) -> list[int]:
    with hub.db.transaction() as session:
        return [
            queue.enqueue(session, ScoreSubmission(submission_id=1000 + i), **kwargs).id  # type: ignore[arg-type]
            for i in range(n)
        ]


def test_payload_round_trip(hub: Hub) -> None:
    (job_id,) = _enqueue(hub)
    with hub.db.reading() as session:
        job = session.get(Job, job_id)
        assert job is not None
        assert parse_payload(job.payload) == ScoreSubmission(submission_id=1000)
        assert job.status == Status.QUEUED


def test_claim_takes_the_oldest_and_only_once(hub: Hub) -> None:
    first, second = _enqueue(hub, 2)
    with hub.db.transaction() as session:
        lease = queue.claim(session, owner="w1", lease_seconds=30)
    assert lease is not None and lease.job_id == first and lease.attempt == 1
    with hub.db.transaction() as session:
        assert queue.claim(session, owner="w2", lease_seconds=30, job_id=first) is None
        other = queue.claim(session, owner="w2", lease_seconds=30)
    assert other is not None and other.job_id == second
    with hub.db.transaction() as session:
        assert queue.claim(session, owner="w3", lease_seconds=30) is None


def test_a_job_is_taken_from_the_claimers_queues_only(hub: Hub) -> None:
    (job_id,) = _enqueue(hub, queue="org-gpu")
    with hub.db.transaction() as session:
        # Named by id or not, a worker of other queues does not take it.
        assert queue.claim(session, owner="hub", lease_seconds=30, job_id=job_id) is None
        assert queue.claim(session, owner="hub", lease_seconds=30) is None
        lease = queue.claim(session, owner="org", lease_seconds=30, job_id=job_id,
                            queues=("org-gpu",))
    assert lease is not None and lease.job_id == job_id


def test_concurrent_claims_never_share_a_job(hub: Hub) -> None:
    _enqueue(hub, 40)
    claimed: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while True:
            with hub.db.transaction() as session:
                lease = queue.claim(session, owner=name, lease_seconds=30)
            if lease is None:
                return
            with lock:
                claimed.append(lease.job_id)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(set(claimed))
    assert len(claimed) == 40


def test_reaper_requeues_expired_lease_and_fences_old_owner(hub: Hub) -> None:
    (job_id,) = _enqueue(hub)
    past = utcnow() - timedelta(minutes=5)
    with hub.db.transaction() as session:
        old = queue.claim(session, owner="dead", lease_seconds=1, now=past)
    assert old is not None
    with hub.db.transaction() as session:
        reaped = queue.reap(session)
    assert [job.id for job in reaped.requeued] == [job_id]
    with hub.db.transaction() as session:
        new = queue.claim(session, owner="alive", lease_seconds=30)
    assert new is not None and new.attempt == 2
    with hub.db.transaction() as session:
        # The dead worker comes back: it holds nothing and its heartbeat is refused.
        assert queue.holds(session, old) is None
        assert not queue.heartbeat(session, old, lease_seconds=30)
        assert queue.holds(session, new) is not None


def test_heartbeat_keeps_the_lease(hub: Hub) -> None:
    _enqueue(hub)
    with hub.db.transaction() as session:
        lease = queue.claim(session, owner="w", lease_seconds=0.5)
    assert lease is not None
    with hub.db.transaction() as session:
        assert queue.heartbeat(session, lease, lease_seconds=60)
    with hub.db.transaction() as session:
        assert queue.reap(session).requeued == []


def test_reaper_gives_up_after_max_attempts(hub: Hub) -> None:
    (job_id,) = _enqueue(hub, max_attempts=2)
    for _ in range(2):
        past = utcnow() - timedelta(minutes=5)
        with hub.db.transaction() as session:
            assert queue.claim(session, owner="w", lease_seconds=1, now=past) is not None
        with hub.db.transaction() as session:
            reaped = queue.reap(session)
    assert [job.id for job in reaped.given_up] == [job_id]
    with hub.db.reading() as session:
        job = session.get(Job, job_id)
        assert job is not None
        assert job.status == Status.FAILED
        assert "gave up after 2 tries" in job.error
        # Ours, not the participant's: never counted against them.
        assert job.error_kind == "infrastructure"


def test_queue_position(hub: Hub) -> None:
    ids = _enqueue(hub, 3)
    with hub.db.reading() as session:
        positions = [queue.position_in_queue(session, session.get(Job, i)) for i in ids]  # type: ignore[arg-type]
    assert positions == [0, 1, 2]


def _job(hub: Hub, job_id: int) -> Job:
    with hub.db.reading() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def test_cancel_ends_queued_and_running_jobs_and_fences_the_worker(hub: Hub) -> None:
    queued, running, done = _enqueue(hub, 3)
    with hub.db.transaction() as session:
        lease = queue.claim(session, owner="w", lease_seconds=30, job_id=running)
        finished = queue.claim(session, owner="w", lease_seconds=30, job_id=done)
    assert lease is not None and finished is not None
    with hub.db.transaction() as session:
        assert queue.finish_held(session, finished, Status.FINISHED)
    with hub.db.transaction() as session:
        assert queue.cancel(session, session.get(Job, queued))  # type: ignore[arg-type]
        assert queue.cancel(session, session.get(Job, running))  # type: ignore[arg-type]
        assert not queue.cancel(session, session.get(Job, done))  # type: ignore[arg-type]
    assert [_job(hub, i).status for i in (queued, running, done)] == [
        Status.CANCELLED, Status.CANCELLED, Status.FINISHED]
    with hub.db.transaction() as session:
        # The worker still running it learns at its next heartbeat, and cannot write.
        assert not queue.heartbeat(session, lease, lease_seconds=30)
        assert not queue.finish_held(session, lease, Status.FINISHED)
        assert queue.claim(session, owner="w2", lease_seconds=30, job_id=queued) is None


def _finish_one(hub: Hub, job_id: int, seconds: float, owner: str = "w") -> None:
    start = utcnow() - timedelta(seconds=seconds)
    with hub.db.transaction() as session:
        lease = queue.claim(session, owner=owner, lease_seconds=3600, job_id=job_id, now=start,
                            queues=("gpu",))
        assert lease is not None and queue.finish_held(session, lease, Status.FINISHED)


def test_queue_estimate_from_the_queues_history_and_busy_workers(hub: Hub) -> None:
    history = _enqueue(hub, 3, queue="gpu")
    for job_id, seconds in zip(history, (10, 20, 30), strict=True):
        _finish_one(hub, job_id, seconds)
    waiting = _enqueue(hub, 4, queue="gpu")
    other = _enqueue(hub, 1, queue="cpu")
    with hub.db.reading() as session:
        # Nothing running: the next job starts at once, the fourth after three runs.
        assert queue.queue_estimate(session, _job(hub, waiting[0])) == (0, 0.0)
        assert queue.queue_estimate(session, _job(hub, waiting[3])) == (3, 60.0)
        # A queue with no history has a place but no estimate.
        assert queue.queue_estimate(session, _job(hub, other[0])) == (0, None)
    # Two workers busy with the first two waiting jobs: the rest share them, plus half a
    # run for the current ones to end.
    for owner, job_id in (("a", waiting[0]), ("b", waiting[1])):
        with hub.db.transaction() as session:
            assert queue.claim(session, owner=owner, lease_seconds=60, job_id=job_id,
                               queues=("gpu",))
    with hub.db.reading() as session:
        assert queue.queue_estimate(session, _job(hub, waiting[2])) == (0, 10.0)
        assert queue.queue_estimate(session, _job(hub, waiting[3])) == (1, 20.0)
        # Started jobs are no longer waiting.
        assert queue.queue_estimate(session, _job(hub, waiting[0])) == (None, None)
