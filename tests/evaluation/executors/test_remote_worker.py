"""The pulling runner (``aihub worker --remote``) against the hub's real routes, in process."""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

import httpx
import pytest
from executor_helpers import (
    SCORES,
    ScriptedRunner,
    app_with_runner_api,
    code_challenge,
    job_row,
    make_runner,
    submission_log,
    submission_row,
    submit,
    wait_for,
)
from fastapi.testclient import TestClient

from aihub.challenges.models import Challenge
from aihub.evaluation import queue
from aihub.evaluation.execute import RunKit
from aihub.evaluation.models import Job
from aihub.evaluation.plans import (
    BlobRef,
    ErrorKind,
    EvaluationResult,
    EvaluationTask,
    TaskKind,
)
from aihub.evaluation.remote import BlobCache, HubClient, HubRefusedError, RemoteWorker
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
    # The challenge's files stay in the runner's cache, by sha256; the submission, used
    # once, is gone.
    assert (tmp_path / "cache" / "blobs" / challenge.solution_sha256).is_file()
    assert not (tmp_path / "cache" / "blobs" / submission.sha256).exists()


def test_a_damaged_download_fails_the_job_as_ours_and_says_why(
    hub: Hub, factories: Factories, runner_http: TestClient, tmp_path: Path
) -> None:
    _, sub_id, job_id = _prediction_job(hub, factories, "damaged")
    _, token = make_runner(hub, factories, ["default"])
    stored = hub.storage.path(submission_row(hub, sub_id).sha256)
    stored.chmod(0o644)
    stored.write_bytes(b"id,target\n1,0.5\n")  # the bytes served no longer match the name
    worker = _remote(runner_http, token, tmp_path / "cache")
    # Ours, so retried (it might have been the network); each try fails the same way.
    tries = job_row(hub, job_id).max_attempts
    for attempt in range(1, tries + 1):
        assert worker.run_once(threading.Event())
        job = job_row(hub, job_id)
        assert job.attempts == attempt and job.error_kind == "infrastructure"
        assert "sha256" in job.error
    assert job.status == Status.FAILED
    submission = submission_row(hub, sub_id)
    assert submission.status == Status.FAILED and submission.error == INTERNAL_FAILURE
    assert not list((tmp_path / "cache" / "blobs").glob(submission.sha256))


def test_a_full_disk_fails_the_try_as_ours_and_the_runner_goes_on(
    hub: Hub, factories: Factories, runner_http: TestClient, tmp_path: Path
) -> None:
    _, sub_id, job_id = _prediction_job(hub, factories, "full-disk")
    _, token = make_runner(hub, factories, ["default"])
    worker = _remote(runner_http, token, tmp_path / "cache")
    worker.cache.tmp.rmdir()
    worker.cache.tmp.write_text("")  # downloads cannot be written (as on a full disk)
    assert worker.run_once(threading.Event())
    job = job_row(hub, job_id)
    assert (job.status, job.attempts, job.error_kind) == ("queued", 1, "infrastructure")
    assert "runner could not get" in job.error
    worker.cache.tmp.unlink()
    worker.cache.tmp.mkdir()
    assert worker.run_once(threading.Event())
    assert submission_row(hub, sub_id).status == Status.FINISHED


def test_a_stop_mid_job_still_reports_the_job(
    hub: Hub, factories: Factories, runner_http: TestClient, tmp_path: Path
) -> None:
    host, member = factories.host(), factories.person()
    challenge = code_challenge(hub, factories, host, "term-remote")
    factories.join(challenge, member)
    sub_id, job_id = submit(hub, factories, "term-remote", member,
                            factories.bundles / "term-remote" / "baseline.csv")
    _, token = make_runner(hub, factories, ["default"])
    shutdown = threading.Event()

    def runner(task: EvaluationTask, kit: RunKit, stop: threading.Event) -> EvaluationResult:
        shutdown.set()  # SIGTERM arrives while the job runs
        return EvaluationResult(status="finished", **SCORES)

    worker = _remote(runner_http, token, tmp_path / "cache", runners={TaskKind.CODE: runner})
    assert worker.run_once(shutdown)
    assert job_row(hub, job_id).status == Status.FINISHED
    submission = submission_row(hub, sub_id)
    assert (submission.status, submission.public_score) == (Status.FINISHED, SCORES["public"])
    assert not worker.run_once(shutdown)  # and no further job is claimed


class _BigLog:
    """A code run whose log is ``size`` characters (a host may allow 10 MiB)."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __call__(self, task: EvaluationTask, kit: RunKit,
                 stop: threading.Event) -> EvaluationResult:
        return EvaluationResult(status="finished", log="x" * self.size, **SCORES)


class _BodyLimit(httpx.BaseTransport):
    """A reverse proxy in front of the hub whose body limit is ``limit`` bytes (nginx's
    ``client_max_body_size`` is 1 MiB by default): the network seam, not our code."""

    def __init__(self, hub: httpx.BaseTransport, limit: int) -> None:
        self.hub = hub
        self.limit = limit

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if len(request.read()) > self.limit:
            return httpx.Response(413, text="<html>413 Request Entity Too Large</html>")
        return self.hub.handle_request(request)


def test_a_result_the_hub_refuses_is_sent_again_trimmed(
    hub: Hub, factories: Factories, runner_http: TestClient, tmp_path: Path
) -> None:
    host, member = factories.host(), factories.person()
    challenge = code_challenge(hub, factories, host, "big-log")
    factories.join(challenge, member)
    sub_id, job_id = submit(hub, factories, "big-log", member,
                            factories.bundles / "big-log" / "baseline.csv")
    _, token = make_runner(hub, factories, ["default"])
    proxy = _BodyLimit(runner_http._transport, 1024 * 1024)
    http = httpx.Client(base_url=str(runner_http.base_url), transport=proxy)
    client = HubClient(str(runner_http.base_url), token, client=http, wait_seconds=0)
    worker = RemoteWorker(client, tmp_path / "cache", max_bytes=10**9,
                          runners={TaskKind.CODE: _BigLog(2 * 1024 * 1024)})
    assert worker.run_once(threading.Event())
    # Not left to time out: the scores are written, with the end of the log.
    assert job_row(hub, job_id).status == Status.FINISHED
    submission = submission_row(hub, sub_id)
    assert (submission.status, submission.public_score) == (Status.FINISHED, SCORES["public"])
    log = submission_log(hub, sub_id)
    assert log.startswith("[… ") and log.endswith("x") and len(log) < 70 * 1024


def _mock_hub(handler: Callable[[httpx.Request], httpx.Response]) -> HubClient:
    """A client whose hub is ``handler`` (the network seam): for answers our hub never
    gives, as a proxy or a newer hub would."""
    http = httpx.Client(base_url="http://hub", transport=httpx.MockTransport(handler))
    return HubClient("http://hub", "aihub_rn_x", client=http, wait_seconds=0)


def test_a_download_waits_out_a_proxys_503(tmp_path: Path) -> None:
    answers = iter([httpx.Response(503, text="upstream down"), httpx.Response(200, content=b"abc")])
    seen: list[str] = []

    def hub_side(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return next(answers)

    ref = BlobRef(sha256=hashlib.sha256(b"abc").hexdigest(), size=3, name="a.csv")
    cache = BlobCache(tmp_path)
    path = cache.fetch(ref, functools.partial(_mock_hub(hub_side).download, threading.Event(),
                                              "/api/v1/runner/jobs/1/blobs/x?attempt=1"))
    assert path.read_bytes() == b"abc" and len(seen) == 2


def test_the_token_is_never_sent_to_another_address(tmp_path: Path) -> None:
    requests: list[httpx.Request] = []

    def anywhere(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, content=b"abc")

    client = _mock_hub(anywhere)
    with pytest.raises(HubRefusedError, match="another address"):
        client.download(threading.Event(), "https://elsewhere.example/steal", tmp_path / "f")
    assert requests == []
    # The hub's own address, written out, is still the hub.
    client.download(threading.Event(), "http://hub/api/v1/runner/jobs/1/blobs/x",
                    tmp_path / "f")
    assert [request.url.host for request in requests] == ["hub"]


def _parts(request: httpx.Request) -> dict[str, bytes]:
    """The parts of a multipart request, by name."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.read())
    return {str(part.get_param("name", header="content-disposition")):
            bytes(part.get_payload(decode=True)) for part in message.iter_parts()}


_NEWER_TASK = {
    "job_id": 7, "attempt": 1, "lease_expires_at": "2030-01-01T00:00:00Z",
    "lease_seconds": 30, "heartbeat_seconds": 10, "blobs": [],
    "task": {"version": 2, "job_id": 7, "attempt": 1, "submission_id": 1, "challenge": "c",
             "kind": "predictions",
             "submission": {"sha256": "0" * 64, "size": 1, "name": "a.csv"}},
}


def test_a_task_of_a_newer_hub_is_failed_as_ours_and_the_runner_goes_on(
    tmp_path: Path
) -> None:
    stop = threading.Event()
    completed: list[EvaluationResult] = []

    def newer_hub(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/runner/claim":
            return httpx.Response(200, json=_NEWER_TASK)
        assert request.url.path == "/api/v1/runner/jobs/7/complete"
        completed.append(EvaluationResult.model_validate_json(_parts(request)["result"]))
        stop.set()
        return httpx.Response(200, json={"status": "queued"})

    worker = RemoteWorker(_mock_hub(newer_hub), tmp_path / "cache", max_bytes=10**6)
    worker.run_forever(stop)  # returns once told to stop: nothing raised
    (result,) = completed
    assert result.status == "failed" and result.error_kind is ErrorKind.INFRASTRUCTURE
    assert "older than the hub's" in result.host_error


def test_an_answer_that_is_not_json_does_not_end_the_runner(tmp_path: Path) -> None:
    stop = threading.Event()
    claims: list[int] = []

    def broken_proxy(request: httpx.Request) -> httpx.Response:
        claims.append(1)
        if len(claims) == 2:
            stop.set()
        return httpx.Response(200, text="<html>maintenance</html>")

    worker = RemoteWorker(_mock_hub(broken_proxy), tmp_path / "cache", max_bytes=10**6)
    worker.run_forever(stop)  # logged, paused, tried again; no exception escapes
    assert len(claims) == 2


def test_the_cache_drops_the_least_recently_used_files_first(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    refs = []
    for number, content in enumerate((b"old" * 100, b"mid" * 100, b"new" * 100)):
        ref = BlobRef(sha256=hashlib.sha256(content).hexdigest(), size=len(content),
                      name=f"f{number}.csv")
        cache.fetch(ref, functools.partial(Path.write_bytes, data=content))
        os.utime(cache.blobs / ref.sha256, ns=(number * 10**9, number * 10**9))
        refs.append(ref)
    cache.fetch(refs[0], lambda path: pytest.fail("a cached file is not downloaded"))
    # Using the oldest made it the most recent: the middle one goes first.
    assert cache.trim(600) == [refs[1].sha256]
    assert cache.trim(0) == [refs[2].sha256, refs[0].sha256]
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
