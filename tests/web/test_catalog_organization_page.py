"""The pages behind the addresses DCAT gives: an organization's (its datasets' publisher),
with its name and the datasets and challenges the reader may see, nothing unpublished; and
a version's manifest (the distribution of a version of many files)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aihub.hub import Hub
from factories import Factories
from webclient import sign_in, web_client


@pytest.fixture
def web(hub: Hub) -> Any:
    with web_client(hub) as client:
        yield client


@pytest.fixture
def web_en(hub: Hub) -> Any:
    with web_client(hub, lang="en") as client:
        yield client


def test_the_publisher_named_by_dcat_has_a_page(
        web: TestClient, web_en: TestClient, hub: Hub, factories: Factories) -> None:
    host = factories.host()
    factories.dataset(host, "air-open")
    factories.dataset(host, "air-draft", publish=False)
    factories.challenge(host)
    turtle = web.get("/api/v1/datasets/air-open/dcat.ttl").text
    publisher = re.search(r"dct:publisher <([^>]+)>", turtle)
    assert publisher, turtle
    address = publisher.group(1).removeprefix("https://testserver")
    assert address == "/organizations/daejeon-city"
    page = web.get(address)
    assert page.status_code == 200
    assert "대전광역시" in page.text
    assert 'href="/datasets/air-open"' in page.text
    assert "air-draft" not in page.text
    assert 'href="/challenges/' in page.text
    english = web_en.get(address)
    assert english.status_code == 200 and "Datasets" in english.text
    sign_in(web, hub, host)  # its hosts see the dataset being prepared, as in the catalog
    assert 'href="/datasets/air-draft"' in web.get(address).text
    # The dataset's page links its publisher.
    assert f'href="{address}"' in web.get("/datasets/air-open").text
    missing = web.get("/organizations/nobody")
    assert missing.status_code == 404 and "nobody" in missing.text


def test_an_organization_with_nothing_public_says_so(
        web: TestClient, factories: Factories) -> None:
    factories.dataset(factories.host("busan-city"), "sea-draft", organization="busan-city",
                      publish=False)
    page = web.get("/organizations/busan-city")
    assert page.status_code == 200
    assert "sea-draft" not in page.text
    assert "아직 공개한 데이터셋이 없습니다." in page.text
    assert "아직 챌린지가 없습니다." in page.text


def test_the_manifest_address_dcat_names_leads_to_the_version_files(
        web: TestClient, hub: Hub, factories: Factories) -> None:
    host = factories.host()
    dataset = factories.dataset(host, "air-open")
    factories.dataset_version(host, dataset, label="2.0.0", publish=False)
    rev = web.get("/api/v1/datasets/air-open/versions/1.0.0").json()["rev"]
    for ref in (rev, "1.0.0"):
        response = web.get(f"/datasets/air-open/versions/{ref}/manifest")
        assert response.status_code == 303
        assert response.headers["location"] == "/datasets/air-open?version=1.0.0#files"
    assert web.get("/datasets/air-open/versions/2.0.0/manifest").status_code == 404
    assert web.get("/datasets/nothing/versions/1.0.0/manifest").status_code == 404
