"""The job queue's overview: counts, workers, the oldest wait, recent failures; curators only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from aihub.app import create_app
from aihub.db import utcnow
from aihub.errors import Forbidden, NotAuthenticated
from aihub.evaluation import queue
from aihub.evaluation.jobs import ScoreSubmission
from aihub.evaluation.models import Job
from aihub.evaluation.overview import job_overview
from aihub.evaluation.status import Status
from aihub.hub import Hub
from aihub.submissions.models import Submission
from factories import Factories

API = "/api/v1"


def _set(hub: Hub, job_id: int, **values: object) -> None:
    with hub.db.transaction() as session:
        session.execute(update(Job).where(Job.id == job_id).values(**values))


def test_the_overview_counts_jobs_and_names_workers(hub: Hub, factories: Factories) -> None:
    now = utcnow()
    with hub.db.transaction() as session:
        waiting = [queue.enqueue(session, ScoreSubmission(submission_id=0), queue=name).id
                   for name in ("default", "default", "gpu")]
        for owner in ("alpha", "alpha", "beta"):
            queue.enqueue(session, ScoreSubmission(submission_id=0), queue="gpu")
            assert queue.claim(session, owner=owner, lease_seconds=60, queues=("gpu",),
                               job_id=None) is not None
        done = queue.enqueue(session, ScoreSubmission(submission_id=0)).id
        old_failure = queue.enqueue(session, ScoreSubmission(submission_id=0)).id
    # The claims took the oldest gpu job first: the waiting gpu job is now running.
    _set(hub, waiting[0], created_at=now - timedelta(minutes=30))
    _set(hub, done, status=Status.FINISHED.value, finished_at=now - timedelta(hours=1))
    _set(hub, old_failure, status=Status.FAILED.value, finished_at=now - timedelta(days=2),
         error="long ago")
    with hub.db.reading() as session:
        view = job_overview(session, factories.actor(factories.curator()), now)
    assert (view.waiting, view.running, view.finished_recent, view.failed_recent) == (3, 3, 1, 0)
    assert {(q.queue, q.waiting, q.running) for q in view.queues} == {
        ("default", 2, 0), ("gpu", 1, 3)}
    assert [(w.name, w.running) for w in view.workers] == [("alpha", 2), ("beta", 1)]
    assert all(w.last_heartbeat is not None for w in view.workers)
    assert view.oldest_waiting_seconds is not None
    assert 29 * 60 <= view.oldest_waiting_seconds <= 31 * 60
    assert view.failures == []  # the failure is older than a day


def test_recent_failures_carry_the_hosts_error_and_the_challenge(
    hub: Hub, factories: Factories
) -> None:
    host, member = factories.host(), factories.person()
    challenge = factories.challenge(host, "failing")
    factories.join(challenge, member)
    sample = (factories.bundles / "failing" / "sample_submission.csv").read_text()
    with TestClient(create_app(hub=hub)) as api:
        submitted = api.post(f"{API}/challenges/failing/submissions", headers=member.headers,
                             files={"file": ("s.csv", sample)}).json()
    with hub.db.transaction() as session:
        session.execute(update(Submission).where(Submission.id == submitted["id"]).values(
            status="failed", error="Scoring failed; the hub has been told.",
            host_error="Traceback: KeyError 'target'"))
        session.execute(update(Job).where(Job.submission_id == submitted["id"]).values(
            status="failed", finished_at=utcnow(), error="Traceback: KeyError 'target'"))
    with hub.db.reading() as session:
        (failure,) = job_overview(session, factories.actor(factories.curator()),
                                  utcnow()).failures
    assert failure.challenge == "failing" and failure.submission_id == submitted["id"]
    assert failure.host_error == "Traceback: KeyError 'target'"
    assert failure.participant_error == "Scoring failed; the hub has been told."


def test_only_curators_see_the_queue(hub: Hub, factories: Factories) -> None:
    with hub.db.reading() as session:
        for person in (factories.person(), factories.host()):
            with pytest.raises(Forbidden):
                job_overview(session, factories.actor(person), utcnow())
        with pytest.raises(NotAuthenticated):
            job_overview(session, factories.actor(None), utcnow())


@contextmanager
def _api(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub=hub), raise_server_exceptions=False) as client:
        yield client


def test_the_json_route_is_for_curators(hub: Hub, factories: Factories) -> None:
    with _api(hub) as api:
        assert api.get(f"{API}/jobs/overview").status_code == 401
        assert api.get(f"{API}/jobs/overview",
                       headers=factories.host().headers).status_code == 403
        answer = api.get(f"{API}/jobs/overview", headers=factories.curator().headers)
        assert answer.status_code == 200
        assert answer.json()["waiting"] == 0 and answer.json()["recent_hours"] == 24
