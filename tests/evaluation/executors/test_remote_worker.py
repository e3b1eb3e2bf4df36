"""The pulling runner (``aihub worker --remote``) against the hub's real routes, in process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from executor_helpers import (
    ScriptedRunner,
    app_with_runner_api,
    code_challenge,
    job_row,
    make_runner,
    submission_row,
    submit,
    wait_for,
)
from fastapi.testclient import TestClient

from aihub.challenges.models import Challenge
from aihub.evaluation import queue
from aihub.evaluation.models import Job
from aihub.evaluation.plans import TaskKind
from aihub.evaluation.remote import HubClient, RemoteWorker
from aihub.evaluation.runner import INTERNAL_FAILURE
from aihub.evaluation.status import Status
from aihub.hub import Hub
from factories import Factories


@pytest.fixture
def runner_http(hub: Hub) -> Iterator[TestClient]:
    """An HTTP client of its own for the runner (it sets its token on it)."""
    with TestClient(app_with_runner_api(hub), raise_server_exceptions=False) as http:
        yield http


def _remote(http: TestClient, token: str, cache: Path, **kwargs: object) -> RemoteWorker:
    client = HubClient(str(http.base_url), token, client=http, wait_seconds=0)
    return RemoteWorker(client, cache, max_bytes=10**9, **kwargs)  # type: ignore[arg-type]


def _prediction_job(hub: Hub, factories: Factories, slug: str) -> tuple[Challenge, int, int]:
    host, member = factories.host(), factories.person()
    challenge = factories.challenge(host, slug)
    factories.join(challenge, member)
    sub_id, job_id = submit(hub, factories, slug, member, factories.bundles / slug / "baseline.csv")
    return challenge, sub_id, job_id


def test_a_remote_runner_scores_as_the_hub_would(
    hub: Hub, factories: Factories, runner_http: TestClient, tmp_path: Path
) -> None:
    challenge, sub_id, job_id = _prediction_job(hub, factories, "remote-scores")
    _, token = make_runner(hub, factories, ["default"])
    worker = _remote(runner_http, token, tmp_path / "cache")
    stop = threading.Event()
    assert worker.run_once(stop)
    assert not worker.run_once(stop)  # nothing left: the claim answered 204
    submission = submission_row(hub, sub_id)
    assert submission.status == Status.FINISHED
    expected = hub.evaluator.evaluate(challenge, submission)
    assert (submission.public_score, submission.private_score) == (
        expected.public, expected.private)
    job = job_row(hub, job_id)
    assert job.status == Status.FINISHED and job.attempts == 1
    # The files stayed in the runner's cache, by sha256.
    assert (tmp_path / "cache" / "blobs" / submission.sha256).is_file()


def test_a_damaged_download_fails_the_job_as_ours_and_says_why(
    hub: Hub, factories: Factories, runner_http: TestClient, tmp_path: Path
) -> None:
    _, sub_id, job_id = _prediction_job(hub, factories, "damaged")
    _, token = make_runner(hub, factories, ["default"])
    stored = hub.storage.path(submission_row(hub, sub_id).sha256)
    stored.chmod(0o644)
    stored.write_bytes(b"id,target\n1,0.5\n")  # the bytes served no longer match the name
    assert _remote(runner_http, token, tmp_path / "cache").run_once(threading.Event())
    job = job_row(hub, job_id)
    assert job.status == Status.FAILED and job.error_kind == "infrastructure"
    assert "does not match" in job.error or "sha256" in job.error
    submission = submission_row(hub, sub_id)
    assert submission.status == Status.FAILED and submission.error == INTERNAL_FAILURE
    assert not list((tmp_path / "cache" / "blobs").glob(submission.sha256))


def test_a_cancelled_job_stops_the_remote_run_and_writes_nothing(
    hub: Hub, factories: Factories, runner_http: TestClient, tmp_path: Path
) -> None:
    host, member = factories.host(), factories.person()
    challenge = code_challenge(hub, factories, host, "remote-cancel")
    factories.join(challenge, member)
    sub_id, job_id = submit(hub, factories, "remote-cancel", member,
                            factories.bundles / "remote-cancel" / "baseline.csv")
    _, token = make_runner(hub, factories, ["default"])
    markers = tmp_path / "markers"
    markers.mkdir()
    worker = _remote(runner_http, token, tmp_path / "cache",
                     runners={TaskKind.CODE: ScriptedRunner("slow", markers)})
    running = threading.Thread(target=worker.run_once, args=(threading.Event(),))
    running.start()
    wait_for((markers / f"started-{job_id}-1").exists, seconds=60, what="the run starting")
    with hub.db.transaction() as session:
        job = session.get(Job, job_id)
        assert job is not None and queue.cancel(session, job)
    # The next heartbeat is refused (409), which stops the run; nothing is completed.
    running.join(timeout=60)
    assert not running.is_alive()
    assert job_row(hub, job_id).status == Status.CANCELLED
    submission = submission_row(hub, sub_id)
    assert submission.status == Status.CANCELLED and submission.public_score is None


def test_an_unreachable_hub_is_waited_for_not_fatal(tmp_path: Path) -> None:
    client = HubClient("http://127.0.0.1:9", "aihub_rn_x", wait_seconds=0)
    worker = RemoteWorker(client, tmp_path / "cache", max_bytes=10**6)
    stop = threading.Event()
    threading.Timer(1.5, stop.set).start()
    try:
        assert not worker.run_once(stop)  # retried with backoff until told to stop
    finally:
        client.close()


def test_a_remote_runner_runs_code_in_its_own_sandbox(hub: Hub) -> None:
    from aihub.hub import sandbox_runners

    # Made as the hub makes its own; the sandbox itself is probed at the first code job.
    assert set(sandbox_runners(hub.settings)[1]) == {TaskKind.CODE, TaskKind.PROGRAM}
