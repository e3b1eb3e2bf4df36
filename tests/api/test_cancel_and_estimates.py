"""Never stuck, through the API: a waiting submission says where it stands in the queue and
when it should start, a running one since when; the team withdraws its own while it waits,
hosts stop it while it runs too, and a cancelled one never counts nor gets scored later.
A scoring program's detailed results reach the team and the hosts only, under a strict
Content-Security-Policy."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from aihub.app import create_app
from aihub.challenges.models import Challenge, Phase
from aihub.db import utcnow
from aihub.evaluation import queue
from aihub.evaluation.models import Job
from aihub.evaluation.plans import EvaluationResult
from aihub.evaluation.queue import Lease
from aihub.evaluation.runner import record_result
from aihub.evaluation.worker import claim_in, reap
from aihub.hub import Hub
from aihub.submissions.models import Submission
from factories import Factories, Person
from sandboxed import run_queued

API = "/api/v1"
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"


@pytest.fixture
def api(hub: Hub) -> Iterator[TestClient]:
    """The API of a hub with no worker running: what is queued stays queued."""
    with TestClient(create_app(hub=hub), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def challenge(factories: Factories) -> Challenge:
    return factories.challenge(factories.host(), "queue-test")


def _member(factories: Factories, challenge: Challenge) -> Person:
    person = factories.person()
    factories.join(challenge, person)
    return person


def _submit(api: TestClient, factories: Factories, person: Person, slug: str) -> dict[str, Any]:
    sample = (factories.bundles / slug / "sample_submission.csv").read_bytes()
    response = api.post(f"{API}/challenges/{slug}/submissions", headers=person.headers,
                        files={"file": ("p.csv", sample)})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _get(api: TestClient, person: Person, submission_id: int) -> dict[str, Any]:
    response = api.get(f"{API}/submissions/{submission_id}", headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _today(api: TestClient, person: Person, slug: str) -> int:
    return int(api.get(f"{API}/challenges/{slug}/limits", headers=person.headers).json()["today"])


def test_a_team_withdraws_its_queued_submission_and_it_does_not_count(
    api: TestClient, factories: Factories, challenge: Challenge, hub: Hub
) -> None:
    member, stranger = _member(factories, challenge), _member(factories, challenge)
    sent = _submit(api, factories, member, challenge.slug)
    assert sent["status"] == "queued" and sent["can_cancel"] is True
    assert _today(api, member, challenge.slug) == 1

    refused = api.post(f"{API}/submissions/{sent['id']}/cancel", headers=stranger.headers)
    assert refused.status_code == 404  # another team's submission is not found
    cancelled = api.post(f"{API}/submissions/{sent['id']}/cancel", headers=member.headers)
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "cancelled" and body["can_cancel"] is False
    assert "does not count" in body["error"] and body["estimate"] is None
    assert _today(api, member, challenge.slug) == 0

    again = api.post(f"{API}/submissions/{sent['id']}/cancel", headers=member.headers)
    assert again.status_code == 409
    assert "nothing to cancel" in again.json()["detail"]
    with hub.db.reading() as session:
        job = session.scalar(select(Job).where(Job.submission_id == sent["id"]))
        assert job is not None and job.status == "cancelled"


def test_a_running_submission_is_stopped_by_hosts_and_never_scored_after(
    api: TestClient, factories: Factories, challenge: Challenge, hub: Hub
) -> None:
    member = _member(factories, challenge)
    host = factories.host()  # a second member of the hosting organization
    sent = _submit(api, factories, member, challenge.slug)
    with hub.db.transaction() as session:
        job_id = session.scalar(select(Job.id).where(Job.submission_id == sent["id"]))
        lease = claim_in(session, owner="w1", lease_seconds=60, queues=("default",),
                         job_id=job_id)
    assert lease is not None and lease.submission_id == sent["id"]

    seen = _get(api, member, sent["id"])
    assert seen["status"] == "running" and seen["can_cancel"] is False
    assert seen["estimate"]["attempt"] == 1
    assert datetime.fromisoformat(seen["estimate"]["started_at"])
    refused = api.post(f"{API}/submissions/{sent['id']}/cancel", headers=member.headers)
    assert refused.status_code == 409
    assert "only the challenge's hosts" in refused.json()["detail"]

    assert _get(api, host, sent["id"])["can_cancel"] is True
    stopped = api.post(f"{API}/submissions/{sent['id']}/cancel", headers=host.headers)
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["status"] == "cancelled"
    assert "hosts" in _get(api, member, sent["id"])["error"]
    _the_worker_finds_it_lost(hub, lease, sent["id"])


def _the_worker_finds_it_lost(hub: Hub, lease: Lease, submission_id: int) -> None:
    """The worker's next heartbeat finds no job it holds, and its result writes nothing."""
    with hub.db.transaction() as session:
        assert not queue.heartbeat(session, lease, lease_seconds=60)
    result = EvaluationResult(status="finished", public=0.9, private=0.8)
    assert record_result(hub.db, lease, submission_id, result) is None
    with hub.db.reading() as session:
        row = session.get(Submission, submission_id)
        assert row is not None
        assert (row.status, row.public_score) == ("cancelled", None)


def test_a_waiting_submission_says_its_place_and_when_it_should_start(
    api: TestClient, factories: Factories, challenge: Challenge, hub: Hub
) -> None:
    member, other = _member(factories, challenge), _member(factories, challenge)
    # A scored job gives the queue a history to estimate from.
    _submit(api, factories, member, challenge.slug)
    assert run_queued(hub) >= 1
    first = _submit(api, factories, other, challenge.slug)
    second = _submit(api, factories, member, challenge.slug)

    ahead = _get(api, other, first["id"])["estimate"]
    assert ahead["position"] == 0 and ahead["eta_seconds"] == 0
    behind = _get(api, member, second["id"])
    assert behind["queue_position"] == behind["estimate"]["position"] == 1
    assert behind["estimate"]["eta_seconds"] is not None
    starts = datetime.fromisoformat(behind["estimate"]["starts_at"])
    assert starts >= datetime.fromisoformat(behind["created_at"])

    # Lists give the place alone: an expected start per row would re-read the history.
    rows = api.get(f"{API}/challenges/{challenge.slug}/submissions",
                   headers=member.headers).json()
    queued = [row for row in rows if row["status"] == "queued"]
    assert [row["estimate"]["position"] for row in queued] == [1]
    assert queued[0]["estimate"]["eta_seconds"] is None
    assert all(row["estimate"] is None for row in rows if row["status"] == "finished")


def _with_detailed_results(hub: Hub, submission_id: int, html: bytes) -> None:
    """What a scoring program's run leaves (the real run: tests/web/test_codabench_pages)."""
    blob = hub.storage.put_file(io.BytesIO(html))
    with hub.db.transaction() as session:
        session.execute(update(Submission).where(Submission.id == submission_id)
                        .values(detailed_results_sha256=blob.sha256))


def _enable_detailed_results(hub: Hub, challenge: Challenge, enabled: bool) -> None:
    """The phase's task as a Codabench bundle's ``enable_detailed_results`` sets it."""
    with hub.db.transaction() as session:
        session.execute(update(Phase).where(Phase.challenge_id == challenge.id)
                        .values(task={"enable_detailed_results": enabled}))


def test_detailed_results_reach_the_team_and_hosts_only_under_a_strict_policy(
    api: TestClient, factories: Factories, challenge: Challenge, hub: Hub
) -> None:
    member, stranger = _member(factories, challenge), _member(factories, challenge)
    host, curator = factories.host(), factories.curator()
    sent = _submit(api, factories, member, challenge.slug)
    run_queued(hub)
    _enable_detailed_results(hub, challenge, True)
    path = f"{API}/submissions/{sent['id']}/detailed-results"
    missing = api.get(path, headers=member.headers)
    assert missing.status_code == 404 and "no detailed results" in missing.json()["detail"]

    page = b"<h1>Details</h1><script>alert(1)</script>"
    _with_detailed_results(hub, sent["id"], page)
    assert _get(api, member, sent["id"])["detailed_results_url"] == path
    for reader in (member, host, curator):
        response = api.get(path, headers=reader.headers)
        assert response.status_code == 200, response.text
        assert response.content == page
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["content-security-policy"] == CSP
        assert response.headers["x-content-type-options"] == "nosniff"
    for outsider in ({"Authorization": f"Bearer {stranger.token}"}, {}):
        response = api.get(path, headers=outsider)
        assert response.status_code == 404
        assert b"Details" not in response.content


def test_detailed_results_the_bundle_does_not_enable_are_the_hosts_alone(
    api: TestClient, factories: Factories, challenge: Challenge, hub: Hub
) -> None:
    member, host = _member(factories, challenge), factories.host()
    sent = _submit(api, factories, member, challenge.slug)
    run_queued(hub)
    _with_detailed_results(hub, sent["id"], b"<h1>Per class</h1>")
    path = f"{API}/submissions/{sent['id']}/detailed-results"
    for enabled in (None, False):
        if enabled is not None:
            _enable_detailed_results(hub, challenge, enabled)
        refused = api.get(path, headers=member.headers)
        assert refused.status_code == 404
        assert "not enabled" in refused.json()["detail"]
        assert _get(api, member, sent["id"])["detailed_results_url"] is None
        assert api.get(path, headers=host.headers).content == b"<h1>Per class</h1>"
        assert _get(api, host, sent["id"])["detailed_results_url"] == path


def test_a_detailed_results_file_missing_from_the_store_is_not_found(
    api: TestClient, factories: Factories, challenge: Challenge, hub: Hub
) -> None:
    member = _member(factories, challenge)
    sent = _submit(api, factories, member, challenge.slug)
    _enable_detailed_results(hub, challenge, True)
    with hub.db.transaction() as session:
        session.execute(update(Submission).where(Submission.id == sent["id"])
                        .values(detailed_results_sha256="ab" * 32))
    response = api.get(f"{API}/submissions/{sent['id']}/detailed-results",
                       headers=member.headers)
    assert response.status_code == 404
    assert "missing from the hub's store" in response.json()["detail"]


def test_the_team_cannot_cancel_a_submission_that_has_started_once(
    api: TestClient, factories: Factories, challenge: Challenge, hub: Hub
) -> None:
    """Its worker died and the reaper put it back: it has spent the hosts' machine once."""
    member, host = _member(factories, challenge), factories.host()
    sent = _submit(api, factories, member, challenge.slug)
    with hub.db.transaction() as session:
        job_id = session.scalar(select(Job.id).where(Job.submission_id == sent["id"]))
        assert claim_in(session, owner="w1", lease_seconds=60, queues=("default",),
                        job_id=job_id) is not None
        session.execute(update(Job).where(Job.id == job_id)
                        .values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    assert reap(hub.db) == 1

    seen = _get(api, member, sent["id"])
    assert seen["status"] == "queued" and seen["can_cancel"] is False
    listed = api.get(f"{API}/challenges/{challenge.slug}/submissions", headers=member.headers)
    assert [row["can_cancel"] for row in listed.json()] == [False]
    refused = api.post(f"{API}/submissions/{sent['id']}/cancel", headers=member.headers)
    assert refused.status_code == 409
    assert "has started once" in refused.json()["detail"]
    assert _get(api, member, sent["id"])["status"] == "queued"

    assert _get(api, host, sent["id"])["can_cancel"] is True
    stopped = api.post(f"{API}/submissions/{sent['id']}/cancel", headers=host.headers)
    assert stopped.status_code == 200 and stopped.json()["status"] == "cancelled"
