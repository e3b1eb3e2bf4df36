"""A Codabench bundle through the hub: imported with `POST /challenges`, its example
solution run as baselines, then a participant's code scored by the bundle's own programs
in the sandbox, with the columns of its leaderboard."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from codabench_helpers import copy_bundle, edit_yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from aihub.challenges.models import Challenge, ChallengeFile, Phase
from aihub.hub import Hub
from aihub.submissions.models import Submission
from factories import Factories, Person
from sandboxed import run_queued

API = "/api/v1"
BUNDLES = Path(__file__).parent / "bundles"


def _zip(folder: Path, dest: Path) -> bytes:
    return Path(shutil.make_archive(str(dest / folder.name), "zip", root_dir=folder)).read_bytes()


def _import(api: TestClient, host: Person, tmp_path: Path, **form: str) -> Any:
    data = _zip(BUNDLES / "blobs_code", tmp_path)
    return api.post(f"{API}/challenges", headers=host.headers,
                    files={"file": ("bundle.zip", data)}, data=form)


def test_a_bundle_is_imported_scored_and_ranked(
    code_api: TestClient, code_factories: Factories, code_hub: Hub, tmp_path: Path
) -> None:
    host = code_factories.host()
    response = _import(code_api, host, tmp_path, slug="blobs")
    assert response.status_code == 201, response.text
    assert [phase["name"] for phase in response.json()["phases"]] == ["development", "final"]
    curator = code_factories.curator()
    assert code_api.post(f"{API}/challenges/blobs/approve",
                         headers=curator.headers).status_code == 200
    assert run_queued(code_hub) == 2  # the bundle's solution, on each phase
    with code_hub.db.reading() as session:
        baselines = list(session.scalars(select(Submission).where(Submission.is_baseline)))
    assert {item.status for item in baselines} == {"finished"}, [b.host_error for b in baselines]
    assert all(set(item.scores or {}) == {"accuracy", "duration"} for item in baselines)

    member = code_factories.person()
    assert code_api.post(f"{API}/challenges/blobs/join",
                         headers=member.headers).status_code == 200
    kit = _zip(BUNDLES / "blobs_code" / "starting_kit", tmp_path)
    sent = code_api.post(f"{API}/challenges/blobs/submissions", headers=member.headers,
                         files={"file": ("kit.zip", kit)})
    assert sent.status_code == 201, sent.text
    run_queued(code_hub)
    mine = code_api.get(f"{API}/submissions/{sent.json()['id']}", headers=member.headers).json()
    assert mine["status"] == "finished", mine
    assert mine["public_score"] == mine["scores"]["accuracy"] > 0.5
    assert mine["host_log"] is None  # the scoring box's output is the hosts' alone
    board = code_api.get(f"{API}/challenges/blobs/leaderboard").json()
    assert board["rows"][0]["score"] == mine["public_score"]


def test_a_hostile_submission_never_reads_the_reference_data(
    code_api: TestClient, code_factories: Factories, code_hub: Hub, tmp_path: Path
) -> None:
    host = code_factories.host()
    assert _import(code_api, host, tmp_path, slug="blobs").status_code == 201
    run_queued(code_hub)
    hostile = _zip(BUNDLES / "submissions" / "hostile", tmp_path)
    sent = code_api.post(f"{API}/challenges/blobs/baselines", headers=host.headers,
                         files={"file": ("h.zip", hostile)}, data={"name_ko": "적대적"})
    assert sent.status_code == 201, sent.text
    run_queued(code_hub)
    result = code_api.get(f"{API}/submissions/{sent.json()['id']}", headers=host.headers).json()
    labels = (BUNDLES / "blobs_code" / "final" / "reference_data").iterdir()
    secret = next(labels).read_text().splitlines()[:3]
    seen = result["log"] + result["error"] + (result["host_log"] or "")
    assert "\n".join(secret) not in seen


def test_the_host_must_be_named_when_ambiguous(
    code_api: TestClient, code_factories: Factories, tmp_path: Path
) -> None:
    member = code_factories.person()
    response = _import(code_api, member, tmp_path)
    assert response.status_code == 422
    assert "does not name its host" in response.json()["detail"]
    host = code_factories.host()
    response = _import(code_api, host, tmp_path, organization="nowhere")
    assert response.status_code == 422
    assert "no organization is called 'nowhere'" in response.json()["detail"]


def _import_folder(api: TestClient, host: Person, folder: Path, tmp_path: Path,
                   slug: str) -> Any:
    return api.post(f"{API}/challenges", headers=host.headers, data={"slug": slug},
                    files={"file": ("bundle.zip", _zip(folder, tmp_path))})


def test_public_data_that_copies_the_reference_data_is_refused(
    code_api: TestClient, code_factories: Factories, code_hub: Hub, tmp_path: Path
) -> None:
    """The reader compares paths; a copy of the folder elsewhere has the same packed bytes."""
    folder = copy_bundle("blobs_code", tmp_path)
    shutil.copytree(folder / "final" / "reference_data", folder / "public")
    edit_yaml(folder, lambda data: data["phases"][0].update(public_data="public"))
    response = _import_folder(code_api, code_factories.host(), folder, tmp_path, "leaky")
    assert response.status_code == 422, response.text
    assert ("'public' has the same content as the reference data 'final/reference_data'"
            in response.json()["detail"])
    with code_hub.db.reading() as session:
        assert session.scalar(select(Challenge.id).where(Challenge.slug == "leaky")) is None


def test_a_plain_file_kit_keeps_its_own_name(
    code_api: TestClient, code_factories: Factories, code_hub: Hub, tmp_path: Path
) -> None:
    folder = copy_bundle("blobs_code", tmp_path)

    def kits(data: dict[str, Any]) -> None:
        data["phases"][0]["starting_kit"] = "starting_kit/README.md"
        data["phases"][1]["starting_kit"] = "starting_kit/README.md"
        data["phases"][1]["public_data"] = "starting_kit"

    edit_yaml(folder, kits)
    response = _import_folder(code_api, code_factories.host(), folder, tmp_path, "kits")
    assert response.status_code == 201, response.text
    with code_hub.db.reading() as session:
        names = list(session.scalars(select(ChallengeFile.name).join(Challenge).where(
            Challenge.slug == "kits").order_by(ChallengeFile.position)))
    assert names == ["README.md", "final-starting_kit.zip", "final-public_data.zip"]


def test_the_phase_task_carries_the_detailed_results_flags(
    code_api: TestClient, code_factories: Factories, code_hub: Hub, tmp_path: Path
) -> None:
    folder = copy_bundle("blobs_code", tmp_path)
    edit_yaml(folder, lambda data: data.update(show_detailed_results_in_submission_panel=False))
    response = _import_folder(code_api, code_factories.host(), folder, tmp_path, "flags")
    assert response.status_code == 201, response.text
    with code_hub.db.reading() as session:
        tasks = list(session.scalars(select(Phase.task).join(Challenge).where(
            Challenge.slug == "flags")))
    assert [(task["enable_detailed_results"], task["show_detailed_results_in_submission_panel"])
            for task in tasks] == [(True, False), (True, False)]
