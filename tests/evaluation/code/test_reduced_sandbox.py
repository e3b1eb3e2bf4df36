"""The reduced sandbox (bubblewrap as root, for machines without user namespaces) runs a
challenge's code only where a curator allowed it: hosts cannot, new challenges are refused
with the reason, submissions are refused before anything is stored, and an allowed
challenge's code really runs and is scored there."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from aihub.app import create_app
from aihub.challenges.models import Challenge
from aihub.evaluation.sandbox import Isolation
from aihub.hub import Hub
from aihub.settings import Settings
from aihub.submissions.models import Submission
from factories import Factories, Person
from sandboxed import code_extra, usable_sandbox, zipped

API = "/api/v1"
FIRST_UID = 62010
MODEL = '''
class Model:
    def fit(self, X, y):
        self.mean = float(X["x"].mean())

    def predict(self, X):
        return (X["x"] > self.mean).astype(float)
'''


@pytest.fixture
def reduced_hub(tmp_path: Path, database_url: str, sandbox_runtimes: Path,
                make_hub: Callable[..., Hub]) -> Hub:
    """A hub whose own worker thread runs code in the reduced sandbox, as it would on a
    machine without user namespaces (AIHUB_SANDBOX_MODE=reduced picks it here)."""
    if not usable_sandbox(FIRST_UID).privileged:
        pytest.skip("the reduced sandbox needs a root worker whose bubblewrap can make "
                    "namespaces")
    settings = Settings(
        data_dir=tmp_path / "data", database_url=database_url, workers_in_process=1,
        runtimes_dir=sandbox_runtimes, sandbox_dir=Path("/var/tmp/aihub-sandbox-tests"),
        sandbox_first_uid=FIRST_UID, sandbox_slots=1, sandbox_mode="reduced",
        worker_poll_seconds=0.05,
    )
    return make_hub(settings)


@pytest.fixture
def api(reduced_hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub=reduced_hub), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def factories(reduced_hub: Hub, tmp_path: Path) -> Factories:
    return Factories(reduced_hub, tmp_path / "bundles")


def _create(api: TestClient, person: Person, factories: Factories, tmp_path: Path,
            slug: str, **form: str) -> Any:
    folder = factories.bundle(slug, extra=code_extra())
    archive = shutil.make_archive(str(tmp_path / slug), "zip", root_dir=folder)
    return api.post(f"{API}/challenges", headers=person.headers, data=form,
                    files={"file": ("bundle.zip", Path(archive).read_bytes())})


def _count(hub: Hub, model: type[Challenge] | type[Submission]) -> int:
    with hub.db.reading() as session:
        return session.scalar(select(func.count(model.id))) or 0


def test_the_hub_uses_the_reduced_sandbox(reduced_hub: Hub) -> None:
    assert reduced_hub.sandbox().isolation is Isolation.REDUCED


def test_hosts_cannot_create_code_challenges_for_it(
    api: TestClient, factories: Factories, reduced_hub: Hub, tmp_path: Path
) -> None:
    host = factories.host()
    refused = _create(api, host, factories, tmp_path, "code-refused")
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"]
    assert "reduced isolation" in detail and "curator" in detail
    assert "--allow-reduced-sandbox" in detail
    forbidden = _create(api, host, factories, tmp_path, "code-forbidden",
                        allow_reduced_sandbox="true")
    assert forbidden.status_code == 403, forbidden.text
    assert "Only curators" in forbidden.json()["detail"]
    assert _count(reduced_hub, Challenge) == 0


def test_an_allowed_challenge_runs_there_until_a_curator_stops_it(
    api: TestClient, factories: Factories, reduced_hub: Hub, tmp_path: Path
) -> None:
    curator = factories.curator()
    factories.host()  # the organization the bundle names
    created = _create(api, curator, factories, tmp_path, "code-reduced",
                      allow_reduced_sandbox="true")
    assert created.status_code == 201, created.text
    assert created.json()["reduced_sandbox_allowed"] is True
    member = factories.person()
    assert api.post(f"{API}/challenges/code-reduced/join",
                    headers=member.headers).status_code == 200

    sent = api.post(f"{API}/challenges/code-reduced/submissions", headers=member.headers,
                    params={"wait": 120}, files={"file": ("code.zip", zipped({"model.py": MODEL}))})
    assert sent.status_code == 201, sent.text
    assert sent.json()["status"] == "finished", sent.json()
    assert sent.json()["public_score"] > 0.5

    stopped = api.post(f"{API}/challenges/code-reduced/sandbox", headers=curator.headers,
                       json={"reduced_allowed": False})
    assert stopped.status_code == 200 and stopped.json()["reduced_sandbox_allowed"] is False
    before = _count(reduced_hub, Submission)
    refused = api.post(f"{API}/challenges/code-reduced/submissions", headers=member.headers,
                       files={"file": ("code.zip", zipped({"model.py": MODEL}))})
    assert refused.status_code == 503, refused.text
    assert "nothing was stored" in refused.json()["detail"]
    assert _count(reduced_hub, Submission) == before


def test_only_curators_choose_and_only_for_challenges_that_run_code(
    api: TestClient, factories: Factories
) -> None:
    host = factories.host()
    code = factories.challenge(host, extra=code_extra())
    predictions = factories.challenge(host)
    for person in (host, factories.person()):
        response = api.post(f"{API}/challenges/{code.slug}/sandbox", headers=person.headers,
                            json={"reduced_allowed": True})
        assert response.status_code == 403, response.text
    curator = factories.curator()
    response = api.post(f"{API}/challenges/{predictions.slug}/sandbox",
                        headers=curator.headers, json={"reduced_allowed": True})
    assert response.status_code == 422
    assert "none of it runs in a sandbox" in response.json()["detail"]
    response = api.post(f"{API}/challenges/{code.slug}/sandbox", headers=curator.headers,
                        json={"reduced_allowed": "perhaps"})
    assert response.status_code == 422
    shown = api.get(f"{API}/challenges/{code.slug}", headers=curator.headers).json()
    assert shown["reduced_sandbox_allowed"] is False
