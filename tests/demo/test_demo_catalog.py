"""The demo's data catalog, seeded by `aihub demo` through the real services and intake,
checked through the API as visitors, members, hosts and curators see it."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator
from typing import Any

import mlcroissant as mlc
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from aihub.accounts import services as accounts
from aihub.app import create_app
from aihub.cli import app
from aihub.datasets.models import DatasetFile, DatasetVersion
from aihub.demo.catalog import seed_catalog
from aihub.demo.catalog_data import DEMO_DATASETS, factory_sites, household_power, road_sensors
from aihub.hub import Hub
from aihub.settings import Settings

API = "/api/v1"
ROADS = "gwangju-road-sensor-raw"


@pytest.fixture(scope="module")
def demo_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    folder = tmp_path_factory.mktemp("demo-catalog") / "data"
    result = CliRunner().invoke(app, ["demo", "--data-dir", str(folder), "--no-serve"])
    assert result.exit_code == 0, result.output
    hub = Hub(Settings(data_dir=folder, workers_in_process=0), start_workers=False)
    yield hub
    hub.close()


@pytest.fixture(scope="module")
def client(demo_hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub=demo_hub), raise_server_exceptions=False) as api:
        yield api


def _auth(hub: Hub, username: str) -> dict[str, str]:
    with hub.db.transaction() as session:
        _, token = accounts.create_token(session, accounts.get_user(session, username),
                                         name=f"test-{username}")
    return {"Authorization": f"Bearer {token}"}


def _get(client: TestClient, path: str, headers: dict[str, str] | None = None) -> Any:
    answer = client.get(f"{API}{path}", headers=headers or {})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_visitors_see_each_tier(client: TestClient) -> None:
    counts = {tier: _get(client, f"/datasets?tier={tier}")["count"]
              for tier in ("open", "registered", "approval")}
    # The dataset whose only version waits in review is not shown to visitors.
    assert counts == {"open": 3, "registered": 1, "approval": 1}
    for item in _get(client, "/datasets?per_page=100")["items"]:
        assert item["latest_version"]["status"] == "published"
        assert item["title"]["ko"] and item["title"]["en"] and item["tags"]


def test_open_data_of_the_challenges_downloads(client: TestClient) -> None:
    links = _get(client, "/challenges/elderly-care-power/datasets")
    assert [(x["dataset"], x["version"]["label"]) for x in links] == [
        ("daejeon-elderly-power-days", "1.0.0")]
    dataset = _get(client, "/datasets/daejeon-elderly-power-days")
    assert dataset["licence"]["id"] == "KOGL-1"
    assert [c["challenge"] for c in dataset["challenges"]] == ["elderly-care-power"]
    version = _get(client, "/datasets/daejeon-elderly-power-days/versions/1.0.0")
    assert version["download"] == "allowed"
    (item,) = version["files"]
    body = client.get(item["url"])
    assert body.status_code == 200
    assert hashlib.sha256(body.content).hexdigest() == item["sha256"]
    assert item["profile"]["row_count"] == 27_000


def test_the_approval_dataset_refuses_without_access(client: TestClient,
                                                     demo_hub: Hub) -> None:
    dataset = _get(client, f"/datasets/{ROADS}")
    assert dataset["licence"]["id"] == "KOGL-2"
    assert sorted((v["label"], v["status"]) for v in dataset["versions"]) == [
        ("1.0.0", "published"), ("1.1.0", "published")]
    newer = _get(client, f"/datasets/{ROADS}/versions/1.1.0")
    assert "status" in newer["message"] and len(newer["files"]) == 2
    url = f"{API}/datasets/{ROADS}/versions/1.1.0/files/raw/2024-05-02.csv"
    assert client.get(url).status_code == 401
    refused = client.get(url, headers=_auth(demo_hub, "demo"))
    assert refused.status_code == 403
    assert "access request" in refused.json()["detail"]


def test_the_registered_dataset_asks_for_the_licence(client: TestClient,
                                                     demo_hub: Hub) -> None:
    version = _get(client, "/datasets/daejeon-household-power-hourly/versions/1.0.0")
    assert version["files"][0]["profile"]["row_count"] == 4_800
    refused = client.get(version["files"][0]["url"], headers=_auth(demo_hub, "demo"))
    assert refused.status_code == 403 and "licence" in refused.json()["detail"]


def test_the_review_version_has_its_finding(client: TestClient, demo_hub: Hub) -> None:
    slug = "daedeok-testbed-sites"
    assert client.get(f"{API}/datasets/{slug}").status_code == 404  # nothing published yet
    version = _get(client, f"/datasets/{slug}/versions/1.0.0", _auth(demo_hub, "curator"))
    assert version["status"] == "review"
    findings = {(f["path"], f["column"], f["pattern_id"], f["severity"], f["decision"])
                for f in version["findings"]}
    assert ("sites.csv", "대표 연락처", "KR_LANDLINE", "REVIEW", None) in findings
    # The curator cleared the road names the scanner took for people's names, with a reason.
    speeds = _get(client, "/datasets/daejeon-road-segment-speeds/versions/1.0.0",
                  _auth(demo_hub, "curator"))
    assert {(f["pattern_id"], f["decision"]) for f in speeds["findings"]} <= {
        ("KR_NAME_COLUMN", "cleared")}


def test_a_data_request_with_supporters(client: TestClient) -> None:
    page = _get(client, "/data-requests")
    assert page["count"] == 1
    (item,) = page["items"]
    assert item["title"] == "대전 공영주차장 실시간 잔여 주차면 데이터"
    assert item["support_count"] == 3


# rdflib 7.6's JSON-LD parser, inside mlcroissant, builds a ConjunctiveGraph.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_croissant_of_an_open_dataset_validates(client: TestClient) -> None:
    answer = client.get(f"{API}/datasets/daejeon-road-segment-speeds/croissant.json")
    if answer.json().get("detail") == "Not Found":  # the route's own 404 says more
        pytest.skip("this build has no Croissant documents")
    assert answer.status_code == 200, answer.text
    document = answer.json()
    dataset = mlc.Dataset(jsonld=copy.deepcopy(document))  # raises on an invalid document
    assert dataset.metadata.name


def test_seeding_again_adds_nothing(demo_hub: Hub) -> None:
    def versions() -> int:
        with demo_hub.db.reading() as session:
            return int(session.scalar(select(func.count(DatasetVersion.id))) or 0)

    before = versions()
    assert before == sum(len(spec.versions) for spec in DEMO_DATASETS)
    seed_catalog(demo_hub)
    assert versions() == before


def test_the_catalog_pages_show_the_seeded_datasets(client: TestClient) -> None:
    listing = client.get("/datasets")
    assert listing.status_code == 200
    assert "광주 도로 센서 원시 측정값" in listing.text
    for spec in DEMO_DATASETS:
        page = client.get(f"/datasets/{spec.slug}")
        # The dataset waiting in review is not public yet.
        assert page.status_code == (404 if spec.slug == "daedeok-testbed-sites" else 200)
        if page.status_code == 200:
            assert spec.title_ko in page.text


def test_the_approval_datasets_hosts_have_a_request_to_answer(
        client: TestClient, demo_hub: Hub) -> None:
    waiting = _get(client, f"/datasets/{ROADS}/access-requests", _auth(demo_hub, "host"))
    assert [(r["status"], r["organization"]) for r in waiting] == [
        ("pending", "전남대학교 교통연구실")]
    seed_catalog(demo_hub)  # seeding again asks no second time
    assert len(_get(client, f"/datasets/{ROADS}/access-requests",
                    _auth(demo_hub, "host"))) == 1


def test_each_publishers_page_lists_its_datasets(client: TestClient) -> None:
    for spec in DEMO_DATASETS:
        if spec.slug == "daedeok-testbed-sites":  # in review: not public yet
            continue
        page = client.get(f"/organizations/{spec.organization}")
        assert page.status_code == 200, spec.organization
        assert f'href="/datasets/{spec.slug}"' in page.text


def test_every_file_is_small(demo_hub: Hub) -> None:
    with demo_hub.db.reading() as session:
        sizes = list(session.scalars(select(DatasetFile.size)))
    assert sizes and max(sizes) <= 1_000_000


def test_generated_files_are_the_same_every_time() -> None:
    assert household_power() == household_power()
    assert factory_sites() == factory_sites()
    write = road_sensors("2024-05-02", with_status=True)
    assert write() == write() and len(write()) < 1_000_000
    assert household_power().count(b"\n") == 4_801

