"""The HTTP pull API: claim, download, heartbeat, complete; tokens scoped to their queues."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from executor_helpers import (
    RecordingExecutor,
    counted_today,
    job_row,
    make_runner,
    submission_log,
    submission_row,
    submit,
    wait_for,
)
from fastapi.testclient import TestClient
from sqlalchemy import update

from aihub.challenges.models import Challenge
from aihub.db import utcnow
from aihub.evaluation import queue, runners
from aihub.evaluation.execute import INTERNAL_FAILURE, failed
from aihub.evaluation.models import Job, Runner
from aihub.evaluation.plans import BlobRef, ErrorKind, EvaluationResult
from aihub.evaluation.status import Status
from aihub.evaluation.worker import reap
from aihub.hub import Hub
from factories import Factories, Person


def _challenge(hub: Hub, factories: Factories, host: Person, slug: str, queue_name: str,
               org: str = "daejeon-city") -> Challenge:
    # Seeded by the slug: two challenges must not share a solution file (or its sha256).
    seed = int(hashlib.sha256(slug.encode()).hexdigest()[:6], 16)
    challenge = factories.challenge(host, slug, organization=org, seed=seed)
    with hub.db.transaction() as session:
        session.execute(update(Challenge).where(Challenge.id == challenge.id)
                        .values(queue=queue_name))
    return challenge


def _submission(hub: Hub, factories: Factories, slug: str, queue_name: str,
                member: Person | None = None) -> tuple[int, int]:
    member = member or factories.person()
    with hub.db.reading() as session:
        from aihub.challenges.services import get_challenge

        challenge = get_challenge(session, slug)
    factories.join(challenge, member)
    return submit(hub, factories, slug, member, factories.bundles / slug / "baseline.csv",
                  queue=queue_name)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _claim(client: TestClient, token: str, **body: object) -> httpx.Response:
    return client.post("/api/v1/runner/claim", json={"wait_seconds": 0, **body},
                       headers=_auth(token))


def _complete(client: TestClient, token: str, job_id: int, attempt: int,
              result: EvaluationResult, **files: object) -> httpx.Response:
    # The result goes as a JSON file part, as the runner sends it (fields stop at 1 MiB).
    parts = {"result": ("result.json", result.model_dump_json(), "application/json"), **files}
    return client.post(
        f"/api/v1/runner/jobs/{job_id}/complete", headers=_auth(token),
        data={"attempt": str(attempt)}, files=parts,  # type: ignore[arg-type]
    )


FINISHED = EvaluationResult(status="finished", public=0.9, private=0.8)


def test_claim_download_and_complete_record_the_result_once(
    hub: Hub, factories: Factories, client: TestClient
) -> None:
    host = factories.host()
    _challenge(hub, factories, host, "remote-a", "qa")
    sub_id, job_id = _submission(hub, factories, "remote-a", "qa")
    _, token = make_runner(hub, factories, ["qa"])
    claimed = _claim(client, token)
    assert claimed.status_code == 200, claimed.text
    body = claimed.json()
    assert body["job_id"] == job_id and body["attempt"] == 1
    assert body["heartbeat_seconds"] == pytest.approx(body["lease_seconds"] / 3)
    assert submission_row(hub, sub_id).status == Status.RUNNING
    names = {link["name"] for link in body["blobs"]}
    assert names == {"baseline.csv", "solution.csv"}
    for link in body["blobs"]:
        # A path on this hub: the runner sends its token to the hub's address only.
        assert link["url"].startswith(f"/api/v1/runner/jobs/{job_id}/blobs/")
        got = client.get(link["url"], headers=_auth(token))
        assert got.status_code == 200
        assert hashlib.sha256(got.content).hexdigest() == link["sha256"]
    done = _complete(client, token, job_id, 1, FINISHED)
    assert done.status_code == 200, done.text
    assert done.json() == {"status": "finished"}
    submission = submission_row(hub, sub_id)
    assert submission.status == Status.FINISHED and submission.public_score == 0.9
    assert job_row(hub, job_id).status == Status.FINISHED
    # A second completion, and downloads once the job is over, are refused.
    assert _complete(client, token, job_id, 1, FINISHED).status_code == 409
    assert client.get(body["blobs"][0]["url"], headers=_auth(token)).status_code == 404


def test_a_token_reaches_only_its_queues_jobs_and_files(
    hub: Hub, factories: Factories, client: TestClient
) -> None:
    host_a, host_b = factories.host("org-a"), factories.host("org-b")
    _challenge(hub, factories, host_a, "chal-a", "queue-a", "org-a")
    _challenge(hub, factories, host_b, "chal-b", "queue-b", "org-b")
    _, job_b = _submission(hub, factories, "chal-b", "queue-b")
    _, job_a = _submission(hub, factories, "chal-a", "queue-a")
    _, token = make_runner(hub, factories, ["queue-a"], person=host_a)

    refused = _claim(client, token, queues=["queue-b"])
    assert refused.status_code == 422 and "queue-b" in refused.json()["detail"]
    claimed = _claim(client, token).json()
    assert claimed["job_id"] == job_a
    assert _claim(client, token).status_code == 204
    assert job_row(hub, job_b).status == Status.QUEUED

    with hub.db.reading() as session:
        from aihub.challenges.services import get_challenge

        solution_b = get_challenge(session, "chal-b").solution_sha256
    # Guessing another challenge's blob through the held job, or asking for the other
    # job's files, finds nothing.
    for path in (f"/api/v1/runner/jobs/{job_a}/blobs/{solution_b}?attempt=1",
                 f"/api/v1/runner/jobs/{job_b}/blobs/{solution_b}?attempt=1",
                 f"/api/v1/runner/jobs/{job_b}/blobs/{solution_b}?attempt=0"):
        assert client.get(path, headers=_auth(token)).status_code in (404, 422)
    own = claimed["blobs"][0]
    wrong_attempt = own["url"].replace("attempt=1", "attempt=2")
    assert client.get(wrong_attempt, headers=_auth(token)).status_code == 404


def test_an_organizations_runner_never_takes_another_organizations_job(
    hub: Hub, factories: Factories, client: TestClient
) -> None:
    host_a, host_b = factories.host("org-a"), factories.host("org-b")
    chal_a = _challenge(hub, factories, host_a, "shared-a", "shared", "org-a")
    _challenge(hub, factories, host_b, "shared-b", "shared", "org-b")
    _, job_b = _submission(hub, factories, "shared-b", "shared")
    _, job_a = _submission(hub, factories, "shared-a", "shared")
    with hub.db.transaction() as session:
        _, token = runners.create_runner(
            session, factories.actor(factories.curator()), name="org-a-box",
            queues=["shared"], organization_id=chal_a.organization_id,
        )
    assert _claim(client, token).json()["job_id"] == job_a
    assert _claim(client, token).status_code == 204
    assert job_row(hub, job_b).status == Status.QUEUED


def test_heartbeats_keep_the_lease_and_a_stale_attempt_writes_nothing(
    hub: Hub, factories: Factories, client: TestClient
) -> None:
    host = factories.host()
    _challenge(hub, factories, host, "stale", "qs")
    sub_id, job_id = _submission(hub, factories, "stale", "qs")
    _, token = make_runner(hub, factories, ["qs"])
    assert _claim(client, token).json()["attempt"] == 1
    beat = client.post(f"/api/v1/runner/jobs/{job_id}/heartbeat", json={"attempt": 1},
                       headers=_auth(token))
    assert beat.status_code == 200 and "lease_expires_at" in beat.json()
    assert client.post(f"/api/v1/runner/jobs/{job_id}/heartbeat", json={"attempt": 2},
                       headers=_auth(token)).status_code == 409
    # The runner goes quiet past its lease: the reaper hands the job back and it is
    # claimed again (attempt 2); the first attempt's late result is refused.
    with hub.db.transaction() as session:
        session.execute(update(Job).where(Job.id == job_id)
                        .values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    assert reap(hub.db) == 1
    assert _claim(client, token).json()["attempt"] == 2
    stale = _complete(client, token, job_id, 1, EvaluationResult(status="finished", public=0.1))
    assert stale.status_code == 409
    submission = submission_row(hub, sub_id)
    assert submission.status == Status.RUNNING and submission.public_score is None
    assert _complete(client, token, job_id, 2, FINISHED).status_code == 200
    assert submission_row(hub, sub_id).public_score == 0.9
    assert job_row(hub, job_id).attempts == 2


def test_a_cancelled_job_answers_409_to_its_runner(
    hub: Hub, factories: Factories, client: TestClient
) -> None:
    host = factories.host()
    _challenge(hub, factories, host, "cancel-me", "qc")
    sub_id, job_id = _submission(hub, factories, "cancel-me", "qc")
    _, token = make_runner(hub, factories, ["qc"])
    assert _claim(client, token).status_code == 200
    with hub.db.transaction() as session:
        job = session.get(Job, job_id)
        assert job is not None and queue.cancel(session, job)
    assert client.post(f"/api/v1/runner/jobs/{job_id}/heartbeat", json={"attempt": 1},
                       headers=_auth(token)).status_code == 409
    assert _complete(client, token, job_id, 1, FINISHED).status_code == 409
    submission = submission_row(hub, sub_id)
    assert submission.status == Status.CANCELLED and submission.public_score is None


def test_unknown_and_revoked_tokens_get_401(
    hub: Hub, factories: Factories, client: TestClient
) -> None:
    runner_id, token = make_runner(hub, factories, ["default"], hub_wide=True)
    person = factories.person()
    for headers in ({}, {"Authorization": "Basic abc"}, _auth("aihub_rn_nonsense"),
                    person.headers):
        answer = client.post("/api/v1/runner/claim", json={"wait_seconds": 0}, headers=headers)
        assert answer.status_code == 401, headers
    assert _claim(client, token).status_code == 204
    with hub.db.reading() as session:
        runner = session.get(Runner, runner_id)
        assert runner is not None and runner.last_seen_at is not None
    with hub.db.transaction() as session:
        runners.revoke_runner(session, None, runner_id)
    assert _claim(client, token).status_code == 401


def test_detailed_results_come_only_from_an_upload(
    hub: Hub, factories: Factories, client: TestClient
) -> None:
    host = factories.host()
    _challenge(hub, factories, host, "details", "qd")
    first, job_1 = _submission(hub, factories, "details", "qd")
    second, job_2 = _submission(hub, factories, "details", "qd")
    _, token = make_runner(hub, factories, ["qd"])
    with hub.db.reading() as session:
        from aihub.challenges.services import get_challenge

        solution = get_challenge(session, "details").solution_sha256
    # A result naming a blob it did not upload (here, the hidden solution) gets none.
    assert _claim(client, token).json()["job_id"] == job_1
    leak = FINISHED.model_copy(update={
        "detailed_results": BlobRef(sha256=solution, size=1, name="detailed_results.html")})
    assert _complete(client, token, job_1, 1, leak).status_code == 200
    assert submission_row(hub, first).detailed_results_sha256 == ""
    assert _claim(client, token).json()["job_id"] == job_2
    page = b"<html><body>per-class scores</body></html>"
    done = _complete(client, token, job_2, 1, FINISHED,
                     detailed_results=("detailed_results.html", page, "text/html"))
    assert done.status_code == 200, done.text
    assert submission_row(hub, second).detailed_results_sha256 == hashlib.sha256(page).hexdigest()


def test_a_claim_waits_for_a_job_to_arrive(
    hub: Hub, factories: Factories, client: TestClient
) -> None:
    host = factories.host()
    _challenge(hub, factories, host, "long-poll", "ql")
    runner_id, token = make_runner(hub, factories, ["ql"])
    member = factories.person()
    with hub.db.reading() as session:
        from aihub.challenges.services import get_challenge

        factories.join(get_challenge(session, "long-poll"), member)
    answers: list[httpx.Response] = []
    waiting = threading.Thread(
        target=lambda: answers.append(_claim(client, token, wait_seconds=20)))
    waiting.start()
    # The claim is under way (its token was checked) before the job exists: only a claim
    # that waits can get it.
    wait_for(lambda: _seen(hub, runner_id), seconds=30, what="the claim arriving")
    _, job_id = submit(hub, factories, "long-poll", member,
                       factories.bundles / "long-poll" / "baseline.csv", queue="ql")
    waiting.join(timeout=60)
    assert answers and answers[0].status_code == 200
    assert answers[0].json()["job_id"] == job_id


def _seen(hub: Hub, runner_id: int) -> bool:
    with hub.db.reading() as session:
        runner = session.get(Runner, runner_id)
        return runner is not None and runner.last_seen_at is not None


def _store_root(hub: Hub) -> Path:
    return hub.storage.path("0" * 64).parents[2]


def test_a_store_outage_puts_the_job_back_and_touches_no_other(
    hub: Hub, factories: Factories, client: TestClient
) -> None:
    host = factories.host()
    _challenge(hub, factories, host, "drain", "qd")
    made = [_submission(hub, factories, "drain", "qd") for _ in range(3)]
    _, token = make_runner(hub, factories, ["qd"])
    store = _store_root(hub)
    away = store.with_name("blobs-away")
    store.rename(away)  # the shared store is briefly unmounted
    try:
        answer = _claim(client, token)
    finally:
        away.rename(store)
    # The runner is told to wait; the job it got is back in the queue, the others untouched.
    assert answer.status_code == 503, answer.text
    assert "try again" in answer.json()["detail"].lower()
    first_sub, first = made[0]
    job = job_row(hub, first)
    assert (job.status, job.attempts, job.error_kind) == ("queued", 1, "infrastructure")
    assert "cannot be handed to a runner" in job.error
    assert submission_row(hub, first_sub).status == Status.QUEUED
    assert [job_row(hub, job_id).attempts for _, job_id in made[1:]] == [0, 0]
    # The store is back: the same job is taken again, as its second try, and scored.
    claimed = _claim(client, token).json()
    assert (claimed["job_id"], claimed["attempt"]) == (first, 2)
    assert _complete(client, token, first, 2, FINISHED).json() == {"status": "finished"}
    assert job_row(hub, first).error == ""


def test_a_job_that_cannot_become_a_task_fails_as_ours_after_its_tries(
    hub: Hub, factories: Factories, client: TestClient
) -> None:
    host = factories.host()
    _challenge(hub, factories, host, "broken", "qx")
    sub_id, job_id = _submission(hub, factories, "broken", "qx")
    _, token = make_runner(hub, factories, ["qx"])
    hub.storage.path(submission_row(hub, sub_id).sha256).unlink()
    tries = job_row(hub, job_id).max_attempts
    for attempt in range(1, tries + 1):
        assert _claim(client, token).status_code == 503
        assert job_row(hub, job_id).attempts == attempt
    assert _claim(client, token).status_code == 204
    job = job_row(hub, job_id)
    assert job.status == Status.FAILED and job.error_kind == "infrastructure"
    assert "FileNotFoundError" in job.error
    submission = submission_row(hub, sub_id)
    assert submission.status == Status.FAILED
    assert "does not count against your limits" in submission.error
    assert counted_today(hub, sub_id) == 0


def test_a_runner_reporting_a_failure_of_its_own_gives_the_job_back(
    hub: Hub, factories: Factories, client: TestClient
) -> None:
    host = factories.host()
    _challenge(hub, factories, host, "no-sandbox", "qn")
    sub_id, job_id = _submission(hub, factories, "no-sandbox", "qn")
    _, token = make_runner(hub, factories, ["qn"])
    ours = failed(INTERNAL_FAILURE, ErrorKind.INFRASTRUCTURE, "this runner has no sandbox")
    tries = job_row(hub, job_id).max_attempts
    for attempt in range(1, tries):
        assert _claim(client, token).json()["attempt"] == attempt
        assert _complete(client, token, job_id, attempt, ours).json() == {"status": "queued"}
        assert submission_row(hub, sub_id).status == Status.QUEUED
        assert job_row(hub, job_id).error == "this runner has no sandbox"
    # The last try's failure is final, with its reason, and never counted.
    assert _claim(client, token).json()["attempt"] == tries
    assert _complete(client, token, job_id, tries, ours).json() == {"status": "failed"}
    job = job_row(hub, job_id)
    assert (job.status, job.error_kind, job.error) == (
        "failed", "infrastructure", "this runner has no sandbox")
    submission = submission_row(hub, sub_id)
    assert submission.status == Status.FAILED and submission.error == INTERNAL_FAILURE
    assert counted_today(hub, sub_id) == 0
    # Fenced as any result: a stale attempt's failure puts nothing back.
    assert _complete(client, token, job_id, 1, ours).status_code == 409


def test_a_file_missing_from_the_store_hides_no_other_file_of_the_job(
    hub: Hub, factories: Factories, client: TestClient
) -> None:
    host = factories.host()
    _challenge(hub, factories, host, "gone", "qg")
    sub_id, _ = _submission(hub, factories, "gone", "qg")
    _, token = make_runner(hub, factories, ["qg"])
    body = _claim(client, token).json()
    hub.storage.path(submission_row(hub, sub_id).sha256).unlink()
    links = {link["name"]: link["url"] for link in body["blobs"]}
    assert client.get(links["solution.csv"], headers=_auth(token)).status_code == 200
    missing = client.get(links["baseline.csv"], headers=_auth(token))
    assert missing.status_code == 503 and "missing" in missing.json()["detail"]


def test_a_result_over_a_mebibyte_is_recorded(
    hub: Hub, factories: Factories, client: TestClient
) -> None:
    host = factories.host()
    _challenge(hub, factories, host, "big-result", "qbig")
    sub_id, job_id = _submission(hub, factories, "big-result", "qbig")
    _, token = make_runner(hub, factories, ["qbig"])
    assert _claim(client, token).status_code == 200
    # A code run whose host allows 2 MiB of log (log_kb may reach 10240).
    log = "x" * (2 * 1024 * 1024)
    result = FINISHED.model_copy(update={"log": log, "host_log": log})
    answer = _complete(client, token, job_id, 1, result)
    assert answer.status_code == 200, answer.text
    assert submission_row(hub, sub_id).status == Status.FINISHED
    assert submission_log(hub, sub_id) == log


def test_a_curators_token_takes_only_the_jobs_of_its_queues_organization(
    hub: Hub, factories: Factories, client: TestClient
) -> None:
    host_a, host_b = factories.host("org-a"), factories.host("org-b")
    chal_a = _challenge(hub, factories, host_a, "acme", "acme-gpu", "org-a")
    # A curator registers org A's machine for org A's only queue, without naming org A.
    runner_id, token = make_runner(hub, factories, ["acme-gpu"])
    with hub.db.reading() as session:
        runner = session.get(Runner, runner_id)
        assert runner is not None and runner.organization_id == chal_a.organization_id
    # Org B's challenge later sends its jobs there (the bundle check refuses it; forced
    # here): org A's machine never gets them, nor their hidden solution.
    _challenge(hub, factories, host_b, "secret-b", "acme-gpu", "org-b")
    _, job_b = _submission(hub, factories, "secret-b", "acme-gpu")
    assert _claim(client, token).status_code == 204
    assert job_row(hub, job_b).status == Status.QUEUED


def test_the_runners_reaper_tells_the_executor_of_the_jobs_it_puts_back(
    hub: Hub, factories: Factories, client: TestClient
) -> None:
    host = factories.host()
    _challenge(hub, factories, host, "reaped", "qr")
    _, job_id = _submission(hub, factories, "reaped", "qr")
    with hub.db.transaction() as session:  # a worker that died holding it
        assert queue.claim(session, owner="dead", lease_seconds=1, queues=("qr",),
                           now=utcnow() - timedelta(minutes=1)) is not None
    told = RecordingExecutor()
    hub.executor = told
    _, token = make_runner(hub, factories, ["qr"])
    claimed = _claim(client, token).json()
    assert (claimed["job_id"], claimed["attempt"]) == (job_id, 2)
    assert told.dispatched == [[job_id]]
