"""The intake jobs: a submitted version's files are profiled and scanned for personal data
by workers of the job queue, and the version moves to review (or is blocked by a resident
registration number) once every file is done; late, lost and failing jobs write nothing
wrong; organizers' runners never get these files."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from aihub.app import create_app
from aihub.datasets import versions
from aihub.datasets.models import DatasetVersion
from aihub.errors import InvalidInput
from aihub.evaluation import queue, runners
from aihub.evaluation.models import Job
from aihub.evaluation.status import Status
from aihub.evaluation.worker import Worker
from aihub.hub import Hub
from factories import Factories, Person

API = "/api/v1"
PHONES = "이름,연락처,구\n홍길동,010-1234-5678,중구\n김철수,010-9876-5432,서구\n".encode()
PLAIN = b"station,pm10\n1,5\n2,7\n"
RRN = b"name,rrn\nx,900101-1234568\n"


@pytest.fixture
def client(hub: Hub) -> Any:
    with TestClient(create_app(hub=hub), raise_server_exceptions=False) as api:
        yield api


def _worker(hub: Hub, queues: tuple[str, ...] = ("intake",)) -> Worker:
    return Worker(hub.db, hub.evaluator, lease_seconds=60, poll_seconds=0.05, queues=queues)


def _run_all(hub: Hub) -> int:
    worker, count = _worker(hub), 0
    while worker.run_once():
        count += 1
    return count


def _submit(client: TestClient, host: Person, slug: str, files: dict[str, bytes]) -> None:
    created = client.post(f"{API}/datasets", headers=host.headers, json={
        "organization": "daejeon-city", "slug": slug, "title_ko": "시험", "licence": "KOGL-1",
        "access_tier": "open"})
    assert created.status_code == 201, created.text
    assert client.post(f"{API}/datasets/{slug}/versions", headers=host.headers,
                       json={"label": "1.0.0", "message": "first"}).status_code == 201
    for path, content in files.items():
        sent = client.post(f"{API}/datasets/{slug}/versions/1.0.0/files", headers=host.headers,
                           files={"file": ("f", content)}, data={"path": path})
        assert sent.status_code == 201, sent.text
    submitted = client.post(f"{API}/datasets/{slug}/versions/1.0.0/submit",
                            headers=host.headers)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "quarantine"


def _version(client: TestClient, person: Person, slug: str) -> dict[str, Any]:
    response = client.get(f"{API}/datasets/{slug}/versions/1.0.0", headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_files_are_profiled_and_scanned_then_reviewed(
    client: TestClient, hub: Hub, factories: Factories
) -> None:
    host = factories.host()
    _submit(client, host, "phones", {"people.csv": PHONES, "air/pm10.csv": PLAIN})
    with hub.db.reading() as session:
        jobs = session.scalars(select(Job).where(Job.kind == "dataset_intake")).all()
        assert {job.queue for job in jobs} == {runners.INTAKE_QUEUE} and len(jobs) == 2
    assert _run_all(hub) == 2
    version = _version(client, host, "phones")
    assert version["status"] == "review"
    files = {item["path"]: item for item in version["files"]}
    assert files["air/pm10.csv"]["profile"]["row_count"] == 2
    found = {(f["path"], f["pattern_id"]) for f in version["findings"]}
    assert ("people.csv", "KR_MOBILE") in found
    assert not any(path == "air/pm10.csv" for path, _ in found)
    # Findings hold masked examples only, never the raw numbers (the preview is the
    # host's own file, shown to those who may download it).
    assert "1234-5678" not in json.dumps(version["findings"], ensure_ascii=False)
    assert "1234-5678" not in json.dumps(files["people.csv"]["pii_report"] or {},
                                         ensure_ascii=False)
    with hub.db.reading() as session:
        assert {job.status for job in session.scalars(select(Job))} == {Status.FINISHED.value}


def test_a_resident_registration_number_blocks_the_version(
    client: TestClient, hub: Hub, factories: Factories
) -> None:
    host = factories.host()
    _submit(client, host, "ids", {"ids.csv": RRN})
    _run_all(hub)
    version = _version(client, host, "ids")
    assert version["status"] == "blocked"
    assert "Resident registration numbers" in version["reason"]
    published = client.post(f"{API}/datasets/ids/versions/1.0.0/publish",
                            headers=factories.curator().headers)
    assert published.status_code == 409


def test_a_job_after_its_version_left_quarantine_writes_nothing(
    client: TestClient, hub: Hub, factories: Factories
) -> None:
    host = factories.host()
    _submit(client, host, "late", {"a.csv": PLAIN})
    rejected = client.post(f"{API}/datasets/late/versions/1.0.0/reject",
                           headers=factories.curator().headers, json={"reason": "wrong data"})
    assert rejected.status_code == 200, rejected.text
    assert _run_all(hub) == 1
    with hub.db.reading() as session:
        job = session.scalars(select(Job)).one()
        assert job.status == Status.FINISHED.value and "left quarantine" in job.error
        version = session.scalars(select(DatasetVersion)).one()
        assert version.status == "rejected"
        assert all(f.profile is None for f in versions.version_files(session, version))


def test_a_file_missing_from_the_store_is_retried_then_shown_to_the_curator(
    client: TestClient, hub: Hub, factories: Factories
) -> None:
    host = factories.host()
    _submit(client, host, "gone", {"a.csv": b"only,here\n1,2\n"})
    with hub.db.transaction() as session:
        version = session.scalars(select(DatasetVersion)).one()
        sha = versions.version_files(session, version)[0].sha256
    hub.storage.path(sha).unlink()
    runs = _run_all(hub)
    assert runs == hub.settings.job_max_attempts  # tried again each time, then recorded
    version = _version(client, host, "gone")
    assert version["status"] == "review"
    assert "missing from the store" in version["files"][0]["intake_error"]
    refused = client.post(f"{API}/datasets/gone/versions/1.0.0/publish",
                          headers=factories.curator().headers)
    assert refused.status_code == 409
    # A curator runs the intake again once the file is back.
    hub.storage.put_stream([b"only,here\n1,2\n"])
    restarted = client.post(f"{API}/datasets/gone/versions/1.0.0/intake",
                            headers=factories.curator().headers)
    assert restarted.status_code == 200 and restarted.json()["status"] == "quarantine"
    assert client.post(f"{API}/datasets/gone/versions/1.0.0/intake",
                       headers=host.headers).status_code == 403
    assert _run_all(hub) == 1
    assert _version(client, host, "gone")["status"] == "review"


def test_a_lost_lease_writes_nothing(client: TestClient, hub: Hub, factories: Factories) -> None:
    host = factories.host()
    _submit(client, host, "lost", {"a.csv": PHONES})
    with hub.db.transaction() as session:
        lease = queue.claim(session, owner="first", lease_seconds=60, queues=("intake",))
    assert lease is not None
    with hub.db.transaction() as session:  # presumed dead: another worker holds it now
        job = session.get(Job, lease.job_id)
        assert job is not None
        job.lease_owner = "second"
    assert hub.evaluator.run(lease) is None
    with hub.db.reading() as session:
        version = session.scalars(select(DatasetVersion)).one()
        assert version.status == "quarantine"
        assert versions.version_files(session, version)[0].pii_report is None


def test_runners_never_get_intake_jobs(
    client: TestClient, hub: Hub, factories: Factories
) -> None:
    curator = factories.actor(factories.curator())
    with hub.db.transaction() as session, pytest.raises(InvalidInput, match="personal data"):
        runners.create_runner(session, curator, name="m", queues=["intake"], hub_wide=True)
    with hub.db.transaction() as session:
        _, token = runners.create_runner(session, curator, name="m", queues=["default"],
                                         hub_wide=True)
    _submit(client, factories.host(), "private", {"a.csv": PHONES})
    claim = client.post(f"{API}/runner/claim", headers={"Authorization": f"Bearer {token}"},
                        json={"queues": ["default"], "wait_seconds": 0})
    assert claim.status_code == 204, claim.text
    asked = client.post(f"{API}/runner/claim", headers={"Authorization": f"Bearer {token}"},
                        json={"queues": ["intake"], "wait_seconds": 0})
    assert asked.status_code == 422
    with hub.db.reading() as session:
        assert session.scalars(select(Job.status)).all() == [Status.QUEUED.value]
